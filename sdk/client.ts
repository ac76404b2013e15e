import { headers, limits, routes } from './apiConstants.ts';
import { globalPrivacyControl, type ConsentState } from './consent.ts';
import { RecoValidationError } from './errors.ts';
import {
  checkExtra,
  checkId,
  checkKeys,
  EXTRA,
  randomId,
  utf8Bytes,
  wholeNumber,
  type EventBody,
  type ItemEventExtra,
  type RecoEvent,
} from './events.ts';
import { listMemory } from './lists.ts';
import { Outbox, type DeliveryNotice, type DeliveryNoticeKind } from './outbox.ts';
import { browserStorage, memoryStorage, queueStore, safeGet, safeSet } from './storage.ts';
import { exchange, jsonOf, queryString, routePath, systemClock, type FetchLike, type QueryValue } from './transport.ts';
import type { RecoClient, RecoClientOptions, RecoList, RecoTracker } from './types.ts';
import { checkUserToken, isInvalidUserToken, tokenRenewal, UserCredential } from './userToken.ts';

const KEYS = { anonymousId: 'reco.anonymousId', userId: 'reco.userId', session: 'reco.session' } as const;
const OPTIONS = [
  'endpoint',
  'apiKey',
  'consent',
  'userToken',
  'onTokenExpired',
  'fetch',
  'storage',
  'queueStorage',
  'clock',
  'timeoutMs',
  'flushIntervalMs',
  'maxBatch',
  'maxQueueSize',
  'retry',
  'sessionTimeoutMs',
  'random',
  'onRejected',
  'onError',
];
const RETRY = { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 30_000 };

/** The API's base URL: with a scheme (else `fetch` reads it as a path of the page's own site) and without `/v1`. */
function checkEndpoint(value: unknown): string {
  const operation = 'createRecoClient';
  let url: URL | undefined;
  try {
    url = new URL(String(value));
  } catch {
    // Reported below.
  }
  if (typeof value !== 'string' || !url || !/^https?:$/.test(url.protocol)) {
    throw new RecoValidationError(
      operation,
      'endpoint',
      `must be an http(s) URL with its scheme, got ${JSON.stringify(value)}`,
    );
  }
  const base = value.replace(/\/+$/, '');
  if (/\/v1$/.test(base)) {
    throw new RecoValidationError(
      operation,
      'endpoint',
      `must not end in /v1 (use ${JSON.stringify(base.slice(0, -3))})`,
    );
  }
  return base;
}

const PRICES = ['minPrice', 'maxPrice', 'inStock'];

/**
 * A list read's options as its query string, in a fixed order (one URL per list, so one CORS preflight). Unknown
 * option names are refused; the values are the API's to check: a bad one gets a 400 `invalid_field`, and the read
 * rejects with it.
 */
function params(operation: string, options: object, names: readonly string[], more: readonly string[] = []): string {
  checkKeys(operation, options, [...names, ...more, 'signal']);
  return queryString(Object.fromEntries(names.map((name) => [name, (options as Record<string, QueryValue>)[name]])));
}

type Listener = (type: string, listener: () => void) => void;
type EventTargetLike = { addEventListener?: Listener; removeEventListener?: Listener };

/** `target.addEventListener(type, listener)` where there is one; returns the removal. */
function listen(target: EventTargetLike | undefined, type: string, listener: () => void): () => void {
  if (typeof target?.addEventListener !== 'function') return () => {};
  target.addEventListener(type, listener);
  return () => target.removeEventListener?.(type, listener);
}

/**
 * The storefront client: tracks events (queued, stored, batched, retried) and reads recommendations.
 * Dependency-free; runs in browsers and in Node ≥ 20. Throws {@link RecoValidationError} on bad options only.
 *
 * @example
 * const reco = createRecoClient({ endpoint: 'https://api.example.com', apiKey: 'storefront-key' });
 * reco.track.view('sku-123');
 */
export function createRecoClient(options: RecoClientOptions): RecoClient {
  const operation = 'createRecoClient';
  checkKeys(operation, options ?? 0, OPTIONS);
  const endpoint = checkEndpoint(options.endpoint);
  const apiKey = checkId(operation, 'apiKey', options.apiKey);
  if (options.consent !== undefined && options.consent !== 'granted' && options.consent !== 'pending') {
    throw new RecoValidationError(operation, 'consent', "must be 'granted' or 'pending'");
  }
  checkKeys(`${operation} retry`, options.retry, Object.keys(RETRY));
  // Called unbound: browsers refuse `fetch` called as a method of another object.
  const fetchFn: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const local = browserStorage();
  const storage = options.storage ?? local ?? memoryStorage();
  const queueStorage = options.queueStorage === undefined ? local : (options.queueStorage ?? undefined);
  const queues = queueStorage ? queueStore(queueStorage) : undefined;
  const clock = options.clock ?? systemClock;
  const timeoutMs = wholeNumber(operation, 'timeoutMs', options.timeoutMs ?? 10_000, 1, 2 ** 31 - 1);
  const sessionTimeoutMs = wholeNumber(operation, 'sessionTimeoutMs', options.sessionTimeoutMs ?? 30 * 60 * 1000);
  const userOnError = options.onError;
  const notify = (error: Error, kind: DeliveryNoticeKind, events: readonly RecoEvent[]) => {
    const notice: DeliveryNotice = { kind, events };
    try {
      if (userOnError) userOnError(error, notice);
      else console.warn(`reco ${kind}:`, error.message);
    } catch {
      // A throwing callback must not break the shop's page or delivery.
    }
  };
  const renewal = tokenRenewal(options.onTokenExpired);
  /** The signed-in shopper's token; replaced on sign-in as another user, dropped on sign-out. */
  let credential =
    options.userToken === undefined ? undefined : new UserCredential(checkUserToken(operation, options.userToken));
  let consent: ConsentState = globalPrivacyControl() ? 'denied' : (options.consent ?? 'granted');
  const granted = () => consent === 'granted';

  const loadId = (key: string): string | undefined => {
    const value = safeGet(storage, key);
    return value !== null && value.trim() !== '' && value.length <= limits.maxIdChars ? value : undefined;
  };
  const store = (key: string, value: string | null) => {
    if (granted()) safeSet(storage, key, value);
  };

  const outbox = new Outbox(
    {
      endpoint,
      apiKey,
      fetch: fetchFn,
      clock,
      timeoutMs,
      credential: () => credential,
      userId: () => userId,
      renewal,
      random: options.random ?? Math.random,
      flushIntervalMs: wholeNumber(operation, 'flushIntervalMs', options.flushIntervalMs ?? 2_000, 0),
      maxBatch: wholeNumber(operation, 'maxBatch', options.maxBatch ?? 100, 1, limits.maxEventsPerRequest),
      maxQueueSize: wholeNumber(operation, 'maxQueueSize', options.maxQueueSize ?? 1_000),
      retry: { ...RETRY, ...options.retry },
      store: queues,
      onRejected: options.onRejected ?? (() => {}),
      notify,
    },
    !granted(),
  );
  const lists = listMemory(storage);
  if (consent === 'denied') forget();

  let anonymousId = loadId(KEYS.anonymousId) ?? randomId();
  let userId = loadId(KEYS.userId);
  let session = loadSession();
  // Events earlier pages left undelivered (a reload, a closed tab, offline) go first; only with consent.
  if (granted() && queues) outbox.restore(queues.adopt());
  persistIds();

  function persistIds(): void {
    store(KEYS.anonymousId, anonymousId);
    store(KEYS.userId, userId ?? null);
    store(KEYS.session, session ? JSON.stringify(session) : null);
  }

  /** Opted out: every stored trace of the shopper goes. */
  function forget(): void {
    for (const key of Object.values(KEYS)) safeSet(storage, key, null);
    outbox.clear();
    lists.clear();
  }

  function loadSession(): { id: string; lastAt: number } | undefined {
    try {
      const stored = JSON.parse(safeGet(storage, KEYS.session) ?? 'null') as { id?: unknown; lastAt?: unknown } | null;
      if (typeof stored?.id === 'string' && typeof stored.lastAt === 'number')
        return stored as { id: string; lastAt: number };
    } catch {
      // A damaged value starts a new session.
    }
    return undefined;
  }

  /** The current session id; a new one after `sessionTimeoutMs` without events. */
  function sessionId(now: number): string {
    if (session === undefined || now - session.lastAt > sessionTimeoutMs) session = { id: randomId(), lastAt: now };
    else session = { id: session.id, lastAt: Math.max(session.lastAt, now) };
    store(KEYS.session, JSON.stringify(session));
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
      `is required while ${JSON.stringify(userId)} is signed in (or call reset())`,
    );
  }

  /**
   * A tracking call that never throws into the shop's code: bad input is reported (`invalid_event`) and dropped.
   * Opted out, it does nothing.
   */
  function guard<A extends unknown[], R>(fallback: () => R, call: (...args: A) => R): (...args: A) => R {
    return (...args) => {
      if (consent === 'denied') return fallback();
      try {
        return call(...args);
      } catch (error) {
        notify(error as Error, 'invalid_event', []);
        return fallback();
      }
    };
  }
  const none = () => undefined;

  /** Builds, checks and queues one event; throws {@link RecoValidationError}. */
  function build(operation: string, body: EventBody): { event: RecoEvent; json: string; bytes: number } {
    if (userId !== undefined && credential === undefined) throw signedInWithoutToken(operation);
    const now = clock.now();
    const { timestamp, sessionId: givenSession, ...fields } = body;
    const recommendationId =
      fields.recommendationId ?? (fields.itemId === undefined ? undefined : lists.recall(fields.itemId, now));
    const event: RecoEvent = {
      eventId: randomId(),
      ...fields,
      ...(recommendationId === undefined ? {} : { recommendationId }),
      ...(userId === undefined ? {} : { userId }),
      anonymousId,
      sessionId: givenSession ?? sessionId(now),
      timestamp: timestamp ?? now,
    };
    const json = JSON.stringify(event);
    const bytes = utf8Bytes(json);
    if (bytes > limits.maxEventBytes) {
      throw new RecoValidationError(
        operation,
        'event',
        `is ${bytes} bytes as JSON; the limit is ${limits.maxEventBytes}`,
      );
    }
    return { event, json, bytes };
  }

  /** Queues events built together: all of them, or none when one is bad. */
  function enqueue(operation: string, ...bodies: EventBody[]): string[] {
    const built = bodies.map((body) => build(operation, body));
    for (const { event, json, bytes } of built) outbox.enqueue(event, json, bytes, credential);
    return built.map((b) => b.event.eventId);
  }

  const itemEvent = (type: 'view' | 'click' | 'add_to_cart' | 'remove_from_cart' | 'purchase', operation: string) =>
    guard(none, (itemId: string, extra?: ItemEventExtra): string | undefined => {
      const body = { type, itemId: checkId(operation, 'itemId', itemId), ...checkExtra(operation, extra, EXTRA.item) };
      return enqueue(operation, body)[0];
    });

  const track: RecoTracker = {
    view: itemEvent('view', 'track.view'),
    click: itemEvent('click', 'track.click'),
    addToCart: itemEvent('add_to_cart', 'track.addToCart'),
    removeFromCart: itemEvent('remove_from_cart', 'track.removeFromCart'),
    purchase: itemEvent('purchase', 'track.purchase'),
    purchaseOrder: guard(
      () => [],
      (order) => {
        const operation = 'track.purchaseOrder';
        checkKeys(operation, order, ['items', 'currency', 'orderId']);
        if (!Array.isArray(order?.items) || order.items.length === 0) {
          throw new RecoValidationError(operation, 'items', 'must be a non-empty array of order lines');
        }
        const orderId = order.orderId === undefined ? undefined : checkId(operation, 'orderId', order.orderId);
        const bodies = order.items.map((line, i): EventBody => {
          const lineOperation = `${operation} items[${i}]`;
          return {
            type: 'purchase',
            itemId: checkId(lineOperation, 'itemId', line?.itemId),
            ...checkExtra(
              lineOperation,
              {
                quantity: line.quantity,
                price: line.price,
                currency: line.price === undefined ? undefined : order.currency,
                recommendationId: line.recommendationId,
                properties: { orderId },
              },
              EXTRA.item,
            ),
          };
        });
        return enqueue(operation, ...bodies);
      },
    ),
    search: guard(
      none,
      (query: string, extra) =>
        enqueue('track.search', {
          type: 'search',
          query: checkId('track.search', 'query', query, limits.maxQueryChars),
          ...checkExtra('track.search', extra, EXTRA.plain),
        })[0],
    ),
  };

  /** A read, with the user token when there is one; after a 401 `invalid_user_token`, once more with a fresh one. */
  async function read(url: string, init: { method: string; body?: string; signal?: AbortSignal | undefined }) {
    const held = granted() ? credential : undefined;
    const token = held?.token;
    const send = (userToken: string | undefined) =>
      exchange({ fetch: fetchFn, clock, timeoutMs, apiKey, userToken }, url, init);
    let answer = await send(token);
    if (held !== undefined && token !== undefined && isInvalidUserToken(answer)) {
      answer = await send(await renewal.renew(held, token));
    }
    const body = jsonOf<Omit<RecoList, 'cache'>>(answer);
    const cache = answer.headers.get(headers.cacheStatus);
    const list: RecoList = {
      recommendationId: body.recommendationId,
      modelVersion: body.modelVersion,
      items: body.items,
      degraded: body.degraded,
      cache: cache === 'HIT' || cache === 'MISS' || cache === 'BYPASS' ? cache : undefined,
    };
    if (typeof list.recommendationId === 'string' && Array.isArray(list.items)) {
      lists.remember(
        list.recommendationId,
        list.items.map((item) => item.itemId),
        clock.now(),
        granted(),
      );
    }
    return list;
  }

  /**
   * The shopper a read is for: the given id, else (with consent) the signed-in user, who needs a token, or the
   * anonymous id. Without consent, a fresh id each time: an anonymous cold start, linked to nothing.
   */
  function shopper(operation: string, given: string | undefined): string {
    if (given !== undefined) return checkId(operation, 'userId', given);
    if (!granted()) return randomId();
    if (userId === undefined) return anonymousId;
    if (credential === undefined) throw signedInWithoutToken(operation);
    return userId;
  }

  let stopOnline = listen(globalThis as EventTargetLike, 'online', () => outbox.online());

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
    get consent() {
      return consent;
    },
    grantConsent() {
      if (consent === 'granted') return;
      consent = 'granted';
      persistIds();
      lists.save();
      if (queues) outbox.restore(queues.adopt());
      outbox.release();
    },
    optOut() {
      consent = 'denied';
      forget();
      anonymousId = randomId();
      session = undefined;
    },
    page: guard(none, (extra) => {
      const operation = 'page';
      const { itemId, ...rest } = extra ?? {};
      const body = checkExtra(operation, rest, EXTRA.plain);
      checkKeys(operation, extra, EXTRA.page);
      const path = (globalThis as { location?: { pathname?: string } }).location?.pathname;
      const properties = { ...(path === undefined ? {} : { path }), ...body.properties };
      return enqueue(operation, {
        type: 'page_view',
        ...(itemId === undefined ? {} : { itemId: checkId(operation, 'itemId', itemId) }),
        ...body,
        ...(Object.keys(properties).length > 0 ? { properties } : {}),
      })[0];
    }),
    impressions: guard(
      () => [],
      (recommendationId, itemIds) => {
        const operation = 'impressions';
        const listId = checkId(operation, 'recommendationId', recommendationId);
        if (!Array.isArray(itemIds) || itemIds.length === 0) {
          throw new RecoValidationError(operation, 'itemIds', 'must be a non-empty array of item ids');
        }
        const ids = [...new Set(itemIds.map((id, i) => checkId(operation, `itemIds[${i}]`, id)))];
        const bodies: EventBody[] = [];
        for (let i = 0; i < ids.length; i += limits.maxImpressionItems) {
          bodies.push({
            type: 'impression',
            recommendationId: listId,
            itemIds: ids.slice(i, i + limits.maxImpressionItems),
          });
        }
        return enqueue(operation, ...bodies);
      },
    ),
    identify: guard(none, (id, opts) => {
      const checked = checkId('identify', 'userId', id);
      checkKeys('identify', opts, ['userToken']);
      const given = opts?.userToken === undefined ? undefined : checkUserToken('identify', opts.userToken);
      const switching = userId !== undefined && checked !== userId;
      if (given === undefined && (credential === undefined || switching)) {
        throw new RecoValidationError(
          'identify',
          'userToken',
          `is required to sign in ${JSON.stringify(checked)}: mint it on your server`,
        );
      }
      if (switching) {
        // Events the previous user tracked still go with their token; it is just never refreshed again.
        if (credential) credential.retired = true;
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
      store(KEYS.userId, checked);
      enqueue('identify', { type: 'identify' });
    }),
    reset() {
      if (credential) credential.retired = true;
      credential = undefined;
      userId = undefined;
      anonymousId = randomId();
      session = undefined;
      store(KEYS.userId, null);
      store(KEYS.session, null);
      store(KEYS.anonymousId, anonymousId);
    },
    trackRecommendationClick: (recommendationId, itemId, extra) =>
      track.click(itemId, { ...extra, recommendationId: recommendationId ?? '' }),
    async recommendations(opts = {}) {
      const operation = 'recommendations';
      const query = params(operation, opts, ['count', 'category', 'exclude', ...PRICES], ['userId']);
      const path = routePath(routes.userRecommendations, shopper(operation, opts.userId));
      return read(`${endpoint}${path}${query}`, { method: 'GET', signal: opts.signal });
    },
    async similar(itemId, opts = {}) {
      const operation = 'similar';
      const query = params(operation, opts, ['count', 'category', ...PRICES]);
      const path = routePath(routes.similarItems, checkId(operation, 'itemId', itemId));
      return read(`${endpoint}${path}${query}`, { method: 'GET', signal: opts.signal });
    },
    async trending(opts = {}) {
      const query = params('trending', opts, ['count', 'category', 'window', ...PRICES]);
      return read(`${endpoint}${routes.trending}${query}`, { method: 'GET', signal: opts.signal });
    },
    async rank(itemIds, opts = {}) {
      const operation = 'rank';
      checkKeys(operation, opts, ['userId', 'signal']);
      if (!Array.isArray(itemIds)) throw new RecoValidationError(operation, 'itemIds', 'must be an array of item ids');
      const body = JSON.stringify({ userId: shopper(operation, opts.userId), itemIds });
      return read(`${endpoint}${routes.rankings}`, { method: 'POST', body, signal: opts.signal });
    },
    flush: () => outbox.flush(),
    flushOnExit() {
      const g = globalThis as EventTargetLike & { document?: EventTargetLike & { visibilityState?: string } };
      if (g.document === undefined) return () => {};
      const stops = [
        listen(g, 'pagehide', () => outbox.sendOnExit()),
        listen(g.document, 'visibilitychange', () => {
          if (g.document?.visibilityState === 'hidden') outbox.sendOnExit();
        }),
      ];
      return () => stops.forEach((stop) => stop());
    },
    close() {
      stopOnline();
      stopOnline = () => {};
      outbox.close();
      return outbox.flush();
    },
  };
}
