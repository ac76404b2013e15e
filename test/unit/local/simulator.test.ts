import { describe, expect, it } from 'vitest';
import { ITEM_EVENT_TYPES } from '#shared/config/index.ts';
import { storefrontEventSchema, type StorefrontEventInput } from '#shared/events/schema.ts';
import { catalogueModel } from '#local/simulator/catalogue.ts';
import { LATENT_DIMENSION } from '#local/simulator/latent.ts';
import {
  MAX_CATEGORY_COUNT,
  createCatalogue,
  createShoppers,
  createTrafficSimulator,
  type Catalogue,
  type Shopper,
} from '#local/simulator/index.ts';

const CLOCK = 1_700_000_000_000;
const fixedClock = (): number => CLOCK;

function world(seed: number): { catalogue: Catalogue; shoppers: Shopper[] } {
  const catalogue = createCatalogue({ seed });
  return { catalogue, shoppers: createShoppers({ seed, catalogue }) };
}

function simulate(seed: number, count: number, now: () => number = fixedClock): StorefrontEventInput[] {
  const { catalogue, shoppers } = world(seed);
  return createTrafficSimulator({ seed, catalogue, shoppers, now }).nextEvents(count);
}

/** The shopper an event belongs to: anonymous id first, since identified shoppers carry both. */
/** What `crypto.randomUUID` makes, as the storefront SDK's anonymous ids. */
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const shopperOf = (event: StorefrontEventInput): string => event.anonymousId ?? event.userId ?? '';

const itemEventTypes: ReadonlySet<string> = new Set(ITEM_EVENT_TYPES);

describe('Simulator: catalogue', () => {
  it('is identical for the same seed, latent vectors included', () => {
    // Prepare
    const seed = 42;

    // Act
    const first = createCatalogue({ seed });
    const second = createCatalogue({ seed });

    // Assess
    expect(second.items).toEqual(first.items);
    expect(second.categories).toEqual(first.categories);
    expect(catalogueModel(second).latent).toEqual(catalogueModel(first).latent);
    expect(catalogueModel(second).logPopularity).toEqual(catalogueModel(first).logPopularity);
  });

  it('differs for a different seed', () => {
    // Act
    const first = createCatalogue({ seed: 1 });
    const second = createCatalogue({ seed: 2 });

    // Assess
    const sameTitles = first.items.filter((item, i) => second.items[i]?.title === item.title).length;
    expect(sameTitles).toBeLessThan(first.items.length / 10);
  });

  it('has 3000 well-formed items in 24 shop categories by default', () => {
    // Act
    const catalogue = createCatalogue({ seed: 7 });

    // Assess
    expect(catalogue.items).toHaveLength(3000);
    expect(catalogue.categories).toHaveLength(24);
    expect(catalogue.items[0]?.itemId).toBe('sku-00001');
    expect(catalogue.items[2999]?.itemId).toBe('sku-03000');
    expect(new Set(catalogue.items.map((item) => item.itemId)).size).toBe(3000);
    const names = new Set(catalogue.categories.map((c) => c.name));
    expect(names).toContain('kitchen');
    expect(names).toContain('garden');
    expect(names).toContain('toys');
    for (const item of catalogue.items) {
      const [category, subcategory] = item.categories;
      expect(names.has(category ?? '')).toBe(true);
      expect(catalogue.categories.find((c) => c.name === category)?.subcategories).toContain(subcategory);
      expect(item.title).toMatch(/^[A-Z0-9][\w' -]+$/);
      expect(item.description.startsWith(item.title)).toBe(true);
      expect(item.price).toBeGreaterThan(0);
      expect(Math.round(item.price * 100) / 100).toBe(item.price);
      expect(item.currency).toBe('EUR');
    }
    const usedCategories = new Set(catalogue.items.map((item) => item.categories[0]));
    expect(usedCategories.size).toBe(24);
  });

  it('keeps about 95% of items in stock', () => {
    // Act
    const catalogue = createCatalogue({ seed: 3 });

    // Assess
    const inStock = catalogue.items.filter((item) => item.inStock).length / catalogue.items.length;
    expect(inStock).toBeGreaterThan(0.92);
    expect(inStock).toBeLessThan(0.98);
  });

  it('finds items by id and returns undefined for unknown ids', () => {
    // Prepare
    const catalogue = createCatalogue({ seed: 5, itemCount: 50, categoryCount: 4 });

    // Act
    const found = catalogue.byId('sku-00050');
    const missing = catalogue.byId('sku-00051');

    // Assess
    expect(found).toBe(catalogue.items[49]);
    expect(missing).toBeUndefined();
    expect(catalogue.categories.map((c) => c.name)).toHaveLength(4);
  });

  it('gives every item a unit latent vector close to its category', () => {
    // Prepare
    const catalogue = createCatalogue({ seed: 11 });
    const { latent, categoryIndex } = catalogueModel(catalogue);
    const vector = (i: number): number[] =>
      Array.from(latent.subarray(i * LATENT_DIMENSION, (i + 1) * LATENT_DIMENSION));
    const cosine = (a: number[], b: number[]): number => a.reduce((sum, x, d) => sum + x * (b[d] ?? 0), 0);

    // Act
    const byCategory = (category: number): number[] =>
      catalogue.items.map((_, i) => i).filter((i) => categoryIndex[i] === category);
    const kitchen = byCategory(2).slice(0, 40);
    const garden = byCategory(3).slice(0, 40);
    const meanCosine = (a: number[], b: number[]): number =>
      a.reduce((sum, i, k) => sum + cosine(vector(i), vector(b[k] ?? i)), 0) / a.length;

    // Assess
    for (let i = 0; i < catalogue.items.length; i++) expect(Math.hypot(...vector(i))).toBeCloseTo(1, 9);
    const within = meanCosine(kitchen, [...kitchen].reverse());
    const across = meanCosine(kitchen, garden);
    expect(within).toBeGreaterThan(0.45);
    expect(within - across).toBeGreaterThan(0.3);
  });

  it('rejects impossible options', () => {
    // Assess
    expect(() => createCatalogue({ seed: 1, categoryCount: 0 })).toThrow(RangeError);
    expect(() => createCatalogue({ seed: 1, categoryCount: MAX_CATEGORY_COUNT + 1 })).toThrow(RangeError);
    expect(() => createCatalogue({ seed: 1, itemCount: 0 })).toThrow(RangeError);
    expect(() => createCatalogue({ seed: 1.5 })).toThrow(RangeError);
  });
});

describe('Simulator: shoppers', () => {
  it('is identical for the same seed and differs for another', () => {
    // Prepare
    const catalogue = createCatalogue({ seed: 1 });

    // Act
    const first = createShoppers({ seed: 1, catalogue });
    const second = createShoppers({ seed: 1, catalogue });
    const other = createShoppers({ seed: 2, catalogue });

    // Assess
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('signs in u1 … uK contiguously, makes the rest anonymous, and u1 the most active', () => {
    // Act
    const shoppers = createShoppers({ seed: 9 });

    // Assess
    expect(shoppers).toHaveLength(500);
    const signedIn = shoppers.filter((s) => s.userId !== undefined);
    const anonymous = shoppers.filter((s) => s.anonymousId !== undefined);
    expect(signedIn.length + anonymous.length).toBe(500);
    // Most shoppers browse anonymously (the default signed-in share is 0.3).
    expect(signedIn.length).toBe(150);
    expect(anonymous.length).toBe(350);
    expect(signedIn.map((s) => s.userId)).toEqual(signedIn.map((_, i) => `u${i + 1}`));
    expect(shoppers[0]?.userId).toBe('u1');
    expect(shoppers[0]?.activity).toBe(Math.max(...shoppers.map((s) => s.activity)));
    for (const shopper of anonymous) {
      expect(shopper.userId).toBeUndefined();
      expect(shopper.anonymousId).toMatch(UUID_V4);
    }
    expect(new Set(anonymous.map((s) => s.anonymousId)).size).toBe(anonymous.length);
    expect(new Set(shoppers.map((s) => s.accountUserId)).size).toBe(500);
  });

  it('gives each shopper one to three favourite categories and a unit taste vector', () => {
    // Prepare
    const catalogue = createCatalogue({ seed: 4, categoryCount: 10 });

    // Act
    const shoppers = createShoppers({ seed: 4, catalogue, shopperCount: 200 });

    // Assess
    const names = new Set(catalogue.categories.map((c) => c.name));
    for (const shopper of shoppers) {
      expect(shopper.favouriteCategories.length).toBeGreaterThanOrEqual(1);
      expect(shopper.favouriteCategories.length).toBeLessThanOrEqual(3);
      expect(new Set(shopper.favouriteCategories).size).toBe(shopper.favouriteCategories.length);
      for (const name of shopper.favouriteCategories) expect(names.has(name)).toBe(true);
      expect(shopper.taste).toHaveLength(LATENT_DIMENSION);
      expect(Math.hypot(...shopper.taste)).toBeCloseTo(1, 9);
      expect(shopper.activity).toBeGreaterThan(0);
    }
  });

  it('always has u1, even with no signed-in share', () => {
    // Act
    const shoppers = createShoppers({ seed: 1, shopperCount: 3, signedInShare: 0 });

    // Assess
    expect(shoppers[0]?.userId).toBe('u1');
    expect(shoppers.slice(1).map((s) => [s.userId, UUID_V4.test(s.anonymousId ?? '')])).toEqual([
      [undefined, true],
      [undefined, true],
    ]);
  });
});

describe('Simulator: sessions', () => {
  it('produces identical events for the same seed', () => {
    // Act
    const first = simulate(21, 1000);
    const second = simulate(21, 1000);

    // Assess
    expect(second).toEqual(first);
  });

  it('produces different events for a different seed', () => {
    // Act
    const first = simulate(21, 1000);
    const second = simulate(22, 1000);

    // Assess
    expect(second.map((e) => e.itemId)).not.toEqual(first.map((e) => e.itemId));
    expect(second[0]?.eventId).toBe('sim-22-1');
  });

  it('continues the same stream however the pulls are split', () => {
    // Prepare
    const { catalogue, shoppers } = world(8);
    const whole = createTrafficSimulator({ seed: 8, catalogue, shoppers, now: fixedClock });
    const pieces = createTrafficSimulator({ seed: 8, catalogue, shoppers, now: fixedClock });

    // Act
    const all = whole.nextEvents(300);
    const split = [
      ...pieces.nextEvents(1),
      ...pieces.nextEvents(0),
      ...pieces.nextEvents(99),
      ...pieces.nextEvents(200),
    ];

    // Assess
    expect(split).toEqual(all);
  });

  it('generates 5,000 events that all pass the API schema and the storefront rules', () => {
    // Prepare
    const { catalogue, shoppers } = world(5);
    const simulator = createTrafficSimulator({ seed: 5, catalogue, shoppers, now: fixedClock });

    // Act
    const events = simulator.nextEvents(5000);

    // Assess
    const failures = events
      .map((event, index) => ({ index, result: storefrontEventSchema.safeParse(event) }))
      .filter(({ result }) => !result.success);
    expect(failures).toEqual([]);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(5000);
    for (const event of events) {
      expect(event.timestamp).toBe(CLOCK);
      expect(event.sessionId).toMatch(/^sess-5-\d+$/);
      if (itemEventTypes.has(event.type)) {
        expect(event.itemId).toBeDefined();
        expect(catalogue.byId(event.itemId ?? '')).toBeDefined();
      } else {
        expect(event.itemId).toBeUndefined();
      }
      if (event.type === 'purchase') {
        expect(event.quantity).toBeGreaterThanOrEqual(1);
        expect(event.price).toBe(catalogue.byId(event.itemId ?? '')?.price);
        expect(event.currency).toBe('EUR');
        expect(event.properties?.['orderId']).toMatch(/^order-5-\d+$/);
      }
      if (event.type === 'add_to_cart') expect(catalogue.byId(event.itemId ?? '')?.inStock).toBe(true);
      if (event.type === 'identify') {
        expect(event.userId).toMatch(/^u\d+$/);
        expect(event.anonymousId).toMatch(UUID_V4);
      }
      if (event.type === 'search') expect(event.query?.length).toBeGreaterThan(0);
    }
    const stats = simulator.stats();
    expect(stats.events).toBe(5000);
    for (const type of [
      'view',
      'click',
      'add_to_cart',
      'remove_from_cart',
      'purchase',
      'search',
      'identify',
    ] as const) {
      expect(stats.byType[type], type).toBeGreaterThan(0);
      expect(stats.byType[type]).toBe(events.filter((e) => e.type === type).length);
    }
  });

  it('adds about 10% of views to the cart and buys a minority of carts', () => {
    // Act
    const events = simulate(13, 10_000);

    // Assess
    const count = (type: string): number => events.filter((e) => e.type === type).length;
    const addRate = count('add_to_cart') / count('view');
    expect(addRate).toBeGreaterThan(0.07);
    expect(addRate).toBeLessThan(0.13);
    const carts = new Set(events.filter((e) => e.type === 'add_to_cart').map((e) => e.sessionId));
    const orders = new Set(events.filter((e) => e.type === 'purchase').map((e) => e.sessionId));
    expect(orders.size / carts.size).toBeGreaterThan(0.15);
    expect(orders.size / carts.size).toBeLessThan(0.45);
  });

  it('keeps an anonymous shopper signed in after identify, with the same account every time', () => {
    // Prepare
    const { catalogue, shoppers } = world(17);
    const signedIn = new Set(shoppers.flatMap((s) => (s.userId === undefined ? [] : [s.userId])));

    // Act
    const events = createTrafficSimulator({ seed: 17, catalogue, shoppers, now: fixedClock }).nextEvents(8000);

    // Assess
    const accountOf = new Map<string, string>();
    for (const event of events) {
      const anonymousId = event.anonymousId;
      if (anonymousId === undefined) {
        expect(signedIn.has(event.userId ?? '')).toBe(true);
        continue;
      }
      if (event.type === 'identify') {
        expect(accountOf.has(anonymousId)).toBe(false); // one sign-in per shopper
        expect(signedIn.has(event.userId ?? '')).toBe(false);
        accountOf.set(anonymousId, event.userId ?? '');
      } else {
        expect(event.userId).toBe(accountOf.get(anonymousId));
      }
    }
    expect(accountOf.size).toBeGreaterThan(5);
  });

  it('interleaves concurrent sessions in time order and stamps the injected clock', () => {
    // Prepare
    let clock = CLOCK;
    const ticking = (): number => (clock += 7);

    // Act
    const events = simulate(3, 400, ticking);

    // Assess
    const sessions = events.map((e) => e.sessionId);
    expect(new Set(sessions.slice(0, 100)).size).toBeGreaterThanOrEqual(8);
    const switches = sessions.filter((id, i) => i > 0 && id !== sessions[i - 1]).length;
    expect(switches).toBeGreaterThan(100);
    const stamps = events.map((e) => e.timestamp as number);
    expect(stamps[0]).toBe(CLOCK + 7);
    expect(stamps.every((t, i) => i === 0 || t > (stamps[i - 1] ?? 0))).toBe(true);
  });

  it('biases each shopper towards their favourite categories', () => {
    // Prepare
    const { catalogue, shoppers } = world(31);
    const byIdentity = new Map(shoppers.map((s) => [s.anonymousId ?? s.userId ?? '', s]));
    const categoryCount = catalogue.categories.length;

    // Act
    const events = createTrafficSimulator({ seed: 31, catalogue, shoppers, now: fixedClock }).nextEvents(10_000);

    // Assess
    const views = new Map<Shopper, { favourite: number; all: number }>();
    for (const event of events) {
      if (event.type !== 'view') continue;
      const shopper = byIdentity.get(shopperOf(event));
      expect(shopper).toBeDefined();
      if (shopper === undefined) continue;
      const tally = views.get(shopper) ?? { favourite: 0, all: 0 };
      tally.all++;
      if (shopper.favouriteCategories.includes(catalogue.byId(event.itemId ?? '')?.categories[0] ?? '')) {
        tally.favourite++;
      }
      views.set(shopper, tally);
    }
    const regulars = [...views].filter(([, tally]) => tally.all >= 20);
    expect(regulars.length).toBeGreaterThanOrEqual(20);
    const lifts = regulars.map(
      ([shopper, tally]) => tally.favourite / tally.all / (shopper.favouriteCategories.length / categoryCount),
    );
    const strongLift = lifts.filter((lift) => lift > 2).length;
    expect(strongLift / lifts.length).toBeGreaterThan(0.75);
    const favourite = regulars.reduce((sum, [, t]) => sum + t.favourite, 0);
    const uniform = regulars.reduce((sum, [s, t]) => sum + (t.all * s.favouriteCategories.length) / categoryCount, 0);
    expect(favourite / uniform).toBeGreaterThan(3);
  });

  it('skews views towards popular items', () => {
    // Prepare
    const { catalogue } = world(41);

    // Act
    const events = simulate(41, 10_000);

    // Assess
    const perItem = new Map<string, number>();
    for (const event of events) {
      if (event.type === 'view') perItem.set(event.itemId ?? '', (perItem.get(event.itemId ?? '') ?? 0) + 1);
    }
    const counts = catalogue.items.map((item) => perItem.get(item.itemId) ?? 0).sort((a, b) => b - a);
    const total = counts.reduce((a, b) => a + b, 0);
    const top = counts.slice(0, catalogue.items.length / 10).reduce((a, b) => a + b, 0);
    expect(top / total).toBeGreaterThan(0.3);
  });

  it('generates 10,000 events in well under a second', () => {
    // Prepare
    const { catalogue, shoppers } = world(99);
    const simulator = createTrafficSimulator({ seed: 99, catalogue, shoppers, now: fixedClock });

    // Act: CPU time rather than wall time, so a busy CI machine does not make this flaky
    const started = process.cpuUsage();
    simulator.nextEvents(10_000);
    const { user, system } = process.cpuUsage(started);

    // Assess
    expect((user + system) / 1000).toBeLessThan(1000);
  });

  it('draws sessions only from the shoppers it is given', () => {
    // Prepare
    const { catalogue, shoppers } = world(6);
    const few = shoppers.slice(290, 310);
    const identities = new Set(few.map((s) => s.anonymousId ?? s.userId));

    // Act
    const events = createTrafficSimulator({ seed: 6, catalogue, shoppers: few, now: fixedClock }).nextEvents(2000);

    // Assess
    for (const event of events) {
      expect(identities.has(shopperOf(event))).toBe(true);
      expect(storefrontEventSchema.safeParse(event).success).toBe(true);
    }
  });

  it('rejects invalid arguments', () => {
    // Prepare
    const { catalogue, shoppers } = world(1);
    const simulator = createTrafficSimulator({ seed: 1, catalogue, shoppers, now: fixedClock });

    // Assess
    expect(() => simulator.nextEvents(-1)).toThrow(RangeError);
    expect(() => simulator.nextEvents(1.5)).toThrow(RangeError);
    expect(() => createTrafficSimulator({ seed: 1, catalogue, shoppers: [], now: fixedClock })).toThrow(RangeError);
    const nobody = { ...shoppers[1], userId: undefined, anonymousId: undefined } as Shopper;
    expect(() => createTrafficSimulator({ seed: 1, catalogue, shoppers: [nobody], now: fixedClock })).toThrow(
      RangeError,
    );
    expect(() => createTrafficSimulator({ seed: 1, catalogue: { ...catalogue }, shoppers, now: fixedClock })).toThrow(
      TypeError,
    );
  });
});
