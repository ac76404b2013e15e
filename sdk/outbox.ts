import { api, apiLimits } from '#shared/config/index.ts';
import { apiErrorFrom, RecoApiError, RecoNetworkError } from './errors.ts';
import { utf8Bytes, type RecoEvent } from './events.ts';
import { exchange, retryAfterMs, type FetchLike, type HttpAnswer } from './transport.ts';
import { INVALID_USER_TOKEN, isInvalidUserToken, type TokenRenewal, type UserCredential } from './userToken.ts';

/** Timers and time; the real ones by default, a fake in tests. */
export interface RecoClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: RecoClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

/** An event the API answered 200 for but did not take, with its reason. Not retried. */
export interface RejectedEvent {
  readonly event: RecoEvent;
  /** `missing_field`, `invalid_field`, `timestamp_too_old`, … (see the API's rejection reasons). */
  readonly reason: string;
  readonly field?: string;
  readonly message: string;
}

/** What an `onError` notice is about. */
export type DeliveryNoticeKind =
  /** The queue was full: the oldest events were dropped to make room. */
  | 'queue_overflow'
  /** The API refused the whole request with a 4xx other than 429: these events are dropped. */
  | 'dropped'
  /** Retries of this flush are used up; the events stay queued and are tried again later. */
  | 'retrying_later'
  /** The API answered 200 with a body that is not the ingest answer; the events are taken as delivered. */
  | 'unexpected_response'
  /**
   * The API answered 401 `invalid_user_token` and no fresh token could be had (no `onTokenExpired`, or it failed):
   * the events stay queued, and go once a token is set (`identify(userId, { userToken })`) or, with
   * `onTokenExpired`, on the next try.
   */
  | 'user_token_expired';

export interface DeliveryNotice {
  readonly kind: DeliveryNoticeKind;
  /** The events concerned. */
  readonly events: readonly RecoEvent[];
}

export interface RetryPolicy {
  /** Retries within one flush before it gives up and leaves the events queued. @default 5 */
  readonly maxRetries?: number;
  /** First backoff, ms; doubles per consecutive failure. @default 500 */
  readonly baseDelayMs?: number;
  /** Longest backoff, ms. @default 30000 */
  readonly maxDelayMs?: number;
}

export interface FlushResult {
  /** Events the API took in this flush. */
  readonly accepted: number;
  /** Events the API answered for but did not take (also reported through `onRejected`). */
  readonly rejected: readonly RejectedEvent[];
  /** Events dropped after a 4xx answer to the whole request (also reported through `onError`). */
  readonly dropped: number;
  /** Events still queued when the flush ended (retries used up, or no valid user token; they are tried again later). */
  readonly pending: number;
}

export interface OutboxOptions {
  readonly endpoint: string;
  readonly apiKey: string;
  /** The signed-in shopper's credential now; events tracked before anyone signed in are sent with it. */
  readonly credential: () => UserCredential | undefined;
  readonly renewal: TokenRenewal;
  readonly fetch: FetchLike;
  readonly clock: RecoClock;
  readonly random: () => number;
  readonly flushIntervalMs: number;
  readonly maxBatch: number;
  readonly maxQueueSize: number;
  readonly retry: Required<RetryPolicy>;
  readonly onRejected: (rejected: readonly RejectedEvent[]) => void;
  readonly onError: (error: Error, notice: DeliveryNotice) => void;
}

interface Queued {
  readonly event: RecoEvent;
  readonly json: string;
  readonly bytes: number;
  /** The credential the event was tracked under: an event naming a user goes with that user's token. */
  readonly credential: UserCredential | undefined;
}

/** `{"events":[` + `]}`. */
const ENVELOPE_BYTES = utf8Bytes('{"events":[]}');

/**
 * Browsers cap the bodies of all in-flight `keepalive` requests of a page at 64 KiB; on exit,
 * that much is sent with `keepalive` and the rest as ordinary requests.
 */
export const KEEPALIVE_BUDGET_BYTES = 64 * 1024 - 1024;

/** Reasons of per-event rejections that mean "not taken this time, send it again". */
const RETRYABLE_REJECTIONS: ReadonlySet<string> = new Set(['stream_write_failed']);

type Outcome =
  | { readonly kind: 'sent'; readonly accepted: number; readonly rejected: RejectedEvent[]; readonly again: Queued[] }
  | { readonly kind: 'retry'; readonly error: Error; readonly retryAfterMs?: number }
  | { readonly kind: 'dropped'; readonly error: RecoApiError }
  /** 401 `invalid_user_token` and no fresh token: keep the events until there is one. */
  | { readonly kind: 'unauthorized'; readonly error: RecoApiError }
  /** Not sent: the token is known to be expired and cannot be renewed now. */
  | { readonly kind: 'blocked' };

/**
 * The event queue and its delivery: batches within the API's limits, one request at a time,
 * retries with exponential backoff and jitter on network errors, 429 and 5xx (the same events
 * with the same `eventId`s, so the server's dedup counts a retried event once), no retry of other
 * 4xx, and a bounded queue that drops its oldest events when full. A 401 `invalid_user_token` gets a fresh token
 * through `onTokenExpired` and the same request again; without one, the events wait in the queue.
 */
export class Outbox {
  readonly #options: OutboxOptions;
  readonly #url: string;
  #queue: Queued[] = [];
  #draining: Promise<FlushResult> | undefined;
  #timer: unknown;
  #timerDue = Infinity;
  /** Consecutive failed attempts across flushes; sets the backoff. Reset by any answered request. */
  #failures = 0;
  /** Until then, a full queue waits for the backoff timer instead of flushing at once. */
  #retryAt = 0;
  /**
   * The last flush stopped at a token that is expired and cannot be renewed: no retry timer, since only a new token
   * (`identify`) or new events start the next flush.
   */
  #waitingForToken = false;
  #closed = false;

  constructor(options: OutboxOptions) {
    this.#options = options;
    this.#url = `${options.endpoint}${api.routes.events}`;
  }

  /** Events waiting to be sent (not counting a batch in flight). */
  get size(): number {
    return this.#queue.length;
  }

  enqueue(event: RecoEvent, json: string, bytes: number, credential: UserCredential | undefined): void {
    this.#queue.push({ event, json, bytes, credential });
    if (this.#queue.length > this.#options.maxQueueSize) {
      const dropped = this.#queue.splice(0, this.#queue.length - this.#options.maxQueueSize);
      this.#notify(
        new Error(`reco: event queue is full (${this.#options.maxQueueSize}); dropped the ${dropped.length} oldest`),
        'queue_overflow',
        dropped.map((q) => q.event),
      );
    }
    const full = this.#queue.length >= this.#options.maxBatch || this.#queuedBodyBytes() >= apiLimits.maxBodyBytes;
    // A full batch goes at once, unless the API is failing: then the backoff timer decides.
    if (full && this.#options.clock.now() >= this.#retryAt) {
      void this.flush();
    } else {
      this.#schedule(this.#options.flushIntervalMs);
    }
  }

  /** Sends everything queued (and whatever is queued meanwhile); resolves when done or retries are used up. */
  flush(): Promise<FlushResult> {
    this.#cancelTimer();
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#queue.length > 0 && !this.#closed && !this.#waitingForToken) {
        const delay = this.#backoffMs();
        this.#retryAt = this.#options.clock.now() + delay;
        this.#schedule(delay);
      }
    });
    return this.#draining;
  }

  /**
   * For page exit: sends up to {@link KEEPALIVE_BUDGET_BYTES} of queued events with
   * `fetch(…, { keepalive: true })` so they outlive the page, and starts an ordinary flush for
   * the rest. Events whose keepalive request fails while the page still lives are queued again.
   */
  sendOnExit(): void {
    let budget = KEEPALIVE_BUDGET_BYTES;
    while (this.#queue.length > 0) {
      const { batch, credential } = this.#takeBatch(budget);
      if (batch.length === 0) break;
      budget -= bodyBytes(batch);
      void this.#attempt(batch, credential, true).then((outcome) => {
        const again = this.#settle(batch, outcome, undefined);
        if (again.length > 0) {
          this.#queue.unshift(...again);
          this.#schedule(this.#backoffMs());
        }
      });
    }
    if (this.#queue.length > 0) void this.flush();
  }

  /** Stops the interval timer; queued events stay queued. */
  close(): void {
    this.#closed = true;
    this.#cancelTimer();
  }

  async #drain(): Promise<FlushResult> {
    const result = { accepted: 0, rejected: [] as RejectedEvent[], dropped: 0 };
    let retries = 0;
    this.#waitingForToken = false;
    while (this.#queue.length > 0) {
      const { batch, credential } = this.#takeBatch(apiLimits.maxBodyBytes);
      const outcome = await this.#attempt(batch, credential, false);
      const again = this.#settle(batch, outcome, result);
      if (again.length === 0) continue;
      this.#queue.unshift(...again);
      // Without a valid token, trying again now would only be refused again.
      if (outcome.kind === 'unauthorized' || outcome.kind === 'blocked') {
        this.#waitingForToken = credential === undefined || !this.#options.renewal.canRenew(credential);
        break;
      }
      retries += 1;
      if (retries > this.#options.retry.maxRetries) {
        const error = outcome.kind === 'retry' ? outcome.error : new Error('events were not taken by the stream');
        this.#notify(
          error,
          'retrying_later',
          again.map((q) => q.event),
        );
        break;
      }
      const hint = outcome.kind === 'retry' ? outcome.retryAfterMs : undefined;
      await this.#sleep(Math.max(this.#backoffMs(), Math.min(hint ?? 0, this.#options.retry.maxDelayMs)));
    }
    return { ...result, pending: this.#queue.length };
  }

  /** Handles an outcome; returns the events to send again. */
  #settle(
    batch: readonly Queued[],
    outcome: Outcome,
    result: { accepted: number; rejected: RejectedEvent[]; dropped: number } | undefined,
  ): Queued[] {
    switch (outcome.kind) {
      case 'sent':
        this.#failures = outcome.again.length > 0 ? this.#failures + 1 : 0;
        if (outcome.again.length === 0) this.#retryAt = 0;
        if (result) {
          result.accepted += outcome.accepted;
          result.rejected.push(...outcome.rejected);
        }
        if (outcome.rejected.length > 0) {
          try {
            this.#options.onRejected(outcome.rejected);
          } catch {
            // A throwing callback must not break delivery.
          }
        }
        return outcome.again;
      case 'retry':
        this.#failures += 1;
        return [...batch];
      case 'unauthorized':
        this.#failures += 1;
        this.#notify(
          outcome.error,
          'user_token_expired',
          batch.map((q) => q.event),
        );
        return [...batch];
      case 'blocked':
        return [...batch];
      case 'dropped':
        this.#failures = 0;
        this.#retryAt = 0;
        if (result) result.dropped += batch.length;
        this.#notify(
          outcome.error,
          'dropped',
          batch.map((q) => q.event),
        );
        return [];
    }
  }

  /**
   * One request for one batch, and once more with a fresh token after a 401 `invalid_user_token`; never throws. The
   * body is built once, so a retry sends the same events with the same `eventId`s.
   */
  async #attempt(
    batch: readonly Queued[],
    credential: UserCredential | undefined,
    keepalive: boolean,
  ): Promise<Outcome> {
    const body = `{"events":[${batch.map((q) => q.json).join(',')}]}`;
    const { renewal } = this.#options;
    let token = credential?.token;
    if (credential?.expired) {
      // On page exit there is no time to wait for a refresh: the next ordinary flush does it.
      if (keepalive || !renewal.canRenew(credential)) {
        return credential.retired ? { kind: 'dropped', error: tokenError(credential) } : { kind: 'blocked' };
      }
      try {
        token = await renewal.renew(credential, credential.token);
      } catch (error) {
        return refused(credential, error);
      }
    }
    let answer = await this.#send(body, token, keepalive);
    if (!(answer instanceof Error) && credential !== undefined && token !== undefined && isInvalidUserToken(answer)) {
      if (keepalive) {
        credential.expire(token);
        return { kind: 'blocked' };
      }
      try {
        token = await renewal.renew(credential, token);
      } catch (error) {
        return refused(credential, error);
      }
      answer = await this.#send(body, token, false);
      if (!(answer instanceof Error) && isInvalidUserToken(answer)) {
        credential.expire(token);
        return refused(credential, apiErrorFrom(answer.status, answer.text));
      }
    }
    if (answer instanceof Error) return { kind: 'retry', error: answer };
    if (answer.status === 429 || answer.status >= 500) {
      const hint = retryAfterMs(answer, this.#options.clock.now());
      return {
        kind: 'retry',
        error: apiErrorFrom(answer.status, answer.text),
        ...(hint === undefined ? {} : { retryAfterMs: hint }),
      };
    }
    if (answer.status < 200 || answer.status >= 300) {
      return { kind: 'dropped', error: apiErrorFrom(answer.status, answer.text) };
    }
    return this.#readIngestAnswer(batch, answer);
  }

  /** The answer, or the error of a request that got none. */
  async #send(body: string, userToken: string | undefined, keepalive: boolean): Promise<HttpAnswer | Error> {
    try {
      return await exchange(
        this.#options.fetch,
        this.#url,
        { apiKey: this.#options.apiKey, userToken },
        { method: 'POST', body, ...(keepalive ? { keepalive: true } : {}) },
      );
    } catch (error) {
      return error instanceof Error ? error : new RecoNetworkError(String(error));
    }
  }

  #readIngestAnswer(batch: readonly Queued[], answer: HttpAnswer): Outcome {
    let body: { accepted?: unknown; rejected?: unknown };
    try {
      body = JSON.parse(answer.text) as typeof body;
    } catch {
      body = {};
    }
    if (typeof body?.accepted !== 'number' || !Array.isArray(body.rejected)) {
      this.#notify(
        new RecoApiError(answer.status, 'invalid_response', 'the events API answered 200 without {accepted, rejected}'),
        'unexpected_response',
        batch.map((q) => q.event),
      );
      return { kind: 'sent', accepted: batch.length, rejected: [], again: [] };
    }
    const rejected: RejectedEvent[] = [];
    const again: Queued[] = [];
    for (const raw of body.rejected as { index?: unknown; reason?: unknown; field?: unknown; message?: unknown }[]) {
      const queued = typeof raw?.index === 'number' ? batch[raw.index] : undefined;
      if (queued === undefined) continue;
      const reason = typeof raw.reason === 'string' ? raw.reason : 'unknown';
      if (RETRYABLE_REJECTIONS.has(reason)) {
        again.push(queued);
        continue;
      }
      rejected.push({
        event: queued.event,
        reason,
        ...(typeof raw.field === 'string' ? { field: raw.field } : {}),
        message: typeof raw.message === 'string' ? raw.message : reason,
      });
    }
    return { kind: 'sent', accepted: body.accepted, rejected, again };
  }

  /**
   * Takes the longest run from the head within the event count and body byte limits (at least one event) whose
   * events go with one credential: their own, or the current one for events tracked before anyone signed in.
   */
  #takeBatch(maxBytes: number): { batch: Queued[]; credential: UserCredential | undefined } {
    const current = this.#options.credential();
    const credential = this.#queue[0]?.credential ?? current;
    let bytes = ENVELOPE_BYTES;
    let count = 0;
    for (const queued of this.#queue) {
      if (count >= this.#options.maxBatch || (queued.credential ?? current) !== credential) break;
      const next = bytes + queued.bytes + (count > 0 ? 1 : 0);
      if (next > maxBytes) break;
      bytes = next;
      count += 1;
    }
    if (count === 0 && maxBytes >= apiLimits.maxBodyBytes) count = 1;
    return { batch: this.#queue.splice(0, count), credential };
  }

  #queuedBodyBytes(): number {
    return bodyBytes(this.#queue);
  }

  /** Equal jitter: half the exponential delay fixed, half random. */
  #backoffMs(): number {
    const { baseDelayMs, maxDelayMs } = this.#options.retry;
    const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, this.#failures - 1));
    return Math.round(exponential / 2 + (this.#options.random() * exponential) / 2);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#options.clock.setTimeout(resolve, ms));
  }

  /** Arms the flush timer to fire within `ms` (an earlier due time wins). */
  #schedule(ms: number): void {
    if (this.#closed || this.#draining !== undefined) return;
    const due = this.#options.clock.now() + ms;
    if (this.#timer !== undefined && this.#timerDue <= due) return;
    this.#cancelTimer();
    this.#timerDue = due;
    this.#timer = this.#options.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerDue = Infinity;
      void this.flush();
    }, ms);
    // In Node, a pending flush timer must not keep the process alive.
    (this.#timer as { unref?: () => void } | undefined)?.unref?.();
  }

  #cancelTimer(): void {
    if (this.#timer === undefined) return;
    this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Infinity;
  }

  #notify(error: Error, kind: DeliveryNoticeKind, events: readonly RecoEvent[]): void {
    try {
      this.#options.onError(error, { kind, events });
    } catch {
      // A throwing callback must not break delivery.
    }
  }
}

function bodyBytes(queue: readonly Queued[]): number {
  let bytes = ENVELOPE_BYTES;
  for (const queued of queue) bytes += queued.bytes + 1;
  return bytes - (queue.length > 0 ? 1 : 0);
}

/** Events refused for their token: kept while the shopper is signed in, dropped once they signed out. */
function refused(credential: UserCredential, error: unknown): Outcome {
  const apiError = error instanceof RecoApiError ? error : tokenError(credential, error);
  return credential.retired ? { kind: 'dropped', error: apiError } : { kind: 'unauthorized', error: apiError };
}

function tokenError(credential: UserCredential, cause?: unknown): RecoApiError {
  const why = credential.retired ? 'its shopper has signed out' : 'no fresh token could be had';
  return new RecoApiError(
    401,
    INVALID_USER_TOKEN,
    `the user token has expired and ${why}`,
    cause === undefined ? undefined : { cause },
  );
}
