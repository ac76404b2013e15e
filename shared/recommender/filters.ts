/**
 * Ranking shared by every model: catalogue metadata, ranking-time filters and top-k selection
 * with a deterministic tie-break by item id, so two calls with the same scores always agree.
 */
import type { CatalogueEntry, RecommendationFilters, ScoredItem } from './model.ts';

/** Stock state per item: `inStockOnly` keeps only {@link IN_STOCK}. */
export const OUT_OF_STOCK = 0;
export const IN_STOCK = 1;
export const STOCK_UNKNOWN = 2;

/** The JSON form of {@link ItemCatalogue} in an artifact (`catalogue.json`). */
export interface CatalogueJson {
  readonly itemIds: readonly string[];
  readonly categories: readonly (readonly string[])[];
  readonly price: readonly (number | null)[];
  readonly inStock: readonly (boolean | null)[];
}

/**
 * The item universe of a model (catalogue items and items seen only in interactions) with the
 * metadata filters need. Item indices here are the row indices of every model's arrays.
 */
export class ItemCatalogue {
  readonly itemIds: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  /** Categories per item, most general first; empty for items missing from the catalogue. */
  readonly categories: readonly (readonly string[])[];
  /** NaN when unknown. */
  readonly price: Float32Array;
  readonly stock: Uint8Array;

  constructor(json: CatalogueJson) {
    this.itemIds = json.itemIds;
    this.index = new Map(json.itemIds.map((id, i) => [id, i]));
    this.categories = json.categories;
    this.price = Float32Array.from(json.price, (p) => (p === null ? Number.NaN : p));
    this.stock = Uint8Array.from(json.inStock, (s) => (s === null ? STOCK_UNKNOWN : s ? IN_STOCK : OUT_OF_STOCK));
  }

  /** Metadata of `entries` laid out in the order of `itemIds` (the model's item index). */
  static build(itemIds: readonly string[], entries: readonly CatalogueEntry[]): ItemCatalogue {
    const byId = new Map(entries.map((e) => [e.itemId, e]));
    return new ItemCatalogue({
      itemIds,
      categories: itemIds.map((id) => byId.get(id)?.categories ?? []),
      price: itemIds.map((id) => byId.get(id)?.price ?? null),
      inStock: itemIds.map((id) => byId.get(id)?.inStock ?? null),
    });
  }

  get size(): number {
    return this.itemIds.length;
  }

  toJSON(): CatalogueJson {
    return {
      itemIds: this.itemIds,
      categories: this.categories,
      price: Array.from(this.price, (p) => (Number.isNaN(p) ? null : p)),
      inStock: Array.from(this.stock, (s) => (s === STOCK_UNKNOWN ? null : s === IN_STOCK)),
    };
  }

  /** Whether the item carries `category` at any level. */
  inCategory(item: number, category: string): boolean {
    return (this.categories[item] ?? []).includes(category);
  }

  /** True when the item passes the metadata filters (category, stock, price); exclusions are separate. */
  matches(item: number, filters: RecommendationFilters | undefined): boolean {
    if (filters === undefined) return true;
    if (filters.category !== undefined && !this.inCategory(item, filters.category)) return false;
    if (filters.inStockOnly === true && this.stock[item] !== IN_STOCK) return false;
    if (filters.minPrice !== undefined || filters.maxPrice !== undefined) {
      const price = this.price[item] as number;
      // An item without a price cannot be shown under a price filter: it might be anything.
      if (Number.isNaN(price)) return false;
      if (filters.minPrice !== undefined && price < filters.minPrice) return false;
      if (filters.maxPrice !== undefined && price > filters.maxPrice) return false;
    }
    return true;
  }
}

/** True when metadata filters are set, so items without metadata (unknown candidates) must go. */
function hasMetadataFilter(filters: RecommendationFilters | undefined): boolean {
  return (
    filters !== undefined &&
    (filters.category !== undefined ||
      filters.inStockOnly === true ||
      filters.minPrice !== undefined ||
      filters.maxPrice !== undefined)
  );
}

export interface RankOptions {
  readonly catalogue: ItemCatalogue;
  /** One score per item index; NaN means "cannot score" and ranks last among known items. */
  readonly scores: ArrayLike<number>;
  readonly count: number;
  readonly filters?: RecommendationFilters;
  /** Item indices to drop (seen or bought, as the caller resolved `excludeSeen` / `excludePurchased`). */
  readonly excluded?: ReadonlySet<number>;
  /** Rank only these ids; ids the model does not know follow the known ones, ordered by id. */
  readonly candidates?: readonly string[];
  /** Shop-language reason for an item that made the list. */
  readonly reason?: (item: number) => string | undefined;
}

/** a ranks before b: higher score, then lower item id (a total order, so rankings are stable). */
function ranksBefore(scoreA: number, idA: string, scoreB: number, idB: string): boolean {
  if (scoreA !== scoreB) return scoreA > scoreB;
  return idA < idB;
}

/**
 * The best `count` items under the filters, best first: a bounded min-heap over the scores, so
 * ranking a 100k-item catalogue costs one pass plus O(n log count) for the items that make it.
 */
export function rankItems(options: RankOptions): ScoredItem[] {
  const { catalogue, scores, filters, excluded, reason } = options;
  const count = Math.max(0, Math.floor(options.count));
  if (count === 0) return [];
  const ids = catalogue.itemIds;
  const explicit = new Set(filters?.excludeItemIds ?? []);
  const scoreOf = (item: number): number => {
    const s = scores[item] as number;
    return Number.isNaN(s) ? Number.NEGATIVE_INFINITY : s;
  };
  const allowed = (item: number): boolean =>
    !(excluded?.has(item) ?? false) && !explicit.has(ids[item] as string) && catalogue.matches(item, filters);

  // Min-heap of the best so far: heap[0] is the weakest kept item.
  const heap: number[] = [];
  const heapScores: number[] = [];
  const weaker = (a: number, b: number): boolean =>
    ranksBefore(
      heapScores[b] as number,
      ids[heap[b] as number] as string,
      heapScores[a] as number,
      ids[heap[a] as number] as string,
    );
  const swap = (a: number, b: number): void => {
    [heap[a], heap[b]] = [heap[b] as number, heap[a] as number];
    [heapScores[a], heapScores[b]] = [heapScores[b] as number, heapScores[a] as number];
  };
  const siftDown = (start: number): void => {
    let at = start;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let weakest = at;
      if (left < heap.length && weaker(left, weakest)) weakest = left;
      if (right < heap.length && weaker(right, weakest)) weakest = right;
      if (weakest === at) return;
      swap(at, weakest);
      at = weakest;
    }
  };
  const offer = (item: number): void => {
    const score = scoreOf(item);
    if (heap.length === count) {
      const top = heap[0] as number;
      if (!ranksBefore(score, ids[item] as string, heapScores[0] as number, ids[top] as string)) return;
      if (!allowed(item)) return;
      heap[0] = item;
      heapScores[0] = score;
      siftDown(0);
      return;
    }
    if (!allowed(item)) return;
    heap.push(item);
    heapScores.push(score);
    let at = heap.length - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!weaker(at, parent)) break;
      swap(at, parent);
      at = parent;
    }
  };

  const unknown: string[] = [];
  if (options.candidates === undefined) {
    for (let item = 0; item < ids.length; item++) offer(item);
  } else {
    const offered = new Set<string>();
    for (const id of options.candidates) {
      if (offered.has(id)) continue;
      offered.add(id);
      const item = catalogue.index.get(id);
      if (item !== undefined) offer(item);
      else if (!explicit.has(id) && !hasMetadataFilter(filters)) unknown.push(id);
    }
  }

  const order = heap.map((item, n) => ({ item, score: heapScores[n] as number }));
  order.sort((a, b) => (ranksBefore(a.score, ids[a.item] as string, b.score, ids[b.item] as string) ? -1 : 1));
  const ranked: ScoredItem[] = order.map(({ item, score }) => {
    const why = reason?.(item);
    // JSON has no infinity: an unscorable item reports 0 but keeps its place at the end.
    const finite = Number.isFinite(score) ? score : 0;
    return why === undefined
      ? { itemId: ids[item] as string, score: finite }
      : { itemId: ids[item] as string, score: finite, reason: why };
  });
  if (ranked.length < count && unknown.length > 0) {
    // Unknown items: after every known one, in id order, with a score below all of them.
    const floor = Math.min(0, ...ranked.map((r) => r.score)) - 1;
    unknown.sort();
    for (const id of unknown.slice(0, count - ranked.length)) ranked.push({ itemId: id, score: floor });
  }
  return ranked;
}
