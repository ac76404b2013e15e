import { LRUCache } from 'lru-cache';
import { serving } from '../config/index.ts';
import type { CatalogueEntry, CatalogueStore, Clock, ModelFilters, ScoredItem } from '../ports/index.ts';
import { popularReason } from './boards.ts';
import { FeatureStoreReadError } from './failures.ts';
import { servable } from './catalogueFilter.ts';
import type { ListOptions } from './params.ts';
import type { ListContext } from './serveList.ts';
import { roundScore, servedItems, type ServedItem } from './served.ts';
import { compareIds } from '../compareIds.ts';

/** Candidates asked of the model per item served, plus a few: two in three may be filtered out and the list is still full. */
const CANDIDATES_PER_ITEM = 3;
const EXTRA_CANDIDATES = 10;

/** How many candidates to ask for to serve `count` items: `count * 3 + 10`, at most what one model request may ask for. */
export const candidateCount = (count: number): number =>
  Math.min(count * CANDIDATES_PER_ITEM + EXTRA_CANDIDATES, serving.maxRankingItems);

/**
 * The filters the model can answer right: the ones on the shopper's history, which it is sent.
 * Category, stock and price are left to {@link liveItems}: the model knows them only as they were
 * at training time, and its endpoint cannot read the live catalogue.
 */
export function historyFilters(options: ListOptions): ModelFilters {
  return {
    ...(options.exclude.includes('purchased') ? { excludePurchased: true } : {}),
    ...(options.exclude.includes('viewed') ? { excludeSeen: true } : {}),
  };
}

/**
 * Live catalogue entries (items and tombstones) by item id, each read (or found missing) reused for
 * `serving.liveCatalogue.ttlMs` on the clock given, at most `serving.liveCatalogue.maxEntries` of
 * them, least recently used dropped first.
 */
export class LiveCatalogue {
  readonly #store: Pick<CatalogueStore, 'getEntries'>;
  /** The entry, or `{}` for an item the catalogue has no entry for (lru-cache holds no undefined). */
  readonly #entries: LRUCache<string, { readonly entry?: CatalogueEntry }>;

  constructor(
    store: Pick<CatalogueStore, 'getEntries'>,
    clock: Clock,
    settings: { readonly ttlMs: number; readonly maxEntries: number } = serving.liveCatalogue,
  ) {
    this.#store = store;
    // ttlResolution 0: staleness is checked on the clock given at every read, not on a time lru-cache keeps for a ms.
    this.#entries = new LRUCache({
      max: settings.maxEntries,
      ttl: settings.ttlMs,
      ttlResolution: 0,
      perf: { now: () => clock.now() },
    });
  }

  /** The entries of `itemIds` (undefined: no entry), those not reused read in one batch. */
  async entries(itemIds: readonly string[]): Promise<ReadonlyMap<string, CatalogueEntry | undefined>> {
    const entries = new Map<string, CatalogueEntry | undefined>();
    const unread: string[] = [];
    for (const itemId of new Set(itemIds)) {
      const cached = this.#entries.get(itemId);
      if (cached === undefined) unread.push(itemId);
      else entries.set(itemId, cached.entry);
    }
    if (unread.length === 0) return entries;
    const found = await this.#store.getEntries(unread);
    for (const itemId of unread) {
      const entry = found.get(itemId);
      this.#entries.set(itemId, entry === undefined ? {} : { entry });
      entries.set(itemId, entry);
    }
    return entries;
  }
}

/** The live catalogue of a list context. */
export const liveCatalogueOf = (context: ListContext): LiveCatalogue => context.liveCatalogue;

/** The candidates that may be served by their live entries ({@link servable}), in their order. */
function servableCandidates<T extends { readonly itemId: string }>(
  candidates: readonly T[],
  entries: ReadonlyMap<string, CatalogueEntry | undefined>,
  options: ListOptions,
): T[] {
  return candidates.filter((candidate) => servable(entries.get(candidate.itemId), options));
}

export interface LiveItemsRequest {
  /** The model's items, best first: `candidateCount(options.count)` of them or fewer. */
  readonly candidates: readonly ScoredItem[];
  readonly options: ListOptions;
  /** Items never to serve: what the shopper ruled out, the item a similar list is about. */
  readonly excluded: ReadonlySet<string>;
  /** The reason of a model item that has none. */
  readonly reason: string;
}

/**
 * The model's candidates filtered against the live catalogue (entries read in one batch, and
 * reused briefly), `options.count` at most; when the filtering left too few, topped up with
 * popular items under the same filters and the same rule for items the live catalogue lacks.
 */
export async function liveItems(context: ListContext, request: LiveItemsRequest): Promise<ServedItem[]> {
  try {
    return await filteredItems(context, request);
  } catch (error) {
    throw new FeatureStoreReadError(error);
  }
}

async function filteredItems(context: ListContext, request: LiveItemsRequest): Promise<ServedItem[]> {
  const { options, excluded } = request;
  const live = liveCatalogueOf(context);
  const candidates = request.candidates.filter((item) => !excluded.has(item.itemId));
  const entries = await live.entries(candidates.map((item) => item.itemId));
  const passed = servableCandidates(candidates, entries, options);
  const kept = servedItems(passed.slice(0, options.count), request.reason);
  // A model list short of count that lost nothing here is all the model has to offer.
  if (kept.length >= options.count || passed.length === candidates.length) return kept;

  const scores = await context.boards.popularityScores();
  const popular = [...scores]
    .filter(([itemId, score]) => score > 0 && !excluded.has(itemId) && !entries.has(itemId))
    .sort(([a, x], [b, y]) => y - x || compareIds(a, b))
    .slice(0, candidateCount(options.count - kept.length))
    .map(([itemId, score]) => ({ itemId, score }));
  const popularEntries = await live.entries(popular.map((item) => item.itemId));
  const topUp = servableCandidates(popular, new Map([...entries, ...popularEntries]), options)
    .slice(0, options.count - kept.length)
    .map((item) => ({ itemId: item.itemId, score: roundScore(item.score), reason: popularReason(options) }));
  return [...kept, ...topUp];
}
