import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { featureLimits, serving } from '../config/index.ts';
import { dayBucket } from '../features/applyEvents.ts';
import type {
  CatalogueItem,
  CatalogueStore,
  Clock,
  ItemActivityStore,
  ModelFilters,
  ModelInteraction,
  RankedItem,
  RecommendationLog,
  RecommendationRecord,
  ShopperProfile,
  ShopperStore,
} from '../ports/index.ts';
import type { CacheRead, CacheStatus, GuardedCache, ModelGateway } from './guards.ts';
import type { ListOptions, RankingRequest, TrendingWindow } from './params.ts';

export interface ServedItem {
  readonly itemId: string;
  readonly score: number;
  readonly reason: string;
}

/** Every answer of the recommendation API. */
export interface ServedList {
  readonly recommendationId: string;
  readonly modelVersion: string;
  readonly items: readonly ServedItem[];
  /** True when a dependency failed and a fallback answered. */
  readonly degraded: boolean;
}

export interface Served {
  readonly body: ServedList;
  readonly cache: CacheStatus;
  /**
   * The body as JSON, when it is at hand as text: a cache hit serves what was stored, as stored,
   * without parsing and serialising it again.
   */
  readonly json?: string;
}

/** A cache hit: `body` is parsed from the stored text only if someone asks for it. */
class CachedAnswer implements Served {
  readonly cache = 'HIT';
  #body: ServedList | undefined;

  constructor(readonly json: string) {}

  get body(): ServedList {
    return (this.#body ??= JSON.parse(this.json) as ServedList);
  }
}

export interface ServingDeps {
  readonly features: Pick<ShopperStore, 'readShopper'> &
    Pick<ItemActivityStore, 'topPopular' | 'topTrending' | 'itemDays'> &
    Pick<CatalogueStore, 'getItems'>;
  readonly cache: GuardedCache;
  /** Absent when no model is deployed: popularity is then the ranking, not a fallback. */
  readonly model?: ModelGateway;
  readonly log?: RecommendationLog;
  readonly clock: Clock;
  readonly newId: () => string;
  /** Label of the fallback ranking, e.g. `popularity-v1`. */
  readonly fallbackVersion: string;
  readonly onError?: (what: string, error: unknown) => void;
  /** Reuse of a shopper's profile across requests, ms; 0 reads it every time. @default serving.profileMemoMs */
  readonly profileMemoMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Yesterday's counts weigh half of today's: a one-day half-life keeps the list fresh. */
const DAY_DECAY = 0.5;
const round = (score: number) => Math.round(score * 1e4) / 1e4;

/** Last good trending answers in this process: the answer of last resort when the store fails. */
const lastGoodTrending = new Map<string, readonly ServedItem[]>();

interface Shopper {
  readonly key: string;
  readonly profile?: ShopperProfile;
  readonly featureVersion: number;
}

/** A user id may be signed-in or anonymous; the signed-in history wins; merges are followed. */
async function findShopper(features: ServingDeps['features'], id: string): Promise<Shopper> {
  const [signedIn, anonymous] = await Promise.all([features.readShopper(`u:${id}`), features.readShopper(`a:${id}`)]);
  if (signedIn) return { key: `u:${id}`, profile: signedIn.profile, featureVersion: signedIn.featureVersion };
  const mergedInto = anonymous?.profile.mergedInto;
  if (mergedInto !== undefined) {
    const merged = await features.readShopper(mergedInto);
    return {
      key: mergedInto,
      featureVersion: merged?.featureVersion ?? 0,
      ...(merged ? { profile: merged.profile } : {}),
    };
  }
  if (anonymous) return { key: `a:${id}`, profile: anonymous.profile, featureVersion: anonymous.featureVersion };
  return { key: `u:${id}`, featureVersion: 0 };
}

/** Digests of options objects already keyed: the options of a request without a query are shared. */
const digests = new WeakMap<object, string>();

/** `reco:<scope>:<digest of the options>`; the scope names the kind of list and what it is for. */
function cacheKey(scope: string, options: object): string {
  let query = digests.get(options);
  if (query === undefined) {
    query = createHash('sha1').update(JSON.stringify(options)).digest('base64url').slice(0, 16);
    // Only frozen options keep their digest: a mutable object may not say the same thing next time.
    if (Object.isFrozen(options)) digests.set(options, query);
  }
  return `reco:${scope}:${query}`;
}

function modelFilters(options: ListOptions): ModelFilters {
  return {
    ...(options.exclude.includes('purchased') ? { excludePurchased: true } : {}),
    ...(options.exclude.includes('viewed') ? { excludeSeen: true } : {}),
    ...(options.category === undefined ? {} : { category: options.category }),
    ...(options.inStockOnly ? { inStockOnly: true } : {}),
    ...(options.minPrice === undefined ? {} : { minPrice: options.minPrice }),
    ...(options.maxPrice === undefined ? {} : { maxPrice: options.maxPrice }),
  };
}

function recentInteractions(profile: ShopperProfile | undefined): ModelInteraction[] {
  return (profile?.recentItems ?? []).map((item) => ({
    itemId: item.itemId,
    eventType: item.purchased ? 'purchase' : item.type,
    timestamp: Math.floor(item.at / 1000),
  }));
}

/** Whether an item passes the catalogue filters; unknown items pass only when no filter is set. */
function passes(item: CatalogueItem | undefined, options: Partial<ListOptions>): boolean {
  const filtering =
    options.category !== undefined ||
    options.inStockOnly ||
    options.minPrice !== undefined ||
    options.maxPrice !== undefined;
  if (!item) return !filtering;
  if (options.category !== undefined && !item.categories.includes(options.category)) return false;
  if (options.inStockOnly && !item.inStock) return false;
  if (options.minPrice !== undefined && (item.price === undefined || item.price < options.minPrice)) return false;
  if (options.maxPrice !== undefined && (item.price === undefined || item.price > options.maxPrice)) return false;
  return true;
}

export class ServingService {
  private readonly recentShoppers: LRUCache<string, Shopper> | undefined;
  /** Profile reads in flight, shared by the requests that arrive meanwhile (only with reuse on). */
  private readonly shopperReads = new Map<string, Promise<Shopper>>();

  constructor(private readonly deps: ServingDeps) {
    const memoMs = deps.profileMemoMs ?? serving.profileMemoMs;
    this.recentShoppers = memoMs > 0 ? new LRUCache<string, Shopper>({ max: 10_000, ttl: memoMs }) : undefined;
  }

  /** The shopper behind a user id; at once (no promise) when reused from a recent read. */
  private shopper(id: string): Shopper | Promise<Shopper> {
    const recent = this.recentShoppers;
    if (!recent) return findShopper(this.deps.features, id);
    const known = recent.get(id);
    if (known) return known;
    // Requests for the same shopper while the read is in flight take its answer: within the
    // reuse window anyway, and no burst of reads for one shopper each time the window ends.
    let read = this.shopperReads.get(id);
    if (read === undefined) {
      read = findShopper(this.deps.features, id).then(
        (found) => {
          this.shopperReads.delete(id);
          recent.set(id, found);
          return found;
        },
        (error: unknown) => {
          this.shopperReads.delete(id);
          throw error;
        },
      );
      this.shopperReads.set(id, read);
    }
    return read;
  }

  /**
   * `GET /v1/users/{userId}/recommendations`. A hit for a recently read shopper in a cache held in
   * this process is answered at once, without a promise: the common case of a busy page.
   */
  forShopper(userId: string, options: ListOptions): Served | Promise<Served> {
    const found = this.shopper(userId);
    if (found instanceof Promise) return this.forShopperRead(found, options);
    const key = this.shopperListKey(found, options);
    const cached = this.deps.cache.readNow(key);
    if (cached?.value !== undefined) return this.fromCache(cached.value);
    return this.forKnownShopper(found, options, key, cached);
  }

  private async forShopperRead(found: Promise<Shopper>, options: ListOptions): Promise<Served> {
    let shopper: Shopper;
    try {
      shopper = await found;
    } catch (error) {
      this.deps.onError?.('feature store', error);
      return this.answer('trending', undefined, await this.lastResortTrending(options), true, 'BYPASS');
    }
    return this.forKnownShopper(shopper, options, this.shopperListKey(shopper, options));
  }

  /** The cache key of a shopper's list: a new event (a new feature version) makes a new key. */
  private shopperListKey(shopper: Shopper, options: ListOptions): string {
    const version = this.deps.model ? 'model' : this.deps.fallbackVersion;
    return cacheKey(`user:${version}:${shopper.key}:${shopper.featureVersion}`, options);
  }

  /** `cached`: what the cache said already, when it could say it at once. */
  private async forKnownShopper(
    shopper: Shopper,
    options: ListOptions,
    key: string,
    cached?: CacheRead,
  ): Promise<Served> {
    cached ??= await this.deps.cache.get(key);
    if (cached.value !== undefined) return this.fromCache(cached.value);

    const excluded = new Set<string>();
    for (const item of shopper.profile?.recentItems ?? []) {
      if (options.exclude.includes('purchased') && item.purchased) excluded.add(item.itemId);
      if (options.exclude.includes('viewed')) excluded.add(item.itemId);
    }
    let degraded = false;
    if (this.deps.model) {
      try {
        const response = await this.deps.model.invoke({
          ...(shopper.key.startsWith('u:') ? { userId: shopper.key.slice(2) } : {}),
          recentItems: recentInteractions(shopper.profile),
          count: options.count,
          filters: modelFilters(options),
        });
        const items = response.items
          .filter((item) => !excluded.has(item.itemId))
          .map((item) => ({
            itemId: item.itemId,
            score: round(item.score),
            reason: item.reason ?? 'recommended for you',
          }));
        return this.answerAndCache(key, 'personal', shopper.key, response.modelVersion, items, false, cached.status);
      } catch (error) {
        this.deps.onError?.('model', error);
        degraded = true;
      }
    }
    try {
      const items = await this.popular(options, excluded);
      return this.answerAndCache(
        key,
        'personal',
        shopper.key,
        this.deps.fallbackVersion,
        items,
        degraded,
        cached.status,
      );
    } catch (error) {
      this.deps.onError?.('feature store', error);
      return this.answer('trending', shopper.key, await this.lastResortTrending(options), true, cached.status);
    }
  }

  /** `GET /v1/items/{itemId}/similar`; a hit in a cache held in this process is answered at once. */
  similarTo(itemId: string, options: ListOptions): Served | Promise<Served> {
    const version = this.deps.model ? 'model' : this.deps.fallbackVersion;
    const key = cacheKey(`similar:${version}:${itemId}`, options);
    const cached = this.deps.cache.readNow(key);
    if (cached?.value !== undefined) return this.fromCache(cached.value);
    return this.similarToUncached(itemId, options, key, cached);
  }

  private async similarToUncached(
    itemId: string,
    options: ListOptions,
    key: string,
    cached?: CacheRead,
  ): Promise<Served> {
    cached ??= await this.deps.cache.get(key);
    if (cached.value !== undefined) return this.fromCache(cached.value);
    let degraded = false;
    if (this.deps.model) {
      try {
        const response = await this.deps.model.invoke({
          similarTo: itemId,
          count: options.count,
          filters: modelFilters(options),
        });
        const items = response.items.map((item) => ({
          itemId: item.itemId,
          score: round(item.score),
          reason: item.reason ?? `similar to ${itemId}`,
        }));
        return this.answerAndCache(
          key,
          'similar',
          undefined,
          response.modelVersion,
          items,
          false,
          cached.status,
          serving.sharedListTtlSeconds,
        );
      } catch (error) {
        this.deps.onError?.('model', error);
        degraded = true;
      }
    }
    try {
      const items = await this.boughtAndViewedTogether(itemId, options);
      return this.answerAndCache(
        key,
        'similar',
        undefined,
        this.deps.fallbackVersion,
        items,
        degraded,
        cached.status,
        serving.sharedListTtlSeconds,
      );
    } catch (error) {
      this.deps.onError?.('feature store', error);
      return this.answer('trending', undefined, await this.lastResortTrending(options), true, cached.status);
    }
  }

  /** `POST /v1/rankings`: the given items, best first, every one of them, stable for unknowns. */
  async rank(request: RankingRequest): Promise<Served> {
    const itemIds = [...new Set(request.itemIds)];
    let shopper: Shopper | undefined;
    try {
      shopper = await this.shopper(request.userId);
    } catch (error) {
      this.deps.onError?.('feature store', error);
    }
    if (this.deps.model && shopper) {
      try {
        const response = await this.deps.model.invoke({
          ...(shopper.key.startsWith('u:') ? { userId: shopper.key.slice(2) } : {}),
          recentItems: recentInteractions(shopper.profile),
          count: itemIds.length,
          candidates: itemIds,
        });
        const ranked = response.items.map((item) => ({
          itemId: item.itemId,
          score: round(item.score),
          reason: item.reason ?? 'ranked for you',
        }));
        return this.answer(
          'ranking',
          shopper.key,
          { modelVersion: response.modelVersion, items: completeRanking(ranked, itemIds) },
          false,
          'BYPASS',
        );
      } catch (error) {
        this.deps.onError?.('model', error);
      }
    }
    let degraded = this.deps.model !== undefined || shopper === undefined;
    let scores = new Map<string, number>();
    try {
      scores = await this.popularityScores();
    } catch (error) {
      this.deps.onError?.('feature store', error);
      degraded = true;
    }
    const ranked = itemIds
      .map((itemId, index) => ({ itemId, index, score: scores.get(itemId) ?? 0 }))
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .map(({ itemId, score }) => ({ itemId, score: round(score), reason: score > 0 ? 'popular' : 'not enough data' }));
    return this.answer(
      'ranking',
      shopper?.key,
      { modelVersion: this.deps.fallbackVersion, items: ranked },
      degraded,
      'BYPASS',
    );
  }

  /** `GET /v1/trending?window=1h|24h`: items by activity rate now (1h) or volume over a day (24h). */
  trending(window: TrendingWindow, options: ListOptions): Served | Promise<Served> {
    const key = cacheKey(`trending:${window}`, options);
    const cached = this.deps.cache.readNow(key);
    if (cached?.value !== undefined) return this.fromCache(cached.value);
    return this.trendingUncached(window, options, key, cached);
  }

  private async trendingUncached(
    window: TrendingWindow,
    options: ListOptions,
    key: string,
    cached?: CacheRead,
  ): Promise<Served> {
    cached ??= await this.deps.cache.get(key);
    if (cached.value !== undefined) return this.fromCache(cached.value);
    try {
      const scores = window === '1h' ? await this.trendScores() : await this.popularityScores();
      const items = await this.filterRanked(scores, options, new Set(), (category) =>
        window === '1h' ? 'trending' : category ? `popular in ${category}` : 'popular',
      );
      lastGoodTrending.set(`${window}|${options.category ?? ''}`, items);
      lastGoodTrending.set('any', items);
      return this.answerAndCache(
        key,
        'trending',
        undefined,
        this.deps.fallbackVersion,
        items,
        false,
        cached.status,
        serving.sharedListTtlSeconds,
      );
    } catch (error) {
      this.deps.onError?.('feature store', error);
      return this.answer('trending', undefined, await this.lastResortTrending(options), true, cached.status);
    }
  }

  private async popular(options: ListOptions, excluded: ReadonlySet<string>): Promise<ServedItem[]> {
    const scores = await this.popularityScores();
    return this.filterRanked(scores, options, excluded, (category) =>
      category ? `popular in ${category}` : 'popular',
    );
  }

  private readonly boards = new Map<string, { at: number; scores: Promise<Map<string, number>> }>();

  /**
   * With a model deployed, the boards only feed fallbacks and trending; they are shared by every
   * shopper and change slowly, so one read per process every couple of seconds keeps a fallback
   * under load (the breaker open) from costing more than a normal answer.
   */
  private sharedBoard(name: string, read: () => Promise<Map<string, number>>): Promise<Map<string, number>> {
    // Without a model, popularity is the ranking itself and is read fresh every time.
    if (!this.deps.model) return read();
    const now = this.deps.clock.now();
    const known = this.boards.get(name);
    if (known && now - known.at < serving.boardMemoMs) return known.scores;
    const scores = read();
    this.boards.set(name, { at: now, scores });
    scores.catch(() => this.boards.delete(name));
    return scores;
  }

  /** Day boards of the last days, yesterday at half weight. */
  private popularityScores(): Promise<Map<string, number>> {
    return this.sharedBoard('popularity', () => this.readPopularityScores());
  }

  private async readPopularityScores(): Promise<Map<string, number>> {
    const now = this.deps.clock.now();
    const days = Array.from({ length: featureLimits.popularityWindowDays }, (_, ago) => dayBucket(now - ago * DAY_MS));
    const boards = await Promise.all(
      days.map((day) => this.deps.features.topPopular(day, featureLimits.popularityCandidates)),
    );
    return mergeBoards(boards, (ago) => DAY_DECAY ** ago);
  }

  /** Trend boards brought to now: the within-day scores decay from the start of their day. */
  private trendScores(): Promise<Map<string, number>> {
    return this.sharedBoard('trend', () => this.readTrendScores());
  }

  private async readTrendScores(): Promise<Map<string, number>> {
    const now = this.deps.clock.now();
    const halfLifeMs = featureLimits.trendHalfLifeSeconds * 1000;
    const days = [dayBucket(now), dayBucket(now - DAY_MS)];
    const boards = await Promise.all(
      days.map((day) => this.deps.features.topTrending(day, featureLimits.popularityCandidates)),
    );
    return mergeBoards(boards, (ago) => {
      const dayStart = Math.floor(now / DAY_MS) * DAY_MS - ago * DAY_MS;
      return 2 ** (-(now - dayStart) / halfLifeMs);
    });
  }

  private async boughtAndViewedTogether(itemId: string, options: ListOptions): Promise<ServedItem[]> {
    const now = this.deps.clock.now();
    const days = await this.deps.features.itemDays(itemId, dayBucket(now - 6 * DAY_MS), dayBucket(now));
    const together = new Map<string, { score: number; bought: boolean }>();
    for (const day of days) {
      for (const [other, count] of Object.entries(day.boughtWith)) {
        const entry = together.get(other) ?? { score: 0, bought: false };
        together.set(other, { score: entry.score + 3 * count, bought: true });
      }
      for (const [other, count] of Object.entries(day.viewedWith)) {
        const entry = together.get(other) ?? { score: 0, bought: false };
        together.set(other, { score: entry.score + count, bought: entry.bought });
      }
    }
    const scores = new Map([...together].map(([other, { score }]) => [other, score]));
    const items = await this.filterRanked(scores, options, new Set([itemId]), () => '');
    const withReasons = items.map((item) => ({
      ...item,
      reason: together.get(item.itemId)?.bought ? `bought together with ${itemId}` : `viewed together with ${itemId}`,
    }));
    if (withReasons.length >= options.count) return withReasons;
    // Not enough co-occurrence yet (a new item): top up with popular items.
    const popular = await this.popular(
      { ...options, count: options.count - withReasons.length },
      new Set([itemId, ...withReasons.map((i) => i.itemId)]),
    );
    return [...withReasons, ...popular];
  }

  /** Ranks, drops exclusions, applies catalogue filters, and names a reason. */
  private async filterRanked(
    scores: ReadonlyMap<string, number>,
    options: ListOptions,
    excluded: ReadonlySet<string>,
    reasonFor: (category?: string) => string,
  ): Promise<ServedItem[]> {
    const ranked = [...scores]
      .filter(([itemId, score]) => score > 0 && !excluded.has(itemId))
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
    const filtering =
      options.category !== undefined ||
      options.inStockOnly ||
      options.minPrice !== undefined ||
      options.maxPrice !== undefined;
    const catalogue = filtering
      ? await this.deps.features.getItems(ranked.map(([itemId]) => itemId))
      : new Map<string, CatalogueItem>();
    return ranked
      .filter(([itemId]) => passes(catalogue.get(itemId), options))
      .slice(0, options.count)
      .map(([itemId, score]) => ({ itemId, score: round(score), reason: reasonFor(options.category) }));
  }

  private async lastResortTrending(options: ListOptions): Promise<ServedItem[]> {
    const items = lastGoodTrending.get(`24h|${options.category ?? ''}`) ?? lastGoodTrending.get('any') ?? [];
    return items.slice(0, options.count).map((item) => ({ ...item, reason: 'trending' }));
  }

  /**
   * A cached answer is served as it was, recommendationId included: that list was recorded for
   * attribution when it was first served, so a hit costs no write.
   */
  private fromCache(value: string): Served {
    // What `answerAndCache` stores always starts so; anything else is parsed as before.
    if (value.startsWith('{"recommendationId":') && value.endsWith('}')) return new CachedAnswer(value);
    return { body: JSON.parse(value) as ServedList, cache: 'HIT' };
  }

  private async answerAndCache(
    key: string,
    kind: RecommendationRecord['kind'],
    shopperKey: string | undefined,
    modelVersion: string,
    items: readonly ServedItem[],
    degraded: boolean,
    cacheStatus: CacheStatus,
    ttlSeconds: number = serving.recommendationTtlSeconds,
  ): Promise<Served> {
    // Degraded answers are not cached: the next request should try the model again.
    if (degraded || cacheStatus === 'BYPASS') {
      return this.answer(kind, shopperKey, { modelVersion, items }, degraded, cacheStatus);
    }
    // The record and the cache entry are written side by side (each survives the other's failure,
    // as before); the JSON stored is the JSON sent, serialised once.
    let json = '';
    const served = await this.answer(kind, shopperKey, { modelVersion, items }, degraded, cacheStatus, (body) => {
      json = JSON.stringify(body);
      return this.deps.cache.set(key, json, ttlSeconds);
    });
    return { ...served, json };
  }

  private async answer(
    kind: RecommendationRecord['kind'],
    shopperKey: string | undefined,
    list: { modelVersion?: string; items: readonly ServedItem[] } | readonly ServedItem[],
    degraded: boolean,
    cache: CacheStatus,
    alongside?: (body: ServedList) => Promise<void>,
  ): Promise<Served> {
    const { modelVersion, items } = Array.isArray(list)
      ? { modelVersion: this.deps.fallbackVersion, items: list as readonly ServedItem[] }
      : (list as { modelVersion?: string; items: readonly ServedItem[] });
    const recommendationId = this.deps.newId();
    const body: ServedList = {
      recommendationId,
      modelVersion: modelVersion ?? this.deps.fallbackVersion,
      items,
      degraded,
    };
    const recorded = this.record(kind, shopperKey, body);
    if (alongside) await Promise.all([recorded, alongside(body)]);
    else await recorded;
    return { body, cache };
  }

  /** Stores the served list for attribution; the answer waits for it, and a failure is reported. */
  private async record(
    kind: RecommendationRecord['kind'],
    shopperKey: string | undefined,
    body: ServedList,
  ): Promise<void> {
    if (!this.deps.log || body.items.length === 0) return;
    try {
      await this.deps.log.recordRecommendation({
        recommendationId: body.recommendationId,
        kind,
        modelVersion: body.modelVersion,
        itemIds: body.items.map((item) => item.itemId),
        servedAt: this.deps.clock.now(),
        ...(shopperKey === undefined ? {} : { shopperKey }),
      });
    } catch (error) {
      // Attribution is worth less than the answer: serve it anyway.
      this.deps.onError?.('recommendation log', error);
    }
  }
}

function mergeBoards(
  boards: readonly (readonly RankedItem[])[],
  weightOf: (ago: number) => number,
): Map<string, number> {
  const scores = new Map<string, number>();
  boards.forEach((board, ago) => {
    const weight = weightOf(ago);
    for (const { itemId, score } of board) scores.set(itemId, (scores.get(itemId) ?? 0) + score * weight);
  });
  return scores;
}

/** Every requested item exactly once: the model's order first, then anything it left out. */
function completeRanking(ranked: readonly ServedItem[], itemIds: readonly string[]): ServedItem[] {
  const requested = new Set(itemIds);
  const seen = new Set<string>();
  const out: ServedItem[] = [];
  for (const item of ranked) {
    if (!requested.has(item.itemId) || seen.has(item.itemId)) continue;
    seen.add(item.itemId);
    out.push(item);
  }
  const lowest = out.at(-1)?.score ?? 0;
  for (const itemId of itemIds) {
    if (seen.has(itemId)) continue;
    seen.add(itemId);
    out.push({ itemId, score: lowest, reason: 'not enough data' });
  }
  return out;
}
