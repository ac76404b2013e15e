/**
 * Ranking shared by every model: catalogue metadata, ranking-time filters and top-k selection
 * with a deterministic tie-break by item id, so two calls with the same scores always agree.
 */
import type { CatalogueItem, RecommendationFilters, ScoredItem } from './model.ts';

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
  /** Per item, whether it may be recommended; absent when every item may (the default). */
  readonly recommendable?: readonly boolean[];
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
  /**
   * 0 for an item the shop never wants recommended (`recommendable: false`: postage, fees, vouchers):
   * it is never ranked into a list nor named in a reason. Undefined when every item may be.
   */
  readonly notRecommendable: Uint8Array | undefined;

  constructor(json: CatalogueJson) {
    this.itemIds = json.itemIds;
    this.index = new Map(json.itemIds.map((id, i) => [id, i]));
    this.categories = json.categories;
    this.price = Float32Array.from(json.price, (p) => (p === null ? Number.NaN : p));
    this.stock = Uint8Array.from(json.inStock, (s) => (s === null ? STOCK_UNKNOWN : s ? IN_STOCK : OUT_OF_STOCK));
    const flags = json.recommendable;
    this.notRecommendable =
      flags !== undefined && flags.includes(false) ? Uint8Array.from(flags, (r) => (r ? 0 : 1)) : undefined;
  }

  /** Whether the item may be recommended or named in a reason. */
  isRecommendable(item: number): boolean {
    return this.notRecommendable === undefined || this.notRecommendable[item] !== 1;
  }

  /** Metadata of `entries` laid out in the order of `itemIds` (the model's item index). */
  static build(itemIds: readonly string[], entries: readonly CatalogueItem[]): ItemCatalogue {
    const byId = new Map(entries.map((e) => [e.itemId, e]));
    return new ItemCatalogue({
      itemIds,
      categories: itemIds.map((id) => byId.get(id)?.categories ?? []),
      price: itemIds.map((id) => byId.get(id)?.price ?? null),
      inStock: itemIds.map((id) => byId.get(id)?.inStock ?? null),
      recommendable: itemIds.map((id) => byId.get(id)?.recommendable !== false),
    });
  }

  get size(): number {
    return this.itemIds.length;
  }

  #idOrder: Uint32Array | undefined;
  #marks: Uint8Array | undefined;

  /** A zeroed scratch byte per item; whoever sets marks clears them before returning. */
  marks(): Uint8Array {
    return (this.#marks ??= new Uint8Array(this.itemIds.length));
  }

  /** Position of each item's id in id order (built once): ties in ranking compare integers, not strings. */
  idOrder(): Uint32Array {
    if (this.#idOrder === undefined) {
      const sorted = Array.from(this.itemIds.keys()).sort((a, b) => {
        const x = this.itemIds[a] as string;
        const y = this.itemIds[b] as string;
        return x < y ? -1 : x > y ? 1 : 0;
      });
      const order = new Uint32Array(this.itemIds.length);
      sorted.forEach((item, position) => (order[item] = position));
      this.#idOrder = order;
    }
    return this.#idOrder;
  }

  toJSON(): CatalogueJson {
    return {
      itemIds: this.itemIds,
      categories: this.categories,
      price: Array.from(this.price, (p) => (Number.isNaN(p) ? null : p)),
      inStock: Array.from(this.stock, (s) => (s === STOCK_UNKNOWN ? null : s === IN_STOCK)),
      // Written only when some item is not recommendable: an artifact without such items keeps a catalogue of ids
      // and metadata only.
      ...(this.notRecommendable === undefined
        ? {}
        : { recommendable: Array.from(this.notRecommendable, (n) => n === 0) }),
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
  /**
   * `candidates` already resolved by the caller (see {@link resolveCandidates}), so the ids are
   * looked up once per request; takes precedence over `candidates`.
   */
  readonly resolved?: ResolvedCandidates;
  /** Shop-language reason for an item that made the list. */
  readonly reason?: (item: number) => string | undefined;
  /**
   * The largest of every `size` scores (NaN counted as −∞, as here), when the scorer has them at
   * hand: a whole-catalogue ranking then skips each block whose largest score cannot enter the list.
   */
  readonly blockMaxima?: BlockMaxima;
}

/** The largest score of each block of `size` items (item i is in block ⌊i / size⌋), NaN counted as −∞. */
export interface BlockMaxima {
  readonly size: number;
  readonly maxima: Float32Array;
}

/** Candidate ids as item indices (first occurrence only) and the ids the model does not know. */
export interface ResolvedCandidates {
  readonly indices: readonly number[];
  readonly unknown: readonly string[];
}

/** The reason of a candidate the model knows nothing about. */
export const UNKNOWN_ITEM_REASON = 'not enough data';

/**
 * The reason of a candidate the shop marked `recommendable: false`. A ranking request that names
 * such an item still gets it back (the caller is ordering its own page), but after every other
 * candidate, known or unknown, in the order asked for: the model never argues for it.
 */
export const NOT_RECOMMENDED_REASON = 'not recommended';

/** Looks every candidate id up once: known ones as indices, duplicates dropped, unknown ones kept by id. */
export function resolveCandidates(catalogue: ItemCatalogue, candidates: readonly string[]): ResolvedCandidates {
  const indices: number[] = [];
  const unknown: string[] = [];
  // Known duplicates are caught by a per-catalogue mark array (cleared below), unknown ones by id.
  const marks = catalogue.marks();
  for (const id of candidates) {
    const item = catalogue.index.get(id);
    if (item === undefined) {
      if (!unknown.includes(id)) unknown.push(id);
    } else if (marks[item] === 0) {
      marks[item] = 1;
      indices.push(item);
    }
  }
  for (const item of indices) marks[item] = 0;
  return { indices, unknown };
}

/**
 * A bounded min-heap of item indices by (score, id order), in typed arrays reused across calls:
 * ranking must not allocate per item, or a 100k-item catalogue feeds the garbage collector.
 */
let heapItems = new Int32Array(256);
let heapScores = new Float64Array(256);

/**
 * The best `count` items under the filters, best first: a bounded min-heap over the scores, so
 * ranking a 100k-item catalogue costs one pass plus O(n log count) for the items that make it.
 * Filters are checked only for items good enough to enter the heap. Ties go to the lower item id.
 */
export function rankItems(options: RankOptions): ScoredItem[] {
  const { catalogue, scores, filters, excluded, reason } = options;
  // NaN asks for nothing.
  const count = Math.max(0, Math.floor(options.count)) || 0;
  if (count === 0) return [];
  const ids = catalogue.itemIds;
  const order = catalogue.idOrder();
  const explicit = filters?.excludeItemIds;
  let explicitItems: Set<number> | undefined;
  if (explicit !== undefined && explicit.length > 0) {
    explicitItems = new Set<number>();
    for (const id of explicit) {
      const item = catalogue.index.get(id);
      if (item !== undefined) explicitItems.add(item);
    }
  }
  const metadata = hasMetadataFilter(filters);
  const blocked = catalogue.notRecommendable;
  // Non-recommendable candidates the request named, in the order asked for: listed after the rest.
  const held: number[] = [];
  const skip = excluded !== undefined && excluded.size > 0 ? excluded : undefined;
  // The heap never holds more than the catalogue, however many items are asked for.
  const capacity = Math.min(count, ids.length);
  if (heapItems.length < capacity) {
    heapItems = new Int32Array(capacity);
    heapScores = new Float64Array(capacity);
  }
  const items = heapItems;
  const keys = heapScores;
  let size = 0;

  const offer = (item: number): void => {
    if (blocked !== undefined && blocked[item] === 1) {
      // Before the heap test: a named candidate is listed however low it scores.
      if (
        skip?.has(item) !== true &&
        explicitItems?.has(item) !== true &&
        (!metadata || catalogue.matches(item, filters))
      )
        held.push(item);
      return;
    }
    let score = scores[item] as number;
    if (score !== score) score = Number.NEGATIVE_INFINITY; // NaN: cannot score, ranks last
    if (size === capacity) {
      const top = keys[0] as number;
      if (score < top || (score === top && (order[item] as number) > (order[items[0] as number] as number))) return;
    }
    if (skip !== undefined && skip.has(item)) return;
    if (explicitItems !== undefined && explicitItems.has(item)) return;
    if (metadata && !catalogue.matches(item, filters)) return;
    if (size === capacity) {
      siftDown(items, keys, order, size, item, score);
      return;
    }
    // Sift up: the new item moves above every parent that ranks before it.
    let at = size++;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const ps = keys[parent] as number;
      const pi = items[parent] as number;
      if (ps < score || (ps === score && (order[pi] as number) > (order[item] as number))) break;
      items[at] = pi;
      keys[at] = ps;
      at = parent;
    }
    items[at] = item;
    keys[at] = score;
  };

  let unknown: readonly string[] = [];
  if (options.resolved !== undefined) {
    const { indices } = options.resolved;
    for (let n = 0; n < indices.length; n++) offer(indices[n] as number);
    unknown = options.resolved.unknown;
  } else if (options.candidates !== undefined) {
    const resolved = resolveCandidates(catalogue, options.candidates);
    for (const item of resolved.indices) offer(item);
    unknown = resolved.unknown;
  } else {
    // The whole catalogue: once the heap is full, most items lose to its weakest right here.
    const consider = (from: number, to: number): void => {
      for (let item = from; item < to; item++) {
        if (size === capacity) {
          let score = scores[item] as number;
          if (score !== score) score = Number.NEGATIVE_INFINITY;
          const top = keys[0] as number;
          if (score < top || (score === top && (order[item] as number) > (order[items[0] as number] as number)))
            continue;
        }
        offer(item);
      }
    };
    const blocks = options.blockMaxima;
    if (blocks === undefined || blocks.maxima.length !== Math.ceil(ids.length / blocks.size)) {
      consider(0, ids.length);
    } else {
      const { size: blockSize, maxima } = blocks;
      for (let block = 0; block < maxima.length; block++) {
        // Strictly below the weakest kept score: nothing in the block can enter (a tie might, by id).
        if (size === capacity && (maxima[block] as number) < (keys[0] as number)) continue;
        consider(block * blockSize, Math.min(ids.length, (block + 1) * blockSize));
      }
    }
    // Nobody asked for them: a whole-catalogue list never holds a non-recommendable item.
    held.length = 0;
  }

  // Pop weakest first into the back of the result.
  const ranked: ScoredItem[] = new Array<ScoredItem>(size);
  for (let n = size - 1; n >= 0; n--) {
    const item = items[0] as number;
    const score = keys[0] as number;
    const last = items[n] as number;
    const lastScore = keys[n] as number;
    if (n > 0) siftDown(items, keys, order, n, last, lastScore);
    const why = reason?.(item);
    // JSON has no infinity: an unscorable item reports 0 but keeps its place at the end.
    const finite = Number.isFinite(score) ? score : 0;
    ranked[n] =
      why === undefined
        ? { itemId: ids[item] as string, score: finite }
        : { itemId: ids[item] as string, score: finite, reason: why };
  }
  if (ranked.length < count && unknown.length > 0) {
    // Unknown items: after every known one, in the order asked for (the API's promise), with a score below all of
    // them and a reason that says why.
    const kept = unknown.filter((id) => !(explicit?.includes(id) ?? false));
    if (!metadata && kept.length > 0) {
      let floor = 0;
      for (const r of ranked) if (r.score < floor) floor = r.score;
      floor -= 1;
      for (const id of kept.slice(0, count - ranked.length)) {
        ranked.push({ itemId: id, score: floor, reason: UNKNOWN_ITEM_REASON });
      }
    }
  }
  if (ranked.length < count && held.length > 0) {
    let floor = 0;
    for (const r of ranked) if (r.score < floor) floor = r.score;
    floor -= 1;
    for (const item of held.slice(0, count - ranked.length)) {
      ranked.push({ itemId: ids[item] as string, score: floor, reason: NOT_RECOMMENDED_REASON });
    }
  }
  return ranked;
}

/** Replaces the heap's root with (item, score) and sifts it down within the first `size` slots. */
function siftDown(
  items: Int32Array,
  keys: Float64Array,
  order: Uint32Array,
  size: number,
  item: number,
  score: number,
): void {
  let at = 0;
  const rank = order[item] as number;
  for (;;) {
    const left = 2 * at + 1;
    if (left >= size) break;
    let child = left;
    let cs = keys[left] as number;
    let ci = items[left] as number;
    const right = left + 1;
    if (right < size) {
      const rs = keys[right] as number;
      const ri = items[right] as number;
      if (rs < cs || (rs === cs && (order[ri] as number) > (order[ci] as number))) {
        child = right;
        cs = rs;
        ci = ri;
      }
    }
    // Stop when the item is weaker than (or as weak as) its weakest child.
    if (score < cs || (score === cs && rank > (order[ci] as number))) break;
    items[at] = ci;
    keys[at] = cs;
    at = child;
  }
  items[at] = item;
  keys[at] = score;
}
