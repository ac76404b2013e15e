/**
 * Drives simulated traffic into the events API at a steady rate.
 *
 * A ticker sends one batch every `batchSize / eventsPerSecond` seconds, with at most one request
 * in flight. When a request runs late the schedule slips instead of catching up, so a slow API
 * sees back-to-back requests at worst, never a burst. Failures are counted, never thrown: the
 * local stack may be starting or shutting down, and the driver simply keeps going. Batches are
 * not retried (a retry would be safe — event ids are client-generated — but it would blur the
 * counts this driver exists to report).
 *
 * With `userToken`, requests go out as the storefront SDK sends them: events naming a `userId` are
 * sent with that user's token (`x-reco-user-token`), one request per user, and anonymous shoppers'
 * events together without one; so one tick may make several requests, one after the other.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { api, apiLimits } from '#shared/config/index.ts';
import type { StorefrontEventInput } from '#shared/events/schema.ts';

/** The part of a traffic simulator the driver needs. */
export interface EventSource {
  nextEvents(n: number): StorefrontEventInput[];
}

export interface RejectedEvent {
  readonly index: number;
  readonly eventId?: string;
  readonly reason: string;
  readonly [key: string]: unknown;
}

/** What happened to one request. */
export interface BatchResult {
  /** Events in the request. */
  readonly events: number;
  /** HTTP status; absent when the request never got an answer. */
  readonly status?: number;
  readonly accepted: number;
  readonly rejected: readonly RejectedEvent[];
  /** The API's `reason` (and `message`) for an error status, or the network error. */
  readonly error?: string;
  readonly durationMs: number;
}

export type StopReason = 'max_events' | 'stopped' | 'aborted' | 'error';

export interface TrafficStats {
  /** Requests made. */
  readonly batches: number;
  /** Events put on the wire, whatever became of them. */
  readonly sent: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Events in requests that failed as a whole (HTTP error status or network error). */
  readonly failed: number;
  /** Requests answered with a non-2xx status or an unreadable body. */
  readonly httpErrors: number;
  /** Requests that got no answer (refused, reset, timed out). */
  readonly networkErrors: number;
  /** Rejected events by the API's reason. */
  readonly rejectionReasons: Readonly<Record<string, number>>;
  readonly running: boolean;
  readonly stopReason?: StopReason;
  readonly lastError?: string;
}

export interface TrafficOptions {
  /** API origin, e.g. `http://127.0.0.1:3000`; the events route is appended. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /**
   * A user token for a signed-in shopper, as the shop's backend would mint it; events naming a
   * `userId` are posted with it, each user's in a request of their own. Without it, each tick's
   * events go in one request without a token, and the storefront API rejects those naming a
   * `userId` (`user_token_required`).
   */
  readonly userToken?: (userId: string) => string | Promise<string>;
  readonly eventsPerSecond: number;
  /** Events per request, 1 to `apiLimits.maxEventsPerRequest`. */
  readonly batchSize: number;
  readonly simulator: EventSource;
  /** Stop by itself after sending this many events. */
  readonly maxEvents?: number;
  readonly signal?: AbortSignal;
  /** Called after every request; exceptions thrown by it are recorded in `lastError` and ignored. */
  readonly onBatch?: (result: BatchResult) => void;
  /** Per-request timeout. Default 10 s. */
  readonly requestTimeoutMs?: number;
}

export interface TrafficDriver {
  stats(): TrafficStats;
  /** Stop sending; resolves once the in-flight request (if any) has finished. */
  stop(): Promise<void>;
  /** Resolves when the driver has stopped, for whatever reason. Never rejects. */
  readonly done: Promise<void>;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause;
    if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') {
      return `${error.message} (${cause.code})`;
    }
    return error.name === 'TimeoutError' ? 'request timed out' : error.message;
  }
  return String(error);
}

function validate(options: TrafficOptions): void {
  const { eventsPerSecond, batchSize, maxEvents, requestTimeoutMs } = options;
  if (!(Number.isFinite(eventsPerSecond) && eventsPerSecond > 0)) {
    throw new RangeError(`eventsPerSecond must be a positive number, got ${eventsPerSecond}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > apiLimits.maxEventsPerRequest) {
    throw new RangeError(`batchSize must be an integer from 1 to ${apiLimits.maxEventsPerRequest}, got ${batchSize}`);
  }
  if (maxEvents !== undefined && (!Number.isInteger(maxEvents) || maxEvents < 0)) {
    throw new RangeError(`maxEvents must be a non-negative integer, got ${maxEvents}`);
  }
  if (requestTimeoutMs !== undefined && !(requestTimeoutMs > 0)) {
    throw new RangeError(`requestTimeoutMs must be positive, got ${requestTimeoutMs}`);
  }
  new URL(options.baseUrl); // throws on a malformed base URL, before anything starts
}

/**
 * The events by the signed-in user they name (`undefined`: anonymous shoppers), in order of first
 * appearance, each user's events in their order.
 */
function byShopper(events: readonly StorefrontEventInput[]): Map<string | undefined, StorefrontEventInput[]> {
  const groups = new Map<string | undefined, StorefrontEventInput[]>();
  for (const event of events) {
    const group = groups.get(event.userId);
    if (group) group.push(event);
    else groups.set(event.userId, [event]);
  }
  return groups;
}

/**
 * Start posting simulated events to `POST {baseUrl}/v1/events`. Returns at once; the driver runs
 * until `maxEvents` are sent, `stop()` is called or `signal` aborts.
 *
 * @example
 * const driver = startTraffic({ baseUrl, apiKey, eventsPerSecond: 200, batchSize: 25, simulator });
 * // …
 * await driver.stop();
 * console.log(driver.stats());
 */
export function startTraffic(options: TrafficOptions): TrafficDriver {
  validate(options);
  const { apiKey, userToken, eventsPerSecond, batchSize, simulator, maxEvents, signal, onBatch } = options;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const url = `${options.baseUrl.replace(/\/+$/, '')}${api.routes.events}`;
  const intervalMs = (batchSize / eventsPerSecond) * 1000;
  const halt = new AbortController();

  let batches = 0;
  let sent = 0;
  let accepted = 0;
  let rejected = 0;
  let failed = 0;
  let httpErrors = 0;
  let networkErrors = 0;
  const rejectionReasons: Record<string, number> = {};
  let running = true;
  let stopReason: StopReason | undefined;
  let lastError: string | undefined;

  const stopWith = (reason: StopReason): void => {
    stopReason ??= reason;
    halt.abort();
  };
  const onAbort = (): void => {
    stopWith('aborted');
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted === true) stopWith('aborted');

  async function post(events: StorefrontEventInput[], userId: string | undefined): Promise<BatchResult> {
    const started = performance.now();
    const elapsed = (): number => performance.now() - started;
    batches++;
    sent += events.length;
    let response: Response;
    let text: string;
    try {
      const token = userId === undefined || userToken === undefined ? undefined : await userToken(userId);
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [api.apiKeyHeader]: apiKey,
          ...(token === undefined ? {} : { [api.userTokenHeader]: token }),
        },
        body: JSON.stringify({ events }),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      text = await response.text();
    } catch (error) {
      networkErrors++;
      failed += events.length;
      lastError = describe(error);
      return { events: events.length, accepted: 0, rejected: [], error: lastError, durationMs: elapsed() };
    }

    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    if (!response.ok || typeof fields['accepted'] !== 'number') {
      httpErrors++;
      failed += events.length;
      const reason = typeof fields['reason'] === 'string' ? fields['reason'] : 'invalid_response';
      const message = typeof fields['message'] === 'string' ? `: ${fields['message']}` : '';
      lastError = `HTTP ${response.status} ${reason}${message}`;
      return {
        events: events.length,
        status: response.status,
        accepted: 0,
        rejected: [],
        error: lastError,
        durationMs: elapsed(),
      };
    }

    const rejections = (Array.isArray(fields['rejected']) ? (fields['rejected'] as unknown[]) : []).map(
      (entry, position): RejectedEvent => {
        const raw = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
        const index = typeof raw['index'] === 'number' ? raw['index'] : position;
        const reason = typeof raw['reason'] === 'string' ? raw['reason'] : 'unknown';
        return { ...raw, index, reason };
      },
    );
    accepted += fields['accepted'];
    rejected += rejections.length;
    for (const { reason } of rejections) rejectionReasons[reason] = (rejectionReasons[reason] ?? 0) + 1;
    return {
      events: events.length,
      status: response.status,
      accepted: fields['accepted'],
      rejected: rejections,
      durationMs: elapsed(),
    };
  }

  async function run(): Promise<void> {
    let nextAt = performance.now();
    try {
      while (!halt.signal.aborted) {
        const size = maxEvents === undefined ? batchSize : Math.min(batchSize, maxEvents - sent);
        if (size <= 0) {
          stopWith('max_events');
          break;
        }
        const wait = nextAt - performance.now();
        if (wait > 0) {
          try {
            await sleep(wait, undefined, { signal: halt.signal });
          } catch {
            break; // stopped while waiting
          }
        }
        const events = simulator.nextEvents(size);
        const requests = userToken === undefined ? [[undefined, events] as const] : byShopper(events);
        for (const [userId, group] of requests) {
          const result = await post(group, userId);
          try {
            onBatch?.(result);
          } catch (error) {
            lastError = `onBatch threw: ${describe(error)}`;
          }
        }
        // Late? Slip the schedule rather than catch up with a burst.
        nextAt = Math.max(nextAt + intervalMs, performance.now());
      }
    } catch (error) {
      lastError = describe(error);
      stopWith('error');
    } finally {
      running = false;
      signal?.removeEventListener('abort', onAbort);
    }
  }

  const done = run();

  return {
    stats: () => ({
      batches,
      sent,
      accepted,
      rejected,
      failed,
      httpErrors,
      networkErrors,
      rejectionReasons: { ...rejectionReasons },
      running,
      ...(stopReason === undefined ? {} : { stopReason }),
      ...(lastError === undefined ? {} : { lastError }),
    }),
    stop: async () => {
      stopWith('stopped');
      await done;
    },
    done,
  };
}
