/**
 * A deterministic synthetic product catalogue. The public part (`items`, `byId`) is what the
 * rest of the local stack serves and recommends; the latent vectors and popularity that drive
 * simulated behaviour stay hidden behind {@link catalogueModel}.
 */
import type { CatalogueItem } from '#shared/catalogue/item.ts';
import { LATENT_DIMENSION, categoryCentroid, normalize, subcategoryOffset } from './latent.ts';
import { Rng, assertSeed } from './random.ts';
import { CATEGORY_TEMPLATES, DESCRIPTION_PHRASES, type CategoryTemplate } from './vocabulary.ts';

/**
 * A generated catalogue item: the shared {@link CatalogueItem} with every field the shop sends
 * set. Ids are `sku-00001`, `sku-00002`, …; categories are the top-level category, then the
 * subcategory (`['kitchen', 'knives']`); prices have two decimals, in EUR.
 */
export type SimulatedItem = CatalogueItem &
  Required<Pick<CatalogueItem, 'title' | 'description' | 'price' | 'currency' | 'inStock'>>;

export interface CatalogueCategory {
  readonly name: string;
  readonly subcategories: readonly string[];
}

export interface Catalogue {
  readonly seed: number;
  readonly items: readonly SimulatedItem[];
  readonly categories: readonly CatalogueCategory[];
  byId(itemId: string): SimulatedItem | undefined;
}

export interface CatalogueOptions {
  readonly seed: number;
  readonly itemCount?: number;
  /** How many of the built-in categories to use (1 to {@link MAX_CATEGORY_COUNT}). */
  readonly categoryCount?: number;
}

export const MAX_CATEGORY_COUNT = CATEGORY_TEMPLATES.length;

/** Zipf exponent of item popularity within a category (rank r gets weight 1 / r^s). */
const ZIPF_EXPONENT = 1.05;
/** Spread of an item's latent vector around its category centroid. */
const ITEM_NOISE = 0.25;
const SUBCATEGORY_WEIGHT = 0.45;
const IN_STOCK_SHARE = 0.95;

/** The words an item's title is made of; searches are built from them. */
export interface TitleParts {
  readonly adjective: string;
  readonly material: string;
  readonly noun: string;
}

/** Simulator-only data, indexed like `catalogue.items`. */
export interface CatalogueModel {
  /** Unit latent vectors, flattened: item i occupies `[i * LATENT_DIMENSION, (i + 1) * LATENT_DIMENSION)`. */
  readonly latent: Float64Array;
  /** Natural log of the item's Zipf popularity weight within its category. */
  readonly logPopularity: Float64Array;
  /** Index into `catalogue.categories` for each item. */
  readonly categoryIndex: Int32Array;
  /** Item indices per category. */
  readonly itemsByCategory: readonly Int32Array[];
  /** Item indices per `category/subcategory`. */
  readonly itemsBySubcategory: ReadonlyMap<string, Int32Array>;
  readonly titleParts: readonly TitleParts[];
  /** Position of each item in `catalogue.items`. */
  readonly indexById: ReadonlyMap<string, number>;
}

const models = new WeakMap<Catalogue, CatalogueModel>();

/** The hidden simulation data of a catalogue made by {@link createCatalogue}. */
export function catalogueModel(catalogue: Catalogue): CatalogueModel {
  const model = models.get(catalogue);
  if (model === undefined) throw new TypeError('catalogue was not created by createCatalogue');
  return model;
}

function assertCount(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

/** Split `total` items over categories with mildly uneven sizes (largest-remainder rounding). */
function categorySizes(rng: Rng, total: number, categoryCount: number): number[] {
  const weights = Array.from({ length: categoryCount }, () => rng.between(0.6, 1.4));
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / sum) * total);
  const sizes = exact.map(Math.floor);
  let missing = total - sizes.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (missing === 0) break;
    sizes[i] = (sizes[i] ?? 0) + 1;
    missing--;
  }
  return sizes;
}

/** A shop-like price: mostly `x.99`, sometimes a plain two-decimal amount. */
function priceFor(rng: Rng, template: CategoryTemplate): number {
  const [min, max] = template.priceRange;
  const raw = Math.exp(rng.between(Math.log(min), Math.log(max)));
  const cents = rng.chance(0.75) ? Math.max(99, Math.round(raw) * 100 - 1) : Math.max(1, Math.round(raw * 100));
  return cents / 100;
}

const label = (slug: string): string => slug.replaceAll('-', ' ');

/**
 * Build the catalogue for a seed. Same seed and options, same catalogue — item for item.
 *
 * @example
 * const catalogue = createCatalogue({ seed: 42 });
 * catalogue.byId('sku-00001')?.title; // e.g. 'Blue Linen Shirt'
 */
export function createCatalogue(options: CatalogueOptions): Catalogue {
  const { seed, itemCount = 3000, categoryCount = 24 } = options;
  assertSeed(seed);
  assertCount('itemCount', itemCount, 1, 999_999);
  assertCount('categoryCount', categoryCount, 1, MAX_CATEGORY_COUNT);

  const rng = new Rng(seed, 'catalogue');
  const templates = CATEGORY_TEMPLATES.slice(0, categoryCount);
  const sizes = categorySizes(rng, itemCount, categoryCount);
  const assignment = rng.shuffled(sizes.flatMap((size, category) => Array<number>(size).fill(category)));

  const items: SimulatedItem[] = [];
  const titleParts: TitleParts[] = [];
  const latent = new Float64Array(itemCount * LATENT_DIMENSION);
  const categoryIndex = new Int32Array(itemCount);
  const members: number[][] = templates.map(() => []);
  const subMembers = new Map<string, number[]>();
  const usedTitles = new Set<string>();
  const idWidth = Math.max(5, String(itemCount).length);

  for (let i = 0; i < itemCount; i++) {
    const category = assignment[i] ?? 0;
    const template = templates[category] as CategoryTemplate;
    const sub = rng.pick(template.subcategories);

    let parts: TitleParts = { adjective: '', material: '', noun: '' };
    let title = '';
    for (let attempt = 0; attempt < 4; attempt++) {
      parts = {
        adjective: rng.pick(template.adjectives),
        material: rng.pick(template.materials),
        noun: rng.pick(sub.nouns),
      };
      title = `${parts.adjective} ${parts.material} ${parts.noun}`;
      if (!usedTitles.has(title)) break;
    }
    usedTitles.add(title);

    const centroid = categoryCentroid(template.name);
    const offset = subcategoryOffset(template.name, sub.slug);
    const vector = normalize(
      centroid.map((c, d) => c + SUBCATEGORY_WEIGHT * (offset[d] ?? 0) + ITEM_NOISE * rng.gaussian()),
    );
    latent.set(vector, i * LATENT_DIMENSION);

    const item: SimulatedItem = {
      itemId: `sku-${String(i + 1).padStart(idWidth, '0')}`,
      title,
      description: `${title}: ${parts.material.toLowerCase()} ${parts.noun.toLowerCase()} from our ${template.name} range (${label(sub.slug)}). ${rng.pick(DESCRIPTION_PHRASES)}`,
      categories: Object.freeze([template.name, sub.slug]),
      price: priceFor(rng, template),
      currency: 'EUR',
      inStock: rng.chance(IN_STOCK_SHARE),
    };
    items.push(Object.freeze(item));
    titleParts.push(parts);
    categoryIndex[i] = category;
    members[category]?.push(i);
    const subKey = `${template.name}/${sub.slug}`;
    const list = subMembers.get(subKey) ?? [];
    list.push(i);
    subMembers.set(subKey, list);
  }

  // Zipf within each category: a random item is the bestseller, another the runner-up, …
  const logPopularity = new Float64Array(itemCount);
  for (const list of members) {
    rng.shuffled(list).forEach((item, rank) => {
      logPopularity[item] = -ZIPF_EXPONENT * Math.log(rank + 1);
    });
  }

  const indexById = new Map(items.map((item, index) => [item.itemId, index]));
  const catalogue: Catalogue = Object.freeze({
    seed,
    items: Object.freeze(items),
    categories: Object.freeze(
      templates.map((t) =>
        Object.freeze({ name: t.name, subcategories: Object.freeze(t.subcategories.map((s) => s.slug)) }),
      ),
    ),
    byId: (itemId: string) => {
      const index = indexById.get(itemId);
      return index === undefined ? undefined : items[index];
    },
  });
  models.set(catalogue, {
    latent,
    logPopularity,
    categoryIndex,
    itemsByCategory: members.map((list) => Int32Array.from(list)),
    itemsBySubcategory: new Map([...subMembers].map(([key, list]) => [key, Int32Array.from(list)])),
    titleParts,
    indexById,
  });
  return catalogue;
}
