import { createHash } from 'node:crypto';
import { serving } from '../config/index.ts';
import type {
  CatalogueStore,
  Clock,
  ItemActivityStore,
  ModelResponse,
  RecommendationLog,
  RecommendationRecord,
  ShopperStore,
} from '../ports/index.ts';
import type { PopularityBoards } from './boards.ts';
import { FeatureStoreReadError, type OnDependencyFailure } from './failures.ts';
import type { CacheStatus, GuardedCache, ModelGateway } from './guards.ts';
import type { LastGoodTrending } from './lastGoodTrending.ts';
import type { LiveModelVersion } from './liveModel.ts';
import type { LiveCatalogue } from './liveCatalogue.ts';
import type { ListOptions } from './params.ts';
import type { Served, ServedItem, ServedList } from './served.ts';
import { answerId } from '../recommendationIds.ts';

export interface ServingDeps {
  readonly features: Pick<ShopperStore, 'readShopper'> &
    Pick<ItemActivityStore, 'topPopular' | 'topTrending' | 'itemDays'> &
    Pick<CatalogueStore, 'getEntries'>;
  readonly cache: GuardedCache;
  /** Absent when no model is deployed: popularity is then the ranking, not a fallback. */
  readonly model?: ModelGateway;
  /**
   * The registry's live version: with none live yet, {@link model} is not called (popularity is
   * the ranking, no breaker trips); a new version gives the lists new cache keys.
   */
  readonly liveModel?: Pick<LiveModelVersion, 'current'>;
  /** The live version the lists of this request are keyed by; set per request from {@link liveModel}. */
  readonly liveVersion?: string;
  readonly log?: RecommendationLog;
  readonly clock: Clock;
  readonly newId: () => string;
  /** Label of the fallback ranking, e.g. `popularity-v1`. */
  readonly fallbackVersion: string;
  readonly onError?: OnDependencyFailure;
  /** The answer of last resort. @default a new, empty one */
  readonly lastGoodTrending?: LastGoodTrending;
}

/** What every kind of list is served with: the dependencies and the parts built from them once. */
export interface ListContext {
  readonly deps: ServingDeps;
  /** Live catalogue entries, reused briefly: model lists follow deletions, stock and prices through it. */
  readonly liveCatalogue: LiveCatalogue;
  readonly boards: PopularityBoards;
  readonly lastGoodTrending: LastGoodTrending;
}

/** `reco:<scope>:<digest of the options>`; the scope names the kind of list and what it is for. */
export function cacheKey(scope: string, options: object): string {
  return `reco:${scope}:${createHash('sha1').update(JSON.stringify(options)).digest('base64url').slice(0, 16)}`;
}

/** The scope part of a cache key naming what ranked the list: the model, or the fallback's version. */
export const rankedBy = (deps: ServingDeps): string =>
  deps.model ? `model${deps.liveVersion === undefined ? '' : `@${deps.liveVersion}`}` : deps.fallbackVersion;

export interface AnswerRequest {
  readonly kind: RecommendationRecord['kind'];
  readonly modelVersion: string;
  readonly items: readonly ServedItem[];
  readonly degraded: boolean;
  readonly cache: CacheStatus;
  /** Where to cache the answer; absent when it is not to be cached. */
  readonly store?: { readonly key: string; readonly ttlSeconds: number };
}

/**
 * Builds the answer, records it for attribution and caches it, the two writes side by side: the
 * answer waits for both, and each survives the other's failure.
 */
export async function answer(context: ListContext, request: AnswerRequest): Promise<Served> {
  const { deps } = context;
  const body: ServedList = {
    recommendationId: deps.newId(),
    modelVersion: request.modelVersion,
    items: request.items,
    degraded: request.degraded,
  };
  const { store } = request;
  // An empty list (a shop just starting, a filter nothing passes yet) may fill within seconds.
  const ttlSeconds =
    store && body.items.length === 0 ? Math.min(store.ttlSeconds, serving.emptyListTtlSeconds) : store?.ttlSeconds;
  await Promise.all([
    record(deps, request, body),
    store && ttlSeconds !== undefined ? deps.cache.set(store.key, JSON.stringify(body), ttlSeconds) : undefined,
  ]);
  return { body, cache: request.cache };
}

/**
 * Stores the served list for attribution, without the shopper: attribution needs the list, not
 * who saw it. A failure is reported and the answer served anyway.
 */
async function record(deps: ServingDeps, request: AnswerRequest, body: ServedList): Promise<void> {
  if (!deps.log || body.items.length === 0) return;
  try {
    await deps.log.recordRecommendation({
      recommendationId: body.recommendationId,
      kind: request.kind,
      modelVersion: body.modelVersion,
      itemIds: body.items.map((item) => item.itemId),
      servedAt: deps.clock.now(),
    });
  } catch (error) {
    deps.onError?.('recommendation log', error);
  }
}

/** The last good trending list, marked degraded: what is served when the feature store fails. */
export function lastResort(
  context: ListContext,
  options: ListOptions,
  request: { readonly cache: CacheStatus },
): Promise<Served> {
  return answer(context, {
    kind: 'trending',
    modelVersion: context.deps.fallbackVersion,
    items: context.lastGoodTrending.recall(options),
    degraded: true,
    cache: request.cache,
  });
}

export interface ListSteps {
  readonly key: string;
  readonly kind: RecommendationRecord['kind'];
  readonly options: ListOptions;
  /** @default serving.recommendationTtlSeconds */
  readonly ttlSeconds?: number;
  /** The model's list; skipped when no model is deployed. */
  readonly fromModel?: (model: ModelGateway) => Promise<Pick<ModelResponse, 'modelVersion'> & { items: ServedItem[] }>;
  /** The list without the model: the ranking when none is deployed, the fallback when it fails. */
  readonly withoutModel: () => Promise<readonly ServedItem[]>;
}

/**
 * Cache, then the model, then the list without it, then the last good trending list; the answer
 * is cached unless a dependency failed (the next request should try again) or the cache is down.
 * A cached answer is served as it was, under an id of its own that names the cached list: that
 * list was recorded for attribution when it was first served, so a hit costs no write.
 */
export async function serveList(context: ListContext, steps: ListSteps): Promise<Served> {
  const { deps } = context;
  const cached = await deps.cache.get(steps.key);
  if (cached.value !== undefined) {
    const list = JSON.parse(cached.value) as ServedList;
    return { body: { ...list, recommendationId: answerId(list.recommendationId, deps.newId()) }, cache: 'HIT' };
  }
  const store = { key: steps.key, ttlSeconds: steps.ttlSeconds ?? serving.recommendationTtlSeconds };
  const fresh = { kind: steps.kind, cache: cached.status };
  const cacheable = cached.status === 'BYPASS' ? {} : { store };

  let degraded = false;
  if (deps.model && steps.fromModel) {
    let ranked: Awaited<ReturnType<NonNullable<ListSteps['fromModel']>>> | undefined;
    try {
      ranked = await steps.fromModel(deps.model);
    } catch (error) {
      deps.onError?.(error instanceof FeatureStoreReadError ? 'feature store' : 'model', error);
      degraded = true;
    }
    if (ranked) return answer(context, { ...fresh, ...ranked, degraded, ...cacheable });
  }
  let items: readonly ServedItem[];
  try {
    items = await steps.withoutModel();
  } catch (error) {
    deps.onError?.('feature store', error);
    return lastResort(context, steps.options, fresh);
  }
  return answer(context, {
    ...fresh,
    modelVersion: deps.fallbackVersion,
    items,
    degraded,
    ...(degraded ? {} : cacheable),
  });
}
