import { limits, routes } from './apiConstants.ts';
import { apiErrorFrom, RecoApiError, RecoNetworkError } from './errors.ts';
import { utf8Bytes, type RecoEvent } from './events.ts';
import type { QueueStore } from './storage.ts';
import { exchange, retryAfterMs, type ExchangeOptions, type HttpAnswer } from './transport.ts';
import { expiredError, isInvalidUserToken, type TokenRenewal, type UserCredential } from './userToken.ts';

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
  /** A tracking call got input the API would refuse: the event was not queued (the error names the field). */
  | 'invalid_event'
  /** The queue was full: the oldest events were dropped to make room. */
  | 'queue_overflow'
  /** The API refused the whole request with a 4xx other than 429: these events are dropped. */
  | 'dropped'
  /**
   * The endpoint or the key is wrong (404 `route_not_found`, 403 `invalid_api_key`): the events are dropped, as
   * every later request would be refused the same way. Fix `endpoint` or `apiKey`.
   */
  | 'configuration_error'
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
  /** The events concerned (none for `invalid_event`: nothing was queued). */
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
  /** Events still queued when the flush ended (retries used up, no valid user token, no consent yet). */
  readonly pending: number;
}

export interface OutboxOptions extends Omit<ExchangeOptions, 'userToken'> {
  readonly endpoint: string;
  /** The signed-in shopper's credential now; events tracked before anyone signed in are sent with it. */
  readonly credential: () => UserCredential | undefined;
  /** The signed-in shopper now: events of earlier pages go with the current token only if they name this user. */
  readonly userId: () => string | undefined;
  readonly renewal: TokenRenewal;
  readonly random: () => number;
  readonly flushIntervalMs: number;
  readonly maxBatch: number;
  readonly maxQueueSize: number;
  readonly retry: Required<RetryPolicy>;
  /** Where undelivered events survive reloads; none: memory only. */
  readonly store: QueueStore | undefined;
  readonly onRejected: (rejected: readonly RejectedEvent[]) => void;
  readonly notify: (error: Error, kind: DeliveryNoticeKind, events: readonly RecoEvent[]) => void;
}

interface Queued {
  readonly event: RecoEvent;
  readonly json: string;
  readonly bytes: number;
  /** The credential the event was tracked under (none for events of earlier pages, whose tokens are not kept). */
  readonly credential: UserCredential | undefined;
}

/** `{"events":[` + `]}`. */
const ENVELOPE_BYTES = 13;

/**
 * Browsers cap the bodies of all in-flight `keepalive` requests of a page at 64 KiB; on exit, that much is sent with
 * `keepalive` and the rest stays queued (and stored) for an ordinary flush or the next page.
 */
export const KEEPALIVE_BUDGET_BYTES = 64 * 1024 - 1024;

type Outcome =
  | { readonly kind: 'sent'; readonly accepted: number; readonly rejected: RejectedEvent[]; readonly again: Queued[] }
  | { readonly kind: 'retry'; readonly error: Error; readonly retryAfterMs?: number }
  | { readonly kind: 'dropped' | 'configuration_error'; readonly error: RecoApiError }
  /** 401 `invalid_user_token` and no fresh token: keep the events until there is one. */
  | { readonly kind: 'unauthorized'; readonly error: RecoApiError }
  /** Not sent: the token is known to be expired and cannot be renewed now. */
  | { readonly kind: 'blocked' };

type Tally = { accepted: number; rejected: RejectedEvent[]; dropped: number };

/**
 * The event queue and its delivery: batches within the API's limits, one request at a time, each with a timeout;
 * retries with exponential backoff and jitter on network errors, timeouts, 429 and 5xx (the same events with the
 * same `eventId`s, so the API counts a retried event once); no retry of other 4xx; a bounded queue that drops its
 * oldest events when full and is stored (batches in flight included) so a reload or a closed tab loses nothing.
 */
export class Outbox {
  readonly #o: OutboxOptions;
  readonly #url: string;
  #queue: Queued[] = [];
  /** Batches sent and not yet answered: counted as pending, and stored until answered. */
  readonly #inFlight = new Set<readonly Queued[]>();
  #draining: Promise<FlushResult> | undefined;
  #timer: unknown;
  #timerDue = Infinity;
  /** Consecutive failed attempts across flushes; sets the backoff. Reset by any answered request. */
  #failures = 0;
  /** Until then, a full queue waits for the backoff timer instead of flushing at once. */
  #retryAt = 0;
  /** The last flush stopped at a token that is expired and cannot be renewed: only a new token or event restarts. */
  #waitingForToken = false;
  #closed = false;
  /** No consent yet: events are held in memory, neither stored nor sent. */
  #held: boolean;
  /** Bumped by `clear()`: answers to requests sent before it change nothing. */
  #generation = 0;
  #saving = false;

  constructor(options: OutboxOptions, held: boolean) {
    this.#o = options;
    this.#url = `${options.endpoint}${routes.events}`;
    this.#held = held;
  }

  /** Events not yet delivered, the batches in flight included. */
  get size(): number {
    let size = this.#queue.length;
    for (const batch of this.#inFlight) size += batch.length;
    return size;
  }

  /** Queues the events earlier pages left undelivered, ahead of this page's. */
  restore(jsons: readonly string[]): void {
    const restored: Queued[] = [];
    for (const json of jsons) {
      try {
        const event = JSON.parse(json) as RecoEvent;
        if (typeof event?.eventId === 'string')
          restored.push({ event, json, bytes: utf8Bytes(json), credential: undefined });
      } catch {
        // A damaged entry is skipped.
      }
    }
    this.#queue.unshift(...restored);
    this.#trim();
    if (this.#queue.length > 0) this.#changed(0);
  }

  enqueue(event: RecoEvent, json: string, bytes: number, credential: UserCredential | undefined): void {
    this.#queue.push({ event, json, bytes, credential });
    this.#trim();
    this.#changed(this.#o.flushIntervalMs);
  }

  /** Consent given: what was held is stored and sent. */
  release(): void {
    this.#held = false;
    this.#changed(0);
  }

  /** Opted out: forgets every event, queued, stored or in flight. */
  clear(): void {
    this.#generation += 1;
    this.#queue = [];
    this.#inFlight.clear();
    this.#cancelTimer();
    this.#o.store?.clear();
  }

  /** The browser is back online: send now, without waiting for the backoff. */
  online(): void {
    this.#failures = 0;
    this.#retryAt = 0;
    if (this.#queue.length > 0 && !this.#held) void this.flush();
  }

  /** Sends everything queued (and whatever is queued meanwhile); resolves when done or retries are used up. */
  flush(): Promise<FlushResult> {
    if (this.#held) return Promise.resolve({ accepted: 0, rejected: [], dropped: 0, pending: this.size });
    this.#cancelTimer();
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#queue.length > 0 && !this.#waitingForToken) {
        const delay = this.#backoffMs();
        this.#retryAt = this.#o.clock.now() + delay;
        this.#schedule(delay);
      }
    });
    return this.#draining;
  }

  /**
   * For page exit: sends up to {@link KEEPALIVE_BUDGET_BYTES} of queued events with `fetch(…, { keepalive: true })`
   * so they outlive the page, and starts an ordinary flush for the rest, which completes if the page lives on (a
   * hidden tab). Until answered, every event stays stored: what a closed page did not deliver, the next page sends.
   */
  sendOnExit(): void {
    if (this.#held) return;
    let budget = KEEPALIVE_BUDGET_BYTES;
    for (const batch of this.#inFlight) budget -= bodyBytes(batch);
    while (this.#queue.length > 0) {
      const { batch, credential } = this.#takeBatch(budget, false);
      if (batch.length === 0) break;
      budget -= bodyBytes(batch);
      void this.#send(batch, credential, true).then((outcome) => {
        if (outcome !== undefined && this.#settle(batch, outcome, undefined) > 0) this.#schedule(this.#backoffMs());
      });
    }
    if (this.#queue.length > 0) void this.flush();
    else this.#save();
  }

  /** Stops the interval timer; queued events stay queued. */
  close(): void {
    this.#closed = true;
    this.#cancelTimer();
  }

  #trim(): void {
    const over = this.#queue.length - this.#o.maxQueueSize;
    if (over <= 0) return;
    const dropped = this.#queue.splice(0, over);
    this.#o.notify(
      new Error(`queue full: dropped the ${over} oldest`),
      'queue_overflow',
      dropped.map((q) => q.event),
    );
  }

  /** After the queue changed: store it, and send a full batch now or the rest within `ms`. */
  #changed(ms: number): void {
    if (this.#held) return;
    this.#save();
    const full = this.#queue.length >= this.#o.maxBatch || bodyBytes(this.#queue) >= limits.maxBodyBytes;
    // A full batch goes at once, unless the API is failing: then the backoff timer decides.
    if ((full || ms === 0) && this.#o.clock.now() >= this.#retryAt) void this.flush();
    else this.#schedule(ms);
  }

  /** Stores the queue once per turn, however many events were queued in it. */
  #save(): void {
    if (this.#o.store === undefined || this.#saving || this.#held) return;
    this.#saving = true;
    queueMicrotask(() => {
      this.#saving = false;
      const jsons: string[] = [];
      for (const batch of this.#inFlight) for (const q of batch) jsons.push(q.json);
      for (const q of this.#queue) jsons.push(q.json);
      this.#o.store?.save(jsons);
    });
  }

  async #drain(): Promise<FlushResult> {
    const tally: Tally = { accepted: 0, rejected: [], dropped: 0 };
    let retries = 0;
    this.#waitingForToken = false;
    while (this.#queue.length > 0) {
      const { batch, credential } = this.#takeBatch(limits.maxBodyBytes, true);
      const outcome = await this.#send(batch, credential, false);
      if (outcome === undefined) break;
      const again = this.#settle(batch, outcome, tally);
      if (again === 0) continue;
      // Without a valid token, trying again now would only be refused again.
      if (outcome.kind === 'unauthorized' || outcome.kind === 'blocked') {
        this.#waitingForToken = credential === undefined || !this.#o.renewal.canRenew(credential);
        break;
      }
      retries += 1;
      if (retries > this.#o.retry.maxRetries) {
        const error = outcome.kind === 'retry' ? outcome.error : new Error('not taken');
        this.#o.notify(
          error,
          'retrying_later',
          this.#queue.slice(0, again).map((q) => q.event),
        );
        break;
      }
      const hint = outcome.kind === 'retry' ? outcome.retryAfterMs : undefined;
      await this.#sleep(Math.max(this.#backoffMs(), Math.min(hint ?? 0, this.#o.retry.maxDelayMs)));
    }
    return { ...tally, pending: this.size };
  }

  /** Handles an outcome: puts back the events to send again, at the head of the queue; returns how many. */
  #settle(batch: readonly Queued[], outcome: Outcome, tally: Tally | undefined): number {
    let again: readonly Queued[] = [];
    const events = () => batch.map((q) => q.event);
    switch (outcome.kind) {
      case 'sent':
        again = outcome.again;
        this.#failures = again.length > 0 ? this.#failures + 1 : 0;
        if (again.length === 0) this.#retryAt = 0;
        if (tally) {
          tally.accepted += outcome.accepted;
          tally.rejected.push(...outcome.rejected);
        }
        if (outcome.rejected.length > 0) {
          try {
            this.#o.onRejected(outcome.rejected);
          } catch {
            // A throwing callback must not break delivery.
          }
        }
        break;
      case 'retry':
        this.#failures += 1;
        again = batch;
        break;
      case 'unauthorized':
        this.#failures += 1;
        this.#o.notify(outcome.error, 'user_token_expired', events());
        again = batch;
        break;
      case 'blocked':
        again = batch;
        break;
      default:
        this.#failures = 0;
        this.#retryAt = 0;
        if (tally) tally.dropped += batch.length;
        this.#o.notify(outcome.error, outcome.kind, events());
    }
    this.#queue.unshift(...again);
    this.#save();
    return again.length;
  }

  /**
   * One request for one batch, and once more with a fresh token after a 401 `invalid_user_token`; never throws.
   * `undefined` when the queue was cleared meanwhile (opt-out): the answer no longer matters.
   */
  async #send(batch: readonly Queued[], credential: UserCredential | undefined, keepalive: boolean) {
    const generation = this.#generation;
    this.#inFlight.add(batch);
    this.#save();
    try {
      const outcome = await this.#attempt(batch, credential, keepalive);
      return generation === this.#generation ? outcome : undefined;
    } finally {
      this.#inFlight.delete(batch);
    }
  }

  /** The body is built once, so a retry sends the same events with the same `eventId`s. */
  async #attempt(
    batch: readonly Queued[],
    credential: UserCredential | undefined,
    keepalive: boolean,
  ): Promise<Outcome> {
    const body = `{"events":[${batch.map((q) => q.json).join(',')}]}`;
    const { renewal } = this.#o;
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
    let answer = await this.#post(body, token, keepalive);
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
      answer = await this.#post(body, token, false);
      if (!(answer instanceof Error) && isInvalidUserToken(answer)) {
        credential.expire(token);
        return refused(credential, apiErrorFrom(answer.status, answer.text));
      }
    }
    if (answer instanceof Error) return { kind: 'retry', error: answer };
    const { status } = answer;
    if (status === 429 || status >= 500) {
      const hint = retryAfterMs(answer, this.#o.clock.now());
      return {
        kind: 'retry',
        error: apiErrorFrom(status, answer.text),
        ...(hint === undefined ? {} : { retryAfterMs: hint }),
      };
    }
    if (status < 200 || status >= 300) {
      const error = apiErrorFrom(status, answer.text);
      const misconfigured = status === 404 || error.reason === 'invalid_api_key';
      return { kind: misconfigured ? 'configuration_error' : 'dropped', error };
    }
    return this.#readIngestAnswer(batch, answer);
  }

  /** The answer, or the error of a request that got none. */
  async #post(body: string, userToken: string | undefined, keepalive: boolean): Promise<HttpAnswer | Error> {
    try {
      return await exchange({ ...this.#o, userToken }, this.#url, { method: 'POST', body, keepalive });
    } catch (error) {
      return error instanceof Error ? error : new RecoNetworkError(String(error));
    }
  }

  #readIngestAnswer(batch: readonly Queued[], answer: HttpAnswer): Outcome {
    let body: { accepted?: unknown; rejected?: unknown } | null;
    try {
      body = JSON.parse(answer.text) as typeof body;
    } catch {
      body = null;
    }
    if (typeof body?.accepted !== 'number' || !Array.isArray(body.rejected)) {
      this.#o.notify(
        new RecoApiError(answer.status, 'invalid_response', 'no {accepted, rejected} in the answer'),
        'unexpected_response',
        batch.map((q) => q.event),
      );
      return { kind: 'sent', accepted: batch.length, rejected: [], again: [] };
    }
    const rejected: RejectedEvent[] = [];
    const again: Queued[] = [];
    for (const { index, reason, field, message } of body.rejected as Partial<RejectedEvent & { index: number }>[]) {
      const queued = batch[index as number];
      if (queued === undefined) continue;
      // "Not accepted, retry it": sent again like a failed request.
      if (reason === 'stream_write_failed') again.push(queued);
      else
        rejected.push({
          event: queued.event,
          reason: `${reason}`,
          ...(field ? { field } : {}),
          message: message ?? `${reason}`,
        });
    }
    return { kind: 'sent', accepted: body.accepted, rejected, again };
  }

  /**
   * The credential an event goes with: its own; else, for an event of an earlier page, the current one if it names
   * the same shopper (or none); else none, and the API refuses it with a reason reported through `onRejected`.
   */
  #credentialOf(queued: Queued): UserCredential | undefined {
    const { userId } = queued.event;
    return (
      queued.credential ?? (userId === undefined || userId === this.#o.userId() ? this.#o.credential() : undefined)
    );
  }

  /**
   * Takes the longest run from the head within the event count and body byte limits whose events go with one
   * credential; at least one event when `atLeastOne`.
   */
  #takeBatch(maxBytes: number, atLeastOne: boolean): { batch: Queued[]; credential: UserCredential | undefined } {
    const first = this.#queue[0];
    const credential = first && this.#credentialOf(first);
    let bytes = ENVELOPE_BYTES;
    let count = 0;
    for (const queued of this.#queue) {
      if (count >= this.#o.maxBatch || this.#credentialOf(queued) !== credential) break;
      const next = bytes + queued.bytes + (count > 0 ? 1 : 0);
      if (next > maxBytes) break;
      bytes = next;
      count += 1;
    }
    if (count === 0 && atLeastOne) count = 1;
    return { batch: this.#queue.splice(0, count), credential };
  }

  /** Equal jitter: half the exponential delay fixed, half random. */
  #backoffMs(): number {
    const { baseDelayMs, maxDelayMs } = this.#o.retry;
    const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, this.#failures - 1));
    return Math.round(exponential / 2 + (this.#o.random() * exponential) / 2);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#o.clock.setTimeout(resolve, ms));
  }

  /** Arms the flush timer to fire within `ms` (an earlier due time wins). */
  #schedule(ms: number): void {
    if (this.#closed || this.#draining !== undefined || this.#held) return;
    const due = this.#o.clock.now() + ms;
    if (this.#timer !== undefined && this.#timerDue <= due) return;
    this.#cancelTimer();
    this.#timerDue = due;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerDue = Infinity;
      void this.flush();
    }, ms);
    // In Node, a pending flush timer must not keep the process alive.
    (this.#timer as { unref?: () => void } | undefined)?.unref?.();
  }

  #cancelTimer(): void {
    if (this.#timer === undefined) return;
    this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Infinity;
  }
}

function bodyBytes(queue: Iterable<Queued>): number {
  let bytes = ENVELOPE_BYTES - 1;
  for (const queued of queue) bytes += queued.bytes + 1;
  return Math.max(bytes, ENVELOPE_BYTES);
}

/** Events refused for their token: kept while the shopper is signed in, dropped once they signed out. */
function refused(credential: UserCredential, error: unknown): Outcome {
  const apiError = error instanceof RecoApiError ? error : tokenError(credential, error);
  return credential.retired ? { kind: 'dropped', error: apiError } : { kind: 'unauthorized', error: apiError };
}

const tokenError = (credential: UserCredential, cause?: unknown): RecoApiError =>
  expiredError(credential.retired ? 'its shopper has signed out' : 'no fresh token could be had', cause);
