import type { ConsentState } from './consent.ts';
import type { EventExtra, ItemEventExtra, OrderLine, PageViewExtra } from './events.ts';
import type { DeliveryNotice, FlushResult, RejectedEvent, RetryPolicy } from './outbox.ts';
import type { RecoStorage } from './storage.ts';
import type { FetchLike, RecoClock } from './transport.ts';
import type { TokenRefresher } from './userToken.ts';

export interface RecoClientOptions {
  /**
   * Base URL of the API with its scheme and without `/v1` (the SDK adds the routes).
   * @example 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod'
   */
  readonly endpoint: string;
  /** The storefront API key, sent in the `x-api-key` header of every request. Public: it is in every page. */
  readonly apiKey: string;
  /**
   * Whether the shopper has consented to tracking. `'pending'` holds events in memory (neither stored nor sent) until
   * {@link RecoClient.grantConsent}. A browser sending Global Privacy Control starts opted out whatever this says.
   * @default 'granted'
   */
  readonly consent?: 'granted' | 'pending';
  /**
   * The signed-in shopper's user token, which the shop's server mints with the server API
   * (`POST /v1/admin/user-tokens`). While the client holds a token, every request carries it in the
   * `x-reco-user-token` header. Without one, the client acts only as its anonymous id.
   * @default none: an anonymous shopper
   */
  readonly userToken?: string;
  /**
   * Called when the API answers 401 `invalid_user_token` (the token expired): returns a fresh token, or a promise of
   * one, which the page gets from the shop's server. The client then sends the same request again; concurrent
   * requests share one call. Without it, or when it fails, events stay queued (`onError` kind `user_token_expired`)
   * and reads reject with a {@link RecoApiError} 401 `invalid_user_token`.
   */
  readonly onTokenExpired?: TokenRefresher;
  /** @default globalThis.fetch */
  readonly fetch?: FetchLike;
  /** Keeps the anonymous id, the identified user id, the session and recent lists. @default localStorage, else memory */
  readonly storage?: RecoStorage;
  /** Keeps undelivered events across reloads; `null`: memory only. @default localStorage, else memory only */
  readonly queueStorage?: RecoStorage | null;
  readonly clock?: RecoClock;
  /** Longest wait for any answer, ms; a request that takes longer fails and is retried like a network error. @default 10000 */
  readonly timeoutMs?: number;
  /** Queued events are sent at most this long after the first of them was tracked, ms. @default 2000 */
  readonly flushIntervalMs?: number;
  /** Events per request, 1..100 (the API's maximum). @default 100 */
  readonly maxBatch?: number;
  /** Events kept while the API cannot be reached; beyond it the oldest are dropped. @default 1000 */
  readonly maxQueueSize?: number;
  readonly retry?: RetryPolicy;
  /** A session ends after this long without events, ms. @default 30 minutes */
  readonly sessionTimeoutMs?: number;
  /** Source of jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Events the API answered for but did not take, with their reasons; they are not retried. */
  readonly onRejected?: (rejected: readonly RejectedEvent[]) => void;
  /** Bad tracking input and delivery notices. @default console.warn */
  readonly onError?: (error: Error, notice: DeliveryNotice) => void;
}

/**
 * Tracking calls; each checks its input, queues one event and returns its `eventId`. They never throw: bad input is
 * reported through `onError` (kind `invalid_event`) and the event dropped (`undefined`). Without consent they do
 * nothing.
 */
export interface RecoTracker {
  view(itemId: string, extra?: ItemEventExtra): string | undefined;
  click(itemId: string, extra?: ItemEventExtra): string | undefined;
  addToCart(itemId: string, extra?: ItemEventExtra): string | undefined;
  removeFromCart(itemId: string, extra?: ItemEventExtra): string | undefined;
  /** One purchased item: `quantity`, unit `price` and `currency` as the event schema has them. */
  purchase(itemId: string, extra?: ItemEventExtra): string | undefined;
  /** A whole order: one `purchase` event per line, sharing `currency` and `properties.orderId`; all or none. */
  purchaseOrder(order: {
    readonly items: readonly OrderLine[];
    readonly currency?: string;
    readonly orderId?: string;
  }): string[];
  search(query: string, extra?: EventExtra): string | undefined;
}

export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS';

export interface RecommendedItem {
  readonly itemId: string;
  readonly score: number;
  readonly reason: string;
}

/** Every list the API serves. */
export interface RecoList {
  /** Later events on these items carry it by themselves; pass it to `impressions` for the items shown. */
  readonly recommendationId: string;
  readonly modelVersion: string;
  readonly items: readonly RecommendedItem[];
  /** True when a dependency failed and a fallback answered. */
  readonly degraded: boolean;
  /** The `x-cache` header, when the API sent one. */
  readonly cache: CacheStatus | undefined;
}

export interface ListFilters {
  /** 1..100. @default 10 (server side) */
  readonly count?: number;
  readonly category?: string;
  readonly minPrice?: number;
  readonly maxPrice?: number;
  readonly inStock?: boolean;
  readonly signal?: AbortSignal;
}

export interface RecommendationOptions extends ListFilters {
  /** @default the identified user, else the anonymous id */
  readonly userId?: string;
  /** What to leave out; `[]` keeps everything. @default ['purchased'] (server side) */
  readonly exclude?: readonly ('purchased' | 'viewed')[];
}

export interface TrendingOptions extends ListFilters {
  /** `1h`: decayed activity rate now; `24h`: volume. @default '24h' (server side) */
  readonly window?: '1h' | '24h';
}

export interface RankOptions {
  /** @default the identified user, else the anonymous id */
  readonly userId?: string;
  readonly signal?: AbortSignal;
}

export interface IdentifyOptions {
  /**
   * The token the shop's server minted for this user. Required, except to identify the user the client already
   * holds a token for (`createRecoClient({ userToken })`).
   */
  readonly userToken?: string;
}

export interface RecoClient {
  readonly track: RecoTracker;
  /** The anonymous id sent on every event (kept in `storage` once there is consent). */
  readonly anonymousId: string;
  /** The identified user, if any. */
  readonly userId: string | undefined;
  /** Events not yet delivered, the request in flight included. */
  readonly pendingEvents: number;
  /** `'granted'`, `'pending'` (events held in memory) or `'denied'` (opted out, or Global Privacy Control). */
  readonly consent: ConsentState;
  /** The shopper consented: held events are stored and sent, ids are stored. */
  grantConsent(): void;
  /** The shopper opted out: the queue, the stored ids and the remembered lists are cleared; nothing is tracked. */
  optOut(): void;
  /** A page view; in a browser `properties.path` defaults to `location.pathname`. */
  page(extra?: PageViewExtra): string | undefined;
  /** The items of a list the page actually showed (1..n, sent as events of at most 50 items). */
  impressions(recommendationId: string, itemIds: readonly string[]): string[];
  /**
   * Signs the shopper in: sets the user token, later events carry `userId`, and an `identify` event links the
   * anonymous id to the user. Called again for the same user with a new token, it only sets the token. Without a
   * token for the user it reports `invalid_event` (field `userToken`) and changes nothing.
   */
  identify(userId: string, options?: IdentifyOptions): void;
  /** Signs out: forgets the user id and token, and starts a new anonymous id and session. */
  reset(): void;
  /** A click on an item of a served list, attributed to that list. */
  trackRecommendationClick(recommendationId: string, itemId: string, extra?: ItemEventExtra): string | undefined;
  /** Read calls reject (never throw) with a {@link RecoValidationError}, {@link RecoApiError} or {@link RecoNetworkError}. */
  recommendations(options?: RecommendationOptions): Promise<RecoList>;
  similar(itemId: string, options?: ListFilters): Promise<RecoList>;
  rank(itemIds: readonly string[], options?: RankOptions): Promise<RecoList>;
  trending(options?: TrendingOptions): Promise<RecoList>;
  /** Sends everything queued; resolves when done or when retries are used up for now (never rejects). */
  flush(): Promise<FlushResult>;
  /**
   * In a browser, sends queued events when the page is hidden or left (`visibilitychange` to hidden, `pagehide`)
   * with `fetch(…, { keepalive: true })`. Returns a function that removes the listeners. Does nothing in Node.
   */
  flushOnExit(): () => void;
  /** Stops the flush timer and the `online` listener, and sends what is queued. */
  close(): Promise<FlushResult>;
}
