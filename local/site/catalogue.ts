import { isDeleted, type CatalogueEntry } from '#shared/catalogue/item.ts';
import type { CatalogueSource } from '#shared/catalogue/catalogueIndex.ts';
import type { Clock } from '#shared/ports/index.ts';

/** A product as the shop's pages show it. */
export interface ShopProduct {
  readonly itemId: string;
  readonly title: string;
  readonly description: string;
  /** Top-level category (`kitchen`), then the subcategory (`knives`); empty when the item has none. */
  readonly category: string;
  readonly subcategory: string;
  readonly price: number | null;
  readonly currency: string;
  readonly inStock: boolean;
}

export interface ShopCategory {
  readonly name: string;
  readonly count: number;
}

/** The live catalogue as the shop lists it: products by id, by category, in id order. */
export interface CatalogueSnapshot {
  readonly products: readonly ShopProduct[];
  readonly byId: ReadonlyMap<string, ShopProduct>;
  readonly byCategory: ReadonlyMap<string, readonly ShopProduct[]>;
  readonly categories: readonly ShopCategory[];
}

const productOf = (entry: CatalogueEntry): ShopProduct | undefined => {
  if (isDeleted(entry) || entry.recommendable === false) return undefined;
  const [category = '', subcategory = ''] = entry.categories;
  return {
    itemId: entry.itemId,
    title: entry.title ?? entry.itemId,
    description: entry.description ?? '',
    category,
    subcategory,
    price: entry.price ?? null,
    currency: entry.currency ?? 'EUR',
    inStock: entry.inStock !== false,
  };
};

function snapshotOf(products: ShopProduct[]): CatalogueSnapshot {
  products.sort((a, b) => (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0));
  // Maps from null: ids and category names come from the catalogue, and `constructor` is a fine product id.
  const byCategory = new Map<string, ShopProduct[]>();
  for (const product of products) {
    const list = byCategory.get(product.category);
    if (list) list.push(product);
    else byCategory.set(product.category, [product]);
  }
  return {
    products,
    byId: new Map(products.map((product) => [product.itemId, product])),
    byCategory,
    categories: [...byCategory]
      .filter(([name]) => name !== '')
      .map(([name, list]) => ({ name, count: list.length }))
      .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1)),
  };
}

export interface ShopCatalogueOptions {
  /** The live catalogue (the feature table's `byCatalogue` index). */
  readonly source: CatalogueSource;
  readonly clock: Clock;
  /** How long a listing is served before it is read again (in the background). @default 15000 */
  readonly maxAgeMs?: number;
}

/**
 * The shop's view of the live catalogue, read whole through the catalogue index and kept for `maxAgeMs`: the shop
 * lists a few thousand items, and a page must not wait for eight index queries. An older listing is served while a
 * fresh one is read, so only the first request waits.
 */
export class ShopCatalogue {
  private current: { readonly at: number; readonly snapshot: CatalogueSnapshot } | undefined;
  private loading: Promise<CatalogueSnapshot> | undefined;
  private readonly maxAgeMs: number;

  constructor(private readonly options: ShopCatalogueOptions) {
    this.maxAgeMs = options.maxAgeMs ?? 15_000;
  }

  async snapshot(): Promise<CatalogueSnapshot> {
    const current = this.current;
    if (current !== undefined && this.options.clock.now() - current.at < this.maxAgeMs) return current.snapshot;
    const loading = this.load();
    if (current === undefined) return loading;
    // Stale: answer now; a failed refresh leaves the older listing in place and is tried again next time.
    loading.catch(() => undefined);
    return current.snapshot;
  }

  private load(): Promise<CatalogueSnapshot> {
    this.loading ??= (async () => {
      try {
        const at = this.options.clock.now();
        const products: ShopProduct[] = [];
        for await (const entry of this.options.source.listCatalogue()) {
          const product = productOf(entry);
          if (product !== undefined) products.push(product);
        }
        const snapshot = snapshotOf(products);
        // An empty catalogue is not kept: `npm start` uploads it just after the site starts.
        if (products.length > 0) this.current = { at, snapshot };
        return snapshot;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}
