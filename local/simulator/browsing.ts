import { api } from '#shared/config/index.ts';
import type { Catalogue } from './catalogue.ts';
import { Rng } from './random.ts';
import type { Shopper } from './shoppers.ts';

/**
 * Simulated shoppers reading their "Recommended for you" list and acting on it, as a shop's pages do: each list read
 * is followed by an `impression` of the items shown, and now and then a click on one of them (with the list's
 * `recommendationId`), an add-to-cart and a purchase. Without this the local stack only ever sees events, and the
 * dashboard's cache hit ratio and attribution stay empty.
 */
export interface BrowsingOptions {
  /** API origin, e.g. `http://127.0.0.1:3000`. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** A signed-in shopper's user token, as the shop's backend mints it. */
  readonly userToken: (userId: string) => Promise<string>;
  readonly shoppers: readonly Shopper[];
  readonly catalogue: Catalogue;
  readonly listsPerSecond: number;
  readonly seed: number;
  /** Share of list reads followed by a click on one of the items. @default 0.3 */
  readonly clickShare?: number;
  /** Items a list shows. @default 6 */
  readonly listSize?: number;
}

export interface BrowsingStats {
  listsRead: number;
  clicks: number;
  purchases: number;
  failures: number;
  lastError?: string;
}

export interface Browsing {
  readonly stats: Readonly<BrowsingStats>;
  stop(): Promise<void>;
}

interface ServedList {
  readonly recommendationId: string;
  readonly items: readonly { readonly itemId: string }[];
}

const REQUEST_TIMEOUT_MS = 10_000;

export function startBrowsing(options: BrowsingOptions): Browsing {
  if (!(Number.isFinite(options.listsPerSecond) && options.listsPerSecond > 0)) {
    throw new RangeError(`listsPerSecond must be a positive number, got ${options.listsPerSecond}`);
  }
  if (options.shoppers.length === 0) throw new RangeError('shoppers must not be empty');
  const rng = new Rng(options.seed, 'browsing');
  const clickShare = options.clickShare ?? 0.3;
  const listSize = options.listSize ?? 6;
  const stats: BrowsingStats = { listsRead: 0, clicks: 0, purchases: 0, failures: 0 };
  let sequence = 0;

  const headersOf = async (shopper: Shopper): Promise<Record<string, string>> => ({
    [api.apiKeyHeader]: options.apiKey,
    ...(shopper.userId === undefined ? {} : { [api.userTokenHeader]: await options.userToken(shopper.userId) }),
  });

  const visit = async (shopper: Shopper): Promise<void> => {
    const who = shopper.userId ?? shopper.anonymousId ?? shopper.accountUserId;
    const headers = await headersOf(shopper);
    const path = api.routes.userRecommendations.replace('{userId}', encodeURIComponent(who));
    const response = await fetch(`${options.baseUrl}${path}?count=${listSize}`, {
      headers,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`list read answered ${response.status}`);
    }
    const list = (await response.json()) as ServedList;
    stats.listsRead += 1;
    if (list.items.length === 0) return;
    const identity = shopper.userId === undefined ? { anonymousId: who } : { userId: who };
    const event = (type: string, fields: Record<string, unknown>) => ({
      eventId: `browse-${options.seed}-${Date.now().toString(36)}-${++sequence}`,
      type,
      ...identity,
      timestamp: Date.now(),
      ...fields,
    });
    const shown = list.items.map((item) => item.itemId);
    const events: Record<string, unknown>[] = [
      event('impression', { recommendationId: list.recommendationId, itemIds: shown }),
    ];
    if (rng.chance(clickShare)) {
      const itemId = rng.pick(shown);
      const attributed = { itemId, recommendationId: list.recommendationId };
      events.push(event('click', attributed));
      stats.clicks += 1;
      if (rng.chance(0.25)) {
        events.push(event('add_to_cart', { ...attributed, quantity: 1 }));
        if (rng.chance(0.4)) {
          const item = options.catalogue.byId(itemId);
          const price = item === undefined ? {} : { price: item.price, currency: item.currency };
          events.push(event('purchase', { ...attributed, quantity: 1, ...price }));
          stats.purchases += 1;
        }
      }
    }
    const posted = await fetch(`${options.baseUrl}${api.routes.events}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const answer = (await posted.json()) as { rejected?: readonly { reason?: string }[] };
    if (posted.status !== 200 || (answer.rejected?.length ?? 0) > 0) {
      throw new Error(`events answered ${posted.status}: ${JSON.stringify(answer.rejected ?? answer).slice(0, 200)}`);
    }
  };

  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    if (stopped) return;
    const visiting = visit(rng.pick(options.shoppers))
      .catch((error: unknown) => {
        stats.failures += 1;
        stats.lastError = error instanceof Error ? error.message : String(error);
      })
      .finally(() => inFlight.delete(visiting));
    inFlight.add(visiting);
  }, 1000 / options.listsPerSecond);
  timer.unref();
  return {
    stats,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}
