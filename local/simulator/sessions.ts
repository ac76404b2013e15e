/**
 * Deterministic storefront traffic: concurrent shopping sessions interleaved on a virtual
 * timeline and pulled as events.
 *
 * Behaviour model, per session:
 * - items are chosen by a softmax over `pickiness * taste·latent + log(popularity)`; after a
 *   view the shopper often keeps browsing the same category, after a search the results;
 * - a view is often preceded by a click on the listing tile;
 * - ~10% of views add the item to the cart (in-stock items only), a cart line is sometimes
 *   removed again, and ~30% of sessions that end with a non-empty cart purchase it
 *   (one `purchase` event per cart line, with quantity, unit price and currency);
 * - anonymous shoppers occasionally sign in (`identify` with both ids), most often at checkout,
 *   and are signed in for the rest of the simulation.
 *
 * Virtual time only orders the events; each event's `timestamp` is the injected clock's `now()`.
 */
import type { EventType } from '#shared/config/index.ts';
import type { StorefrontEventInput } from '#shared/events/schema.ts';
import { catalogueModel, type Catalogue, type SimulatedItem, type CatalogueModel } from './catalogue.ts';
import { LATENT_DIMENSION } from './latent.ts';
import { Rng, assertSeed, sampleCdf } from './random.ts';
import type { Shopper } from './shoppers.ts';

export interface TrafficSimulatorOptions {
  readonly seed: number;
  readonly catalogue: Catalogue;
  readonly shoppers: readonly Shopper[];
  /** Epoch milliseconds; stamped on every event. */
  readonly now: () => number;
  /** Sessions open at the same time, interleaved in the output. Default 16. */
  readonly concurrentSessions?: number;
}

export interface SimulatorStats {
  readonly events: number;
  readonly sessions: number;
  readonly byType: Readonly<Record<EventType, number>>;
}

export interface TrafficSimulator {
  /** The next `n` events, in virtual-time order across the open sessions. */
  nextEvents(n: number): StorefrontEventInput[];
  stats(): SimulatorStats;
}

/** Behaviour knobs; see the module comment. */
const behaviour = {
  meanExtraViews: 6,
  maxViews: 40,
  searchAtStart: 0.3,
  searchMidSession: 0.08,
  /** After a search, chance the next view comes from its results. */
  followSearch: 0.7,
  /** Chance the next view stays in the category of the previous one. */
  stayInCategory: 0.45,
  clickBeforeView: 0.55,
  /** Per view of an in-stock item; in-stock share is ~95%, so ~10% of all views. */
  addToCart: 0.105,
  /** Per view while the cart is not empty. */
  removeFromCart: 0.05,
  purchaseCart: 0.3,
  identifyAtStart: 0.03,
  identifyAtCheckout: 0.5,
  quantityWeights: [0.8, 0.14, 0.06],
  /** Virtual think times in ms. */
  meanThinkMs: 20_000,
  meanClickToViewMs: 1_500,
  meanNextSessionMs: 3_000,
  /** Floats spent on cached per-shopper preference tables (~24 MB). */
  preferenceCacheFloats: 3_000_000,
} as const;

/** An event before identity, session, id and timestamp are stamped on it. */
type Draft = Omit<StorefrontEventInput, 'eventId' | 'timestamp' | 'userId' | 'anonymousId' | 'sessionId'> & {
  readonly type: EventType;
};

interface Step {
  readonly draft: Draft;
  /** Virtual ms until the session's following event. */
  readonly delayMs: number;
}

const step = (draft: Draft, delayMs: number): Step => ({ draft, delayMs });

interface ShopperState {
  /** Anonymous shopper who has sent `identify`. */
  identified: boolean;
  /** Sessions of this shopper currently open (normally 0 or 1). */
  openSessions: number;
}

interface Preferences {
  /** Running sum of the unnormalised softmax weights over `catalogue.items`. */
  readonly cdf: Float64Array;
}

interface OpenSession {
  readonly shopper: Shopper;
  readonly state: ShopperState;
  readonly sessionId: string;
  readonly events: Generator<Step, void, undefined>;
  dueAt: number;
  readonly order: number;
}

function emptyByType(): Record<EventType, number> {
  return {
    view: 0,
    click: 0,
    add_to_cart: 0,
    remove_from_cart: 0,
    purchase: 0,
    search: 0,
    identify: 0,
    page_view: 0,
    impression: 0,
  };
}

/**
 * Create a pull-style traffic source. Same seed, catalogue, shoppers and clock give the same
 * events in the same order.
 *
 * @example
 * const catalogue = createCatalogue({ seed: 7 });
 * const sim = createTrafficSimulator({ seed: 7, catalogue, shoppers: createShoppers({ seed: 7, catalogue }), now: Date.now });
 * const batch = sim.nextEvents(50);
 */
export function createTrafficSimulator(options: TrafficSimulatorOptions): TrafficSimulator {
  const { seed, catalogue, shoppers, now, concurrentSessions = 16 } = options;
  assertSeed(seed);
  if (shoppers.length === 0) throw new RangeError('at least one shopper is needed');
  if (!Number.isInteger(concurrentSessions) || concurrentSessions < 1) {
    throw new RangeError(`concurrentSessions must be a positive integer, got ${concurrentSessions}`);
  }
  for (const shopper of shoppers) {
    if (shopper.taste.length !== LATENT_DIMENSION) throw new RangeError('shopper taste has the wrong dimension');
    if (shopper.userId === undefined && shopper.anonymousId === undefined) {
      throw new RangeError('every shopper needs a userId or an anonymousId');
    }
  }

  const model: CatalogueModel = catalogueModel(catalogue);
  const items = catalogue.items;
  const rng = new Rng(seed, 'sessions');
  const states = shoppers.map((): ShopperState => ({ identified: false, openSessions: 0 }));
  const activityCdf = new Float64Array(shoppers.length);
  shoppers.reduce((sum, s, i) => (activityCdf[i] = sum + Math.max(0, s.activity)), 0);
  const preferenceCache = new Map<number, Preferences>();
  const preferenceCacheSize = Math.max(16, Math.floor(behaviour.preferenceCacheFloats / Math.max(1, items.length)));
  const byType = emptyByType();
  let eventCounter = 0;
  let sessionCounter = 0;
  let orderCounter = 0;
  let lastTimestamp = 0;

  /** Softmax table of the shopper at `position` in `shoppers`, cached (least recently used goes first). */
  function preferencesOf(position: number): Preferences {
    const cached = preferenceCache.get(position);
    if (cached !== undefined) {
      preferenceCache.delete(position); // re-insert: most recently used last
      preferenceCache.set(position, cached);
      return cached;
    }
    const shopper = shoppers[position] as Shopper;
    const taste = Float64Array.from(shopper.taste);
    const { latent, logPopularity } = model;
    const cdf = new Float64Array(items.length);
    let max = -Infinity;
    for (let i = 0, base = 0; i < cdf.length; i++, base += LATENT_DIMENSION) {
      let affinity = 0;
      for (let d = 0; d < LATENT_DIMENSION; d++) affinity += (taste[d] as number) * (latent[base + d] as number);
      const score = shopper.pickiness * affinity + (logPopularity[i] as number);
      cdf[i] = score;
      if (score > max) max = score;
    }
    let total = 0;
    for (let i = 0; i < cdf.length; i++) {
      total += Math.exp((cdf[i] as number) - max);
      cdf[i] = total;
    }
    const preferences = { cdf };
    preferenceCache.set(position, preferences);
    if (preferenceCache.size > preferenceCacheSize) {
      const oldest = preferenceCache.keys().next();
      if (oldest.done !== true) preferenceCache.delete(oldest.value);
    }
    return preferences;
  }

  /** An item index from `candidates`, weighted by the shopper's preferences. */
  function sampleAmong({ cdf }: Preferences, candidates: Int32Array): number {
    const weight = (i: number): number => (cdf[i] as number) - (i > 0 ? (cdf[i - 1] as number) : 0);
    let total = 0;
    for (const i of candidates) total += weight(i);
    let r = rng.next() * total;
    for (const i of candidates) {
      r -= weight(i);
      if (r < 0) return i;
    }
    return candidates[candidates.length - 1] ?? 0;
  }

  function quantity(): number {
    return 1 + rng.weightedIndex(behaviour.quantityWeights);
  }

  function priced(item: SimulatedItem, count: number) {
    return { itemId: item.itemId, quantity: count, price: item.price, currency: item.currency };
  }

  /** A query a shopper would type for an item, and the items it finds. */
  function searchFor(index: number): { query: string; results: Int32Array } {
    const item = items[index] as SimulatedItem;
    const parts = model.titleParts[index];
    const [category = '', subcategory = ''] = item.categories;
    const subResults = model.itemsBySubcategory.get(`${category}/${subcategory}`) ?? new Int32Array([index]);
    const noun = (parts?.noun ?? subcategory).toLowerCase();
    switch (rng.int(5)) {
      case 0:
        return { query: noun, results: subResults };
      case 1:
        return { query: `${parts?.material.toLowerCase() ?? ''} ${noun}`.trim(), results: subResults };
      case 2:
        return { query: `${parts?.adjective.toLowerCase() ?? ''} ${noun}`.trim(), results: subResults };
      case 3:
        return { query: subcategory.replaceAll('-', ' '), results: subResults };
      default:
        return {
          query: category.replaceAll('-', ' '),
          results: model.itemsByCategory[model.categoryIndex[index] ?? 0] ?? subResults,
        };
    }
  }

  function* session(position: number, state: ShopperState, orderId: string): Generator<Step, void, undefined> {
    const shopper = shoppers[position] as Shopper;
    const preferences = preferencesOf(position);
    const anonymous = shopper.userId === undefined;
    const cart = new Map<number, number>();
    let searchResults: Int32Array | undefined;
    let lastItem: number | undefined;

    if (anonymous && !state.identified && rng.chance(behaviour.identifyAtStart)) {
      state.identified = true;
      yield step({ type: 'identify' }, rng.exponential(behaviour.meanClickToViewMs));
    }

    const views = Math.min(behaviour.maxViews, 1 + Math.floor(rng.exponential(behaviour.meanExtraViews)));
    for (let v = 0; v < views; v++) {
      if (v === 0 ? rng.chance(behaviour.searchAtStart) : rng.chance(behaviour.searchMidSession)) {
        const search = searchFor(sampleCdf(preferences.cdf, rng.next()));
        searchResults = search.results;
        yield step({ type: 'search', query: search.query }, rng.exponential(behaviour.meanThinkMs / 4));
      }

      let index: number;
      let source: string;
      if (searchResults !== undefined && rng.chance(behaviour.followSearch)) {
        index = sampleAmong(preferences, searchResults);
        source = 'search';
      } else if (lastItem !== undefined && rng.chance(behaviour.stayInCategory)) {
        const category = model.itemsByCategory[model.categoryIndex[lastItem] ?? 0];
        index = category === undefined ? lastItem : sampleAmong(preferences, category);
        source = 'category';
      } else {
        index = sampleCdf(preferences.cdf, rng.next());
        source = rng.chance(0.5) ? 'home' : 'listing';
      }
      lastItem = index;
      const item = items[index] as SimulatedItem;

      if (rng.chance(behaviour.clickBeforeView)) {
        yield step(
          { type: 'click', itemId: item.itemId, properties: { source } },
          rng.exponential(behaviour.meanClickToViewMs),
        );
      }
      yield step({ type: 'view', itemId: item.itemId, properties: { source } }, rng.exponential(behaviour.meanThinkMs));

      if (item.inStock && rng.chance(behaviour.addToCart)) {
        const count = quantity();
        cart.set(index, (cart.get(index) ?? 0) + count);
        yield step({ type: 'add_to_cart', ...priced(item, count) }, rng.exponential(behaviour.meanThinkMs / 2));
      } else if (cart.size > 0 && rng.chance(behaviour.removeFromCart)) {
        const lines = [...cart.keys()];
        const removed = rng.pick(lines);
        const count = cart.get(removed) ?? 1;
        cart.delete(removed);
        const removedItem = items[removed] as SimulatedItem;
        yield step(
          { type: 'remove_from_cart', ...priced(removedItem, count) },
          rng.exponential(behaviour.meanThinkMs / 2),
        );
      }
    }

    if (cart.size === 0 || !rng.chance(behaviour.purchaseCart)) return;
    if (anonymous && !state.identified && rng.chance(behaviour.identifyAtCheckout)) {
      state.identified = true;
      yield step({ type: 'identify' }, rng.exponential(behaviour.meanThinkMs));
    }
    for (const [index, count] of cart) {
      const item = items[index] as SimulatedItem;
      yield step({ type: 'purchase', ...priced(item, count), properties: { orderId } }, 0);
    }
  }

  function pickShopper(): number {
    let index = sampleCdf(activityCdf, rng.next());
    for (let attempt = 0; attempt < 20 && (states[index]?.openSessions ?? 0) > 0; attempt++) {
      index = sampleCdf(activityCdf, rng.next());
    }
    return index;
  }

  function openSession(at: number): OpenSession {
    const index = pickShopper();
    const shopper = shoppers[index] as Shopper;
    const state = states[index] as ShopperState;
    state.openSessions++;
    sessionCounter++;
    const sessionId = `sess-${seed}-${sessionCounter}`;
    return {
      shopper,
      state,
      sessionId,
      events: session(index, state, `order-${seed}-${sessionCounter}`),
      dueAt: at,
      order: orderCounter++,
    };
  }

  const open: OpenSession[] = [];
  for (let i = 0; i < concurrentSessions; i++) {
    open.push(openSession(rng.exponential(behaviour.meanNextSessionMs * concurrentSessions)));
  }

  /** Slot of the session whose next event is due first (ties: the older session). */
  function earliest(): number {
    let best = 0;
    for (let i = 1; i < open.length; i++) {
      const a = open[i] as OpenSession;
      const b = open[best] as OpenSession;
      if (a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.order < b.order)) best = i;
    }
    return best;
  }

  function stamp(current: OpenSession, draft: Draft): StorefrontEventInput {
    const { type, properties, ...fields } = draft;
    const { shopper, state } = current;
    eventCounter++;
    byType[type]++;
    lastTimestamp = Math.max(lastTimestamp, Math.floor(now()));
    const identity =
      shopper.userId !== undefined
        ? { userId: shopper.userId }
        : state.identified
          ? { userId: shopper.accountUserId, anonymousId: shopper.anonymousId }
          : { anonymousId: shopper.anonymousId };
    return {
      eventId: `sim-${seed}-${eventCounter}`,
      type,
      ...identity,
      sessionId: current.sessionId,
      ...fields,
      timestamp: lastTimestamp,
      ...(properties === undefined ? {} : { properties }),
    };
  }

  function nextEvent(): StorefrontEventInput {
    for (;;) {
      const slot = earliest();
      const current = open[slot] as OpenSession;
      const next = current.events.next();
      if (next.done === true) {
        current.state.openSessions--;
        open[slot] = openSession(current.dueAt + rng.exponential(behaviour.meanNextSessionMs));
        continue;
      }
      const event = stamp(current, next.value.draft);
      current.dueAt += next.value.delayMs;
      return event;
    }
  }

  return {
    nextEvents(n: number): StorefrontEventInput[] {
      if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
      const events: StorefrontEventInput[] = [];
      for (let i = 0; i < n; i++) events.push(nextEvent());
      return events;
    },
    stats: () => ({ events: eventCounter, sessions: sessionCounter, byType: { ...byType } }),
  };
}
