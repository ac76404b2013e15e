/**
 * A seeded interaction history over a large catalogue, fast enough for 100,000 items.
 *
 * The storefront simulator picks every item with a softmax over the whole catalogue, about
 * 0.65 ms per event at 100k items (65 s for 100k events, covering only ~18k items), so the
 * serving benchmark generates its history directly: each shopper has one to three favourite
 * categories of the simulator's catalogue and picks items there with a Zipf-like skew (a few
 * bestsellers, a long tail), plus some picks anywhere in the catalogue. What matters for the
 * serving path is the shape of the model (every item known, 64 factors, neighbour lists), not
 * the quality of its answers.
 */
import type { Catalogue } from '#local/simulator/index.ts';
import type { Interaction } from '#shared/recommender/model.ts';
import { mulberry32 } from '#shared/random.ts';

/** The project's seeded PRNG (mulberry32). */
export const seededRandom = mulberry32;

export interface HistoryOptions {
  readonly seed: number;
  readonly shoppers: number;
  /** Mean interactions per shopper (geometric-ish around it, at least 2). */
  readonly meanPerShopper: number;
  /** Epoch ms of the last interaction; the history spans the week before it. */
  readonly end: number;
  /** Shopper ids: `${prefix}${n}`, n from 1. */
  readonly userPrefix: string;
}

/** Items of the catalogue grouped by top-level category, in catalogue order. */
function itemsByCategory(catalogue: Catalogue): string[][] {
  const groups = new Map<string, string[]>();
  for (const item of catalogue.items) {
    const category = item.categories[0] ?? '';
    let list = groups.get(category);
    if (list === undefined) groups.set(category, (list = []));
    list.push(item.itemId);
  }
  return [...groups.values()];
}

export function syntheticHistory(catalogue: Catalogue, options: HistoryOptions): Interaction[] {
  const random = seededRandom(options.seed);
  const groups = itemsByCategory(catalogue);
  const all = catalogue.items;
  const start = options.end - 7 * 24 * 60 * 60 * 1000;
  const interactions: Interaction[] = [];
  // Skewed index into a list: u^3 puts most picks on the first items (the bestsellers).
  const skewed = (list: readonly string[]) => list[Math.floor(list.length * random() ** 3)] as string;
  for (let n = 1; n <= options.shoppers; n++) {
    const userId = `${options.userPrefix}${n}`;
    const favourites = Array.from(
      { length: 1 + Math.floor(random() * 3) },
      () => groups[Math.floor(random() * groups.length)] as string[],
    );
    const count = Math.max(2, Math.round(-Math.log(1 - random()) * options.meanPerShopper));
    let at = start + random() * (options.end - start) * 0.5;
    for (let i = 0; i < count; i++) {
      const pickAnywhere = random() < 0.15;
      const itemId = pickAnywhere
        ? (all[Math.floor(random() * all.length)]?.itemId ?? '')
        : skewed(favourites[Math.floor(random() ** 1.5 * favourites.length)] as string[]);
      const roll = random();
      const eventType = roll < 0.08 ? 'purchase' : roll < 0.2 ? 'add_to_cart' : 'view';
      at = Math.min(options.end, at + random() * 3_600_000);
      interactions.push({ userId, itemId, timestamp: Math.floor(at / 1000), eventType });
    }
  }
  return interactions;
}
