import { api, apiLimits, serving } from '#shared/config/index.ts';
import { RecoValidationError } from './errors.ts';
import {
  checkExtra,
  checkId,
  checkQuery,
  randomId,
  utf8Bytes,
  type EventBody,
  type EventExtra,
  type ItemEventExtra,
  type OrderLine,
  type RecoEvent,
} from './events.ts';
import {
  Outbox,
  systemClock,
  type DeliveryNotice,
  type FlushResult,
  type RecoClock,
  type RejectedEvent,
  type RetryPolicy,
} from './outbox.ts';
import { defaultStorage, safeGet, safeSet, type RecoStorage } from './storage.ts';
import {
  exchange,
  jsonOf,
  queryString,
  routePath,
  type FetchLike,
  type HttpAnswer,
  type QueryValue,
} from './transport.ts';
import { checkUserToken, isInvalidUserToken, TokenRenewal, UserCredential, type TokenRefresher } from './userToken.ts';

export interface RecoClientOptions {
  /** Base URL of the API, e.g. `https://api.example.com` (no trailing `/v1`). */
  readonly endpoint: string;
  /** The storefront API key, sent in the `x-api-key` header of every request. Public: it is in every page. */
  readonly apiKey: string;
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
  /** Keeps the anonymous id, the identified user id and the session. @default localStorage, else memory */
  readonly storage?: RecoStorage;
  readonly clock?: RecoClock;
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
  /** Delivery notices: dropped events (full queue, 4xx), retries used up for now. */
  readonly onError?: (error: Error, notice: DeliveryNotice) => void;
}

/** Tracking calls; each checks its input (throwing {@link RecoValidationError}), queues one event and returns its `eventId`. */
export interface RecoTracker {
  view(itemId: string, extra?: ItemEventExtra): string;
  click(itemId: string, extra?: ItemEventExtra): string;
  addToCart(itemId: string, extra?: ItemEventExtra): string;
  removeFromCart(itemId: string, extra?: ItemEventExtra): string;
  /** One purchased item: `quantity`, unit `price` and `currency` as the event schema has them. */
  purchase(itemId: string, extra?: ItemEventExtra): string;
  /** A whole order: one `purchase` event per line, sharing `currency` and `properties.orderId`. */
  purchaseOrder(order: {
    readonly items: readonly OrderLine[];
    readonly currency?: string;
    readonly orderId?: string;
  }): string[];
  search(query: string, extra?: EventExtra): string;
}

export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS';

export interface RecommendedItem {
  readonly itemId: string;
  readonly score: number;
  readonly reason: string;
}

/** Every list the API serves. */
export interface RecoList {
  /** Send it back on events about these items (`trackRecommendationClick`, `extra.recommendationId`). */
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
  /** The persisted anonymous id sent on every event. */
  readonly anonymousId: string;
  /** The identified user, if any. */
  readonly userId: string | undefined;
  /** Events queued, not yet sent. */
  readonly pendingEvents: number;
  /**
   * Signs the shopper in: sets the user token, later events carry `userId`, and an `identify` event links the
   * anonymous id to the user. Called again for the same user with a new token, it only sets the token. Throws
   * {@link RecoValidationError} (field `userToken`) without a token for the user: the API takes `identify`, and
   * events naming a user, only with that user's token.
   */
  identify(userId: string, options?: IdentifyOptions): void;
  /** Signs out: forgets the user id and token, and starts a new anonymous id and session. */
  reset(): void;
  /** A click on an item of a served list, attributed to that list. */
  trackRecommendationClick(recommendationId: string, itemId: string, extra?: ItemEventExtra): string;
  recommendations(options?: RecommendationOptions): Promise<RecoList>;
  similar(itemId: string, options?: ListFilters): Promise<RecoList>;
  rank(itemIds: readonly string[], options?: RankOptions): Promise<RecoList>;
  trending(options?: TrendingOptions): Promise<RecoList>;
  /** Sends everything queued; resolves when done or when retries are used up for now (never rejects). */
  flush(): Promise<FlushResult>;
  /**
   * In a browser, sends queued events when the page is hidden or left (`visibilitychange` to
   * hidden, `pagehide`) with `fetch(…, { keepalive: true })`. Returns a function that removes
   * the listeners. Does nothing where there is no `window`/`document` (Node).
   */
  flushOnExit(): () => void;
  /** Stops the flush timer and sends what is queued. */
  close(): Promise<FlushResult>;
}

const KEYS = { anonymousId: 'reco.anonymousId', userId: 'reco.userId', session: 'reco.session' } as const;
const MAX_CATEGORY_CHARS = 64;
const DEFAULTS = {
  flushIntervalMs: 2_000,
  maxQueueSize: 1_000,
  sessionTimeoutMs: 30 * 60 * 1000,
  retry: { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 30_000 },
} as const;

function positiveInteger(operation: string, field: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new RecoValidationError(operation, field, `must be a whole number from 1 to ${max}`);
  }
  return value;
}

function nonNegative(operation: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RecoValidationError(operation, field, 'must be a non-negative number');
  }
  return value;
}

/** Query parameters shared by the list routes, checked. */
function filterParams(operation: string, options: ListFilters): Record<string, QueryValue> {
  const { count, category, minPrice, maxPrice, inStock } = options;
  if (
    category !== undefined &&
    (typeof category !== 'string' || category === '' || category.length > MAX_CATEGORY_CHARS)
  ) {
    throw new RecoValidationError(
      operation,
      'category',
      `must be a non-empty string of at most ${MAX_CATEGORY_CHARS} characters`,
    );
  }
  if (minPrice !== undefined) nonNegative(operation, 'minPrice', minPrice);
  if (maxPrice !== undefined) nonNegative(operation, 'maxPrice', maxPrice);
  if (minPrice !== undefined && maxPrice !== undefined && minPrice > maxPrice) {
    throw new RecoValidationError(operation, 'minPrice', `(${minPrice}) must not be above maxPrice (${maxPrice})`);
  }
  if (inStock !== undefined && typeof inStock !== 'boolean') {
    throw new RecoValidationError(operation, 'inStock', 'must be true or false');
  }
  return {
    count:
      count === undefined ? undefined : positiveInteger(operation, 'count', count, apiLimits.maxRecommendationCount),
    category,
    minPrice,
    maxPrice,
    inStock,
  };
}

function readList(answer: Parameters<typeof jsonOf>[0]): RecoList {
  const body = jsonOf<Omit<RecoList, 'cache'>>(answer);
  const header = answer.headers.get(api.cacheStatusHeader);
  const cache = header === 'HIT' || header === 'MISS' || header === 'BYPASS' ? header : undefined;
  return {
    recommendationId: body.recommendationId,
    modelVersion: body.modelVersion,
    items: body.items,
    degraded: body.degraded,
    cache,
  };
}

/**
 * The storefront client: tracks events (queued, batched, retried) and reads recommendations.
 * Dependency-free at runtime; runs in browsers and in Node ≥ 20.
 */
export function createRecoClient(options: RecoClientOptions): RecoClient {
  const endpoint = checkId('createRecoClient', 'endpoint', options.endpoint).replace(/\/+$/, '');
  const apiKey = checkId('createRecoClient', 'apiKey', options.apiKey);
  const fetchFn = options.fetch ?? defaultFetch();
  const storage = options.storage ?? defaultStorage();
  const clock = options.clock ?? systemClock;
  const maxBatch =
    options.maxBatch === undefined
      ? apiLimits.maxEventsPerRequest
      : positiveInteger('createRecoClient', 'maxBatch', options.maxBatch, apiLimits.maxEventsPerRequest);
  const sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULTS.sessionTimeoutMs;
  if (options.onTokenExpired !== undefined && typeof options.onTokenExpired !== 'function') {
    throw new RecoValidationError('createRecoClient', 'onTokenExpired', 'must be a function returning a user token');
  }
  const renewal = new TokenRenewal(options.onTokenExpired);
  /** The signed-in shopper's token; replaced on sign-in as another user, dropped on sign-out. */
  let credential =
    options.userToken === undefined
      ? undefined
      : new UserCredential(checkUserToken('createRecoClient', options.userToken));

  const outbox = new Outbox({
    endpoint,
    apiKey,
    credential: () => credential,
    renewal,
    fetch: fetchFn,
    clock,
    random: options.random ?? Math.random,
    flushIntervalMs: options.flushIntervalMs ?? DEFAULTS.flushIntervalMs,
    maxBatch,
    maxQueueSize: positiveInteger('createRecoClient', 'maxQueueSize', options.maxQueueSize ?? DEFAULTS.maxQueueSize),
    retry: { ...DEFAULTS.retry, ...options.retry },
    onRejected: options.onRejected ?? (() => {}),
    onError: options.onError ?? (() => {}),
  });

  let anonymousId = loadId(KEYS.anonymousId) ?? newAnonymousId();
  let userId = loadId(KEYS.userId);
  let session = loadSession();

  function loadId(key: string): string | undefined {
    const value = safeGet(storage, key);
    return value !== null && value !== '' && value.length <= apiLimits.maxIdChars ? value : undefined;
  }

  function newAnonymousId(): string {
    const id = randomId();
    safeSet(storage, KEYS.anonymousId, id);
    return id;
  }

  function loadSession(): { id: string; lastAt: number } | undefined {
    try {
      const stored = JSON.parse(safeGet(storage, KEYS.session) ?? 'null') as { id?: unknown; lastAt?: unknown } | null;
      if (typeof stored?.id === 'string' && typeof stored.lastAt === 'number')
        return { id: stored.id, lastAt: stored.lastAt };
    } catch {
      // A damaged value starts a new session.
    }
    return undefined;
  }

  /** The current session id; a new one after `sessionTimeoutMs` without events. */
  function sessionId(now: number): string {
    if (session === undefined || now - session.lastAt > sessionTimeoutMs) session = { id: randomId(), lastAt: now };
    else session = { id: session.id, lastAt: Math.max(session.lastAt, now) };
    safeSet(storage, KEYS.session, JSON.stringify(session));
    return session.id;
  }

  /**
   * A user identified without a token is a bug of the page (a reload that did not pass `userToken`, a sign-out without
   * `reset()`): the API would reject each of its events with `user_token_required`, so it is refused here instead.
   */
  function signedInWithoutToken(operation: string): RecoValidationError {
    return new RecoValidationError(
      operation,
      'userToken',
      `is required: the shopper is identified as ${JSON.stringify(userId)} and the API takes events and reads of a ` +
        'user only with their token; pass createRecoClient({ userToken }) or identify(userId, { userToken }), or ' +
        'call reset() when no one is signed in',
    );
  }

  function enqueue(operation: string, body: EventBody): string {
    if (userId !== undefined && credential === undefined) throw signedInWithoutToken(operation);
    const now = clock.now();
    const { timestamp, sessionId: givenSession, ...fields } = body;
    const event: RecoEvent = {
      eventId: randomId(),
      ...fields,
      ...(userId === undefined ? {} : { userId }),
      anonymousId,
      sessionId: givenSession ?? sessionId(now),
      timestamp: timestamp ?? now,
    };
    const json = JSON.stringify(event);
    const bytes = utf8Bytes(json);
    if (bytes > apiLimits.maxEventBytes) {
      throw new RecoValidationError(
        operation,
        'event',
        `is ${bytes} bytes as JSON; the limit is ${apiLimits.maxEventBytes} (trim properties)`,
      );
    }
    outbox.enqueue(event, json, bytes, credential);
    return event.eventId;
  }

  const itemEvent =
    (type: 'view' | 'click' | 'add_to_cart' | 'remove_from_cart' | 'purchase', operation: string) =>
    (itemId: string, extra?: ItemEventExtra): string =>
      enqueue(operation, { type, itemId: checkId(operation, 'itemId', itemId), ...checkExtra(operation, extra) });

  const track: RecoTracker = {
    view: itemEvent('view', 'track.view'),
    click: itemEvent('click', 'track.click'),
    addToCart: itemEvent('add_to_cart', 'track.addToCart'),
    removeFromCart: itemEvent('remove_from_cart', 'track.removeFromCart'),
    purchase: itemEvent('purchase', 'track.purchase'),
    purchaseOrder(order) {
      const operation = 'track.purchaseOrder';
      if (!Array.isArray(order?.items) || order.items.length === 0) {
        throw new RecoValidationError(operation, 'items', 'must be a non-empty array of order lines');
      }
      const orderId = order.orderId === undefined ? undefined : checkId(operation, 'orderId', order.orderId);
      // Everything is checked before anything is queued: an order goes in whole or not at all.
      const bodies = order.items.map((line, i): EventBody => {
        const lineOperation = `${operation} items[${i}]`;
        return {
          type: 'purchase',
          itemId: checkId(lineOperation, 'itemId', line?.itemId),
          ...checkExtra(lineOperation, {
            quantity: line.quantity,
            price: line.price,
            currency: line.price === undefined ? undefined : order.currency,
            recommendationId: line.recommendationId,
            properties: orderId === undefined ? undefined : { orderId },
          }),
        };
      });
      return bodies.map((body) => enqueue(operation, body));
    },
    search: (query, extra) =>
      enqueue('track.search', {
        type: 'search',
        query: checkQuery('track.search', query),
        ...checkExtra('track.search', extra),
      }),
  };

  /** A read, with the user token when there is one; after a 401 `invalid_user_token`, once more with a fresh one. */
  async function read(url: string, init: { method: string; body?: string; signal?: AbortSignal }): Promise<RecoList> {
    const held = credential;
    const token = held?.token;
    let answer: HttpAnswer = await exchange(fetchFn, url, { apiKey, userToken: token }, init);
    if (held !== undefined && token !== undefined && isInvalidUserToken(answer)) {
      const fresh = await renewal.renew(held, token);
      answer = await exchange(fetchFn, url, { apiKey, userToken: fresh }, init);
    }
    return readList(answer);
  }

  const get = (path: string, signal: AbortSignal | undefined): Promise<RecoList> =>
    read(`${endpoint}${path}`, { method: 'GET', ...(signal ? { signal } : {}) });

  /** The shopper a read is for: the given id, else the signed-in user (who needs a token), else the anonymous id. */
  function shopper(operation: string, given: string | undefined): string {
    if (given !== undefined) return checkId(operation, 'userId', given);
    if (userId === undefined) return anonymousId;
    if (credential === undefined) throw signedInWithoutToken(operation);
    return userId;
  }

  return {
    track,
    get anonymousId() {
      return anonymousId;
    },
    get userId() {
      return userId;
    },
    get pendingEvents() {
      return outbox.size;
    },
    identify(id, opts) {
      const checked = checkId('identify', 'userId', id);
      const given = opts?.userToken === undefined ? undefined : checkUserToken('identify', opts.userToken);
      const switching = userId !== undefined && checked !== userId;
      if (given === undefined && (credential === undefined || switching)) {
        const why = switching
          ? `is required to sign in ${JSON.stringify(checked)}: the token held is ${JSON.stringify(userId)}'s`
          : "is required: the API takes identify only with the user's token";
        throw new RecoValidationError(
          'identify',
          'userToken',
          `${why}; mint one on your server (POST /v1/admin/user-tokens) and pass identify(userId, { userToken })`,
        );
      }
      if (switching) {
        // Events the previous user tracked still go with their token; it is just never refreshed again.
        credential?.retire();
        credential = undefined;
      }
      if (given !== undefined) {
        if (credential === undefined) {
          credential = new UserCredential(given);
        } else {
          const wasExpired = credential.expired;
          credential.set(given);
          // Events held back by the expired token can go now.
          if (wasExpired && outbox.size > 0) void outbox.flush();
        }
      }
      if (checked === userId) return;
      userId = checked;
      safeSet(storage, KEYS.userId, checked);
      enqueue('identify', { type: 'identify' });
    },
    reset() {
      credential?.retire();
      credential = undefined;
      userId = undefined;
      safeSet(storage, KEYS.userId, null);
      anonymousId = newAnonymousId();
      session = undefined;
      safeSet(storage, KEYS.session, null);
    },
    trackRecommendationClick(recommendationId, itemId, extra) {
      const operation = 'trackRecommendationClick';
      return enqueue(operation, {
        type: 'click',
        itemId: checkId(operation, 'itemId', itemId),
        ...checkExtra(operation, {
          ...extra,
          recommendationId: checkId(operation, 'recommendationId', recommendationId),
        }),
      });
    },
    recommendations(opts = {}) {
      const operation = 'recommendations';
      const id = shopper(operation, opts.userId);
      if (opts.exclude !== undefined) {
        if (!Array.isArray(opts.exclude) || opts.exclude.some((e) => e !== 'purchased' && e !== 'viewed')) {
          throw new RecoValidationError(operation, 'exclude', "must be an array of 'purchased' and 'viewed'");
        }
      }
      const { count, category, minPrice, maxPrice, inStock } = filterParams(operation, opts);
      const query = queryString({ count, category, exclude: opts.exclude, minPrice, maxPrice, inStock });
      return get(`${routePath(api.routes.userRecommendations, { userId: id })}${query}`, opts.signal);
    },
    similar(itemId, opts = {}) {
      const operation = 'similar';
      const id = checkId(operation, 'itemId', itemId);
      const query = queryString(filterParams(operation, opts));
      return get(`${routePath(api.routes.similarItems, { itemId: id })}${query}`, opts.signal);
    },
    trending(opts = {}) {
      const operation = 'trending';
      if (opts.window !== undefined && opts.window !== '1h' && opts.window !== '24h') {
        throw new RecoValidationError(operation, 'window', "must be '1h' or '24h'");
      }
      const { count, category, minPrice, maxPrice, inStock } = filterParams(operation, opts);
      const query = queryString({ count, category, window: opts.window, minPrice, maxPrice, inStock });
      return get(`${routePath(api.routes.trending)}${query}`, opts.signal);
    },
    rank(itemIds, opts = {}) {
      const operation = 'rank';
      if (!Array.isArray(itemIds) || itemIds.length === 0 || itemIds.length > serving.maxRankingItems) {
        throw new RecoValidationError(
          operation,
          'itemIds',
          `must be an array of 1 to ${serving.maxRankingItems} item ids`,
        );
      }
      itemIds.forEach((id, i) => checkId(operation, `itemIds[${i}]`, id));
      const body = JSON.stringify({ userId: shopper(operation, opts.userId), itemIds });
      return read(`${endpoint}${api.routes.rankings}`, {
        method: 'POST',
        body,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    },
    flush: () => outbox.flush(),
    flushOnExit() {
      const g = globalThis as unknown as {
        addEventListener?: (type: string, listener: () => void) => void;
        removeEventListener?: (type: string, listener: () => void) => void;
        document?: {
          visibilityState?: string;
          addEventListener?: (type: string, listener: () => void) => void;
          removeEventListener?: (type: string, listener: () => void) => void;
        };
      };
      if (typeof g.addEventListener !== 'function' || g.document === undefined) return () => {};
      const onPageHide = () => outbox.sendOnExit();
      const onVisibility = () => {
        if (g.document?.visibilityState === 'hidden') outbox.sendOnExit();
      };
      g.addEventListener('pagehide', onPageHide);
      g.document.addEventListener?.('visibilitychange', onVisibility);
      return () => {
        g.removeEventListener?.('pagehide', onPageHide);
        g.document?.removeEventListener?.('visibilitychange', onVisibility);
      };
    },
    close() {
      outbox.close();
      return outbox.flush();
    },
  };
}

function defaultFetch(): FetchLike {
  const global = (globalThis as { fetch?: FetchLike }).fetch;
  if (typeof global !== 'function') {
    throw new RecoValidationError('createRecoClient', 'fetch', 'is required: this runtime has no global fetch');
  }
  return (url, init) => global(url, init);
}
