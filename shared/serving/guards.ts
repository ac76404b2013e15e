import { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import { serving } from '../config/index.ts';
import type { ModelClient, ModelRequest, ModelResponse, RecommendationCache } from '../ports/index.ts';

export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS';

/** Rejects after `ms`, so a slow dependency costs a bounded part of the request. */
function withinBudget<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

export interface CacheRead {
  readonly status: CacheStatus;
  readonly value?: string;
}

const MISS: CacheRead = Object.freeze({ status: 'MISS' });
const BYPASS: CacheRead = Object.freeze({ status: 'BYPASS' });

/**
 * The cache as the serving path uses it: a failing or slow cache is skipped (BYPASS) instead of
 * failing the request. `onError` is told, for logs and metrics.
 */
export class GuardedCache {
  constructor(
    private readonly cache: RecommendationCache,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly budgetMs: number = serving.cacheBudgetMs,
  ) {}

  async get(key: string): Promise<CacheRead> {
    try {
      const value = await withinBudget(this.cache.get(key), this.budgetMs, 'cache get');
      return value === undefined ? MISS : { status: 'HIT', value };
    } catch (error) {
      this.onError(error);
      return BYPASS;
    }
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    try {
      await withinBudget(this.cache.set(key, value, ttlSeconds), this.budgetMs, 'cache set');
    } catch (error) {
      this.onError(error);
    }
  }
}

/** The breaker's rolling window of call outcomes (error percentage), in one-second buckets. */
const ROLLING_WINDOW_MS = 10_000;
const ROLLING_BUCKETS = 10;

/** Thrown without calling the model when {@link ModelGateway} has as many calls out as its limit allows. */
export class ModelBusyError extends Error {
  readonly code = 'EMODELBUSY';
  constructor(limit: number) {
    super(`model has ${limit} calls in flight from this process, its current limit; not queueing another`);
    this.name = 'ModelBusyError';
  }
}

/** The breaker turned the call away without calling the model: it is open, or half-open with its trial call out. */
export class ModelBreakerOpenError extends Error {
  readonly code = 'EMODELBREAKEROPEN';
  constructor(options?: { cause?: unknown }) {
    super('model circuit breaker is open; not calling the model', options);
    this.name = 'ModelBreakerOpenError';
  }
}

/** The model did not answer within the budget: the call was aborted. */
export class ModelTimeoutError extends Error {
  readonly code = 'EMODELTIMEOUT';
  constructor(budgetMs: number) {
    super(`model took longer than ${budgetMs} ms`);
    this.name = 'ModelTimeoutError';
  }
}

/** Settings of an {@link AdaptiveLimit}. */
export interface AdaptiveLimitSettings {
  /** Calls allowed in flight at first, and again whenever the model comes back. */
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  /** A call answered within this many ms says the model keeps up: the limit grows. */
  readonly targetMs: number;
  /** Factor applied to the limit on a slower or failed call (at most once per round of calls). */
  readonly backoff: number;
}

/**
 * How many model calls may be in flight, adapted to how the model copes (additive increase,
 * multiplicative decrease, as TCP's congestion window and Netflix's concurrency-limits): each
 * call answered within `targetMs` raises the limit by 1 / limit, about one per limit's worth of
 * calls; a slower or failed call cuts it by `backoff`, once per round: calls already in flight
 * when it was cut do not cut it again, so one overloaded burst does not drive it to `min`.
 * Written here because no maintained npm package adapts a promise concurrency limit.
 */
export class AdaptiveLimit {
  readonly settings: AdaptiveLimitSettings;
  #limit: number;
  /** Bumped by every cut; a call may cut only if it started after the last one. */
  #round = 0;
  /** After {@link reset}: +1 per answer (doubling per round of calls) up to `initial`, as TCP's slow start. */
  #slowStart = false;

  constructor(settings: AdaptiveLimitSettings) {
    const { initial, min, max, targetMs, backoff } = settings;
    if (!Number.isInteger(min) || min < 1 || !Number.isInteger(max) || max < min) {
      throw new RangeError(`limit bounds must be whole numbers with 1 ≤ min ≤ max, got min ${min}, max ${max}`);
    }
    if (!(initial >= min && initial <= max)) throw new RangeError(`initial ${initial} is outside ${min}..${max}`);
    if (!(targetMs > 0)) throw new RangeError(`targetMs must be positive, got ${targetMs}`);
    if (!(backoff > 0 && backoff < 1)) throw new RangeError(`backoff must be between 0 and 1, got ${backoff}`);
    this.settings = settings;
    this.#limit = initial;
  }

  /** Calls allowed in flight now. */
  get current(): number {
    return Math.floor(this.#limit);
  }

  /** The round a call starting now belongs to: pass it back to {@link answered} or {@link failed}. */
  get round(): number {
    return this.#round;
  }

  answered(latencyMs: number, round: number): void {
    if (latencyMs > this.settings.targetMs) this.failed(round);
    else if (this.#slowStart) {
      this.#limit = Math.min(this.settings.initial, this.#limit + 1);
      if (this.#limit >= this.settings.initial) this.#slowStart = false;
    } else this.#limit = Math.min(this.settings.max, this.#limit + 1 / this.#limit);
  }

  failed(round: number): void {
    if (round !== this.#round) return;
    this.#slowStart = false;
    this.#limit = Math.max(this.settings.min, this.#limit * this.settings.backoff);
    this.#round++;
  }

  /**
   * The model is back after an outage: from `min` again, growing by one per answer up to
   * `initial`. Letting `initial` calls at once onto a model that has just come back, with every
   * cache entry gone, timed them all out and opened the breaker again (serving bench, chaos).
   */
  reset(): void {
    this.#limit = this.settings.min;
    this.#slowStart = this.settings.min < this.settings.initial;
    this.#round++;
  }
}

export interface ModelGatewayOptions {
  /** @default serving.modelBudgetMs */
  readonly budgetMs?: number;
  /** @default serving.breakerFailureThreshold */
  readonly failureThreshold?: number;
  /** @default serving.breakerResetMs */
  readonly resetMs?: number;
  /** The in-flight limit (a fixed one: initial = min = max). @default serving.modelConcurrency */
  readonly concurrency?: AdaptiveLimitSettings;
  /** Clock for call latencies, ms. @default Date.now */
  readonly now?: () => number;
}

/**
 * The model behind a time budget and a circuit breaker (opossum): a model slower than the
 * budget, or failing repeatedly, is not waited for; callers fall back and mark the answer
 * degraded. After `resetMs` one call is let through, and a success closes the breaker again.
 *
 * An adaptive bulkhead in front of the breaker sheds load: with as many calls out as the
 * {@link AdaptiveLimit} allows, the next one is rejected at once ({@link ModelBusyError}) and
 * served by the fallback. Without it an overloaded model queues every call until they all blow
 * the budget, the breaker opens, and for `resetMs` nobody gets the model at all; with it, the
 * model keeps answering at its own pace and only the excess degrades, while a model that keeps
 * up is never shed from. (opossum's own `capacity` is fixed and counts its rejections as failures
 * of the model, which would open the breaker on load alone.)
 */
export class ModelGateway {
  private readonly breaker: CircuitBreaker<[ModelRequest], ModelResponse>;
  private readonly failureThreshold: number;
  private readonly limit: AdaptiveLimit;
  private readonly now: () => number;
  private readonly budgetMs: number;
  private consecutiveFailures = 0;
  private inFlight = 0;
  /** When the model last answered a call of this process, ms ({@link now}). */
  private lastAnswerAt = Number.NEGATIVE_INFINITY;
  #lastModelVersion: string | undefined;
  /** Turns the breaker's rolling window a bucket on; see the constructor. */
  private readonly rotation = new EventEmitter();
  private readonly rotationTimer: ReturnType<typeof setInterval>;

  constructor(client: ModelClient, options: ModelGatewayOptions = {}) {
    const budgetMs = options.budgetMs ?? serving.modelBudgetMs;
    this.budgetMs = budgetMs;
    this.failureThreshold = options.failureThreshold ?? serving.breakerFailureThreshold;
    this.limit = new AdaptiveLimit(options.concurrency ?? serving.modelConcurrency);
    this.now = options.now ?? Date.now;
    this.breaker = new CircuitBreaker(
      async (request: ModelRequest) => {
        const abort = new AbortController();
        const timer = setTimeout(() => abort.abort(new ModelTimeoutError(budgetMs)), budgetMs);
        try {
          return await client.invoke(request, abort.signal);
        } catch (error) {
          // The SDK rejects an aborted call with its own AbortError; the reason says why.
          throw abort.signal.aborted ? abort.signal.reason : error;
        } finally {
          clearTimeout(timer);
        }
      },
      {
        // The abort above ends the call itself; opossum's timeout is a backstop.
        timeout: budgetMs + 50,
        resetTimeout: options.resetMs ?? serving.breakerResetMs,
        // Open after N failures in the rolling window, whatever the traffic.
        volumeThreshold: options.failureThreshold ?? serving.breakerFailureThreshold,
        errorThresholdPercentage: 50,
        // A timeout of a model that is answering other calls is load, for the bulkhead to shed.
        errorFilter: (error: unknown) => this.overloaded(error),
        rollingCountTimeout: ROLLING_WINDOW_MS,
        rollingCountBuckets: ROLLING_BUCKETS,
        // Rotated by us (opossum's documented hook for this), so closing can empty the window.
        rotateBucketController: this.rotation,
      },
    );
    this.rotationTimer = setInterval(() => this.rotation.emit('rotate'), ROLLING_WINDOW_MS / ROLLING_BUCKETS);
    this.rotationTimer.unref();
    const resetCount = () => {
      this.consecutiveFailures = 0;
    };
    this.breaker.on('open', resetCount);
    this.breaker.on('halfOpen', resetCount);
    this.breaker.on('close', () => {
      resetCount();
      // opossum keeps its rolling window across a close, so the outage's failures would still be
      // over half the calls: the first slow answer after the model's return would open the breaker
      // again, for another resetMs (seen in the serving bench as recoveries of 4-6 s instead of ~1).
      for (let bucket = 0; bucket < ROLLING_BUCKETS; bucket++) this.rotation.emit('rotate');
      // The model answered the trial call: let calls back in gradually (slow start).
      this.limit.reset();
    });
  }

  /** Calls the model; rejects at once while the breaker is open or the in-flight limit is reached. */
  async invoke(request: ModelRequest): Promise<ModelResponse> {
    const limit = this.limit.current;
    if (this.inFlight >= limit) throw new ModelBusyError(limit);
    this.inFlight++;
    const round = this.limit.round;
    const started = this.now();
    try {
      const response = await this.breaker.fire(request);
      this.consecutiveFailures = 0;
      this.lastAnswerAt = this.now();
      this.#lastModelVersion = response.modelVersion;
      this.limit.answered(this.now() - started, round);
      return response;
    } catch (error) {
      // opossum opens on an error percentage over its window; a dead model after a run of
      // successes must not keep costing the full budget, so N failures in a row open it too.
      // Calls the breaker itself turned away (open, or half-open with its trial in flight) never
      // reached the model and are not failures of it.
      // A timeout while the model answers other calls is load: the limit shrinks, the breaker
      // stays closed (opening it would stop the answers the model is still giving).
      // opossum marks a call it turned away with this code, its documented contract.
      const rejectedByBreaker = (error as { code?: string }).code === 'EOPENBREAKER';
      if (rejectedByBreaker) throw new ModelBreakerOpenError({ cause: error });
      this.limit.failed(round);
      const failedTheModel = !this.overloaded(error);
      if (failedTheModel && this.breaker.closed && ++this.consecutiveFailures >= this.failureThreshold) {
        this.breaker.open();
      }
      throw error;
    } finally {
      this.inFlight--;
    }
  }

  /** A timeout while the model answered another call of this process within the last budget. */
  private overloaded(error: unknown): boolean {
    return error instanceof ModelTimeoutError && this.now() - this.lastAnswerAt <= this.budgetMs;
  }

  /** The model version of the last answer, once the model has answered this process. */
  get lastModelVersion(): string | undefined {
    return this.#lastModelVersion;
  }

  /** Model calls out now (for tests and metrics). */
  get callsInFlight(): number {
    return this.inFlight;
  }

  /** Model calls allowed in flight now (for tests and metrics). */
  get inFlightLimit(): number {
    return this.limit.current;
  }

  get open(): boolean {
    return this.breaker.opened;
  }

  shutdown(): void {
    clearInterval(this.rotationTimer);
    this.breaker.shutdown();
  }
}
