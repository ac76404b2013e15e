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
 * failing the request. `onError` is told, for logs and metrics. A cache in this process (one with
 * `getNow`) is read at once: it cannot be slow in a way a timer could cut short.
 */
export class GuardedCache {
  constructor(
    private readonly cache: RecommendationCache,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly budgetMs: number = serving.cacheBudgetMs,
  ) {}

  async get(key: string): Promise<CacheRead> {
    try {
      const value =
        this.cache.getNow === undefined
          ? await withinBudget(this.cache.get(key), this.budgetMs, 'cache get')
          : this.cache.getNow(key);
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

/** Thrown without calling the model when {@link ModelGateway} has `maxInFlight` calls out already. */
export class ModelBusyError extends Error {
  readonly code = 'EMODELBUSY';
  constructor(maxInFlight: number) {
    super(`model has ${maxInFlight} calls in flight from this process; not queueing another`);
    this.name = 'ModelBusyError';
  }
}

export interface ModelGatewayOptions {
  /** @default serving.modelBudgetMs */
  readonly budgetMs?: number;
  /** @default serving.breakerFailureThreshold */
  readonly failureThreshold?: number;
  /** @default serving.breakerResetMs */
  readonly resetMs?: number;
  /** @default serving.modelMaxInFlight */
  readonly maxInFlight?: number;
}

/**
 * The model behind a time budget and a circuit breaker (opossum): a model slower than the
 * budget, or failing repeatedly, is not waited for; callers fall back and mark the answer
 * degraded. After `resetMs` one call is let through, and a success closes the breaker again.
 *
 * A bulkhead in front of the breaker sheds load: with `maxInFlight` calls out, the next one is
 * rejected at once ({@link ModelBusyError}) and served by the fallback. Without it an overloaded
 * model queues every call until they all blow the budget, the breaker opens, and for `resetMs`
 * nobody gets the model at all; with it, the model keeps answering at its own pace and only the
 * excess degrades. (opossum's own `capacity` counts its rejections as failures of the model,
 * which would open the breaker on load alone.)
 */
export class ModelGateway {
  private readonly breaker: CircuitBreaker<[ModelRequest], ModelResponse>;
  private readonly failureThreshold: number;
  private readonly maxInFlight: number;
  private consecutiveFailures = 0;
  private inFlight = 0;

  constructor(client: ModelClient, options: ModelGatewayOptions = {}) {
    const budgetMs = options.budgetMs ?? serving.modelBudgetMs;
    this.failureThreshold = options.failureThreshold ?? serving.breakerFailureThreshold;
    this.maxInFlight = options.maxInFlight ?? serving.modelMaxInFlight;
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1) {
      throw new RangeError(`maxInFlight must be a whole number ≥ 1, got ${this.maxInFlight}`);
    }
    this.breaker = new CircuitBreaker(
      async (request: ModelRequest) => {
        const abort = new AbortController();
        const timer = setTimeout(() => abort.abort(new Error(`model took longer than ${budgetMs} ms`)), budgetMs);
        try {
          return await client.invoke(request, abort.signal);
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
        rollingCountTimeout: 10_000,
      },
    );
    const resetCount = () => {
      this.consecutiveFailures = 0;
    };
    this.breaker.on('open', resetCount);
    this.breaker.on('halfOpen', resetCount);
    this.breaker.on('close', resetCount);
  }

  /** Calls the model; rejects at once while the breaker is open or `maxInFlight` calls are out. */
  async invoke(request: ModelRequest): Promise<ModelResponse> {
    if (this.inFlight >= this.maxInFlight) throw new ModelBusyError(this.maxInFlight);
    this.inFlight++;
    try {
      const response = await this.breaker.fire(request);
      this.consecutiveFailures = 0;
      return response;
    } catch (error) {
      // opossum opens on an error percentage over its window; a dead model after a run of
      // successes must not keep costing the full budget, so N failures in a row open it too.
      // Calls the breaker itself turned away (open, or half-open with its trial in flight) never
      // reached the model and are not failures of it.
      const rejectedByBreaker = (error as { code?: string }).code === 'EOPENBREAKER';
      if (!rejectedByBreaker && this.breaker.closed && ++this.consecutiveFailures >= this.failureThreshold) {
        this.breaker.open();
      }
      throw error;
    } finally {
      this.inFlight--;
    }
  }

  /** Model calls out now (for tests and metrics). */
  get callsInFlight(): number {
    return this.inFlight;
  }

  get open(): boolean {
    return this.breaker.opened;
  }

  shutdown(): void {
    this.breaker.shutdown();
  }
}
