import { serving } from '../config/index.ts';
import type { ModelInteraction, ShopperProfile } from '../ports/index.ts';
import { popularReason, rankedList } from './boards.ts';
import { candidateCount, historyFilters, liveItems } from './liveCatalogue.ts';
import type { ListOptions } from './params.ts';
import { cacheKey, lastResort, rankedBy, serveList, type ListContext } from './serveList.ts';
import type { Served } from './served.ts';
import { erased, findShopper, type ServedShopper } from './shoppers.ts';
import type { ShopperScope } from '../auth/caller.ts';

/** The shopper's recent items as the model folds them in (epoch seconds, like the training data). */
export function recentInteractions(profile: ShopperProfile | undefined): ModelInteraction[] {
  return (profile?.recentItems ?? []).map((item) => ({
    itemId: item.itemId,
    eventType: item.purchased ? 'purchase' : item.type,
    timestamp: Math.floor(item.at / 1000),
  }));
}

/**
 * The signed-in user id whose trained factors the model may use: none for an anonymous shopper,
 * and none for an erased one, from the first request after the erasure until a model is trained
 * without them.
 */
export const trainedUserId = (shopper: ServedShopper): { userId?: string } =>
  shopper.key.startsWith('u:') && !erased(shopper) ? { userId: shopper.key.slice(2) } : {};

/** Items the shopper's own history rules out of the list, by `exclude`. */
function excludedItems(shopper: ServedShopper, options: ListOptions): Set<string> {
  const excluded = new Set<string>();
  for (const item of shopper.profile?.recentItems ?? []) {
    if (options.exclude.includes('purchased') && item.purchased) excluded.add(item.itemId);
    if (options.exclude.includes('viewed')) excluded.add(item.itemId);
  }
  return excluded;
}

/**
 * The part of the cache key naming the shopper. An anonymous id the stack has no profile of gets the same list as every
 * other (no history to fold in, no trained factors): one cache entry serves all first-time visitors, so each new
 * visitor does not cost a model call and a served-list write.
 */
const NEW_VISITOR = 'new-visitor';
const shopperScope = (shopper: ServedShopper): string =>
  shopper.profile === undefined && shopper.key.startsWith('a:')
    ? NEW_VISITOR
    : `${shopper.key}:${shopper.featureVersion}`;

/**
 * `GET /v1/users/{userId}/recommendations`: the model's list with the shopper's recent items
 * folded in, filtered against the live catalogue, else the popular items they have not ruled out.
 * A new event (a new feature version) makes a new cache key. The model ranks the items it was
 * trained on: an item new to the catalogue joins personal lists at the next training.
 */
export async function shopperRecommendations(
  context: ListContext,
  request: { readonly id: string; readonly scope: ShopperScope },
  options: ListOptions,
): Promise<Served> {
  const { deps } = context;
  let shopper: ServedShopper;
  try {
    shopper = await findShopper(deps.features, request.id, request.scope);
  } catch (error) {
    deps.onError?.('feature store', error);
    return lastResort(context, options, { cache: 'BYPASS' });
  }
  const excluded = excludedItems(shopper, options);
  const scope = shopperScope(shopper);
  return serveList(context, {
    key: cacheKey(`user:${rankedBy(deps)}:${scope}`, options),
    // No event of theirs will move a shared list on: it follows popularity, as trending does.
    ...(scope === NEW_VISITOR ? { ttlSeconds: serving.sharedListTtlSeconds } : {}),
    kind: 'personal',
    options,
    fromModel: async (model) => {
      const response = await model.invoke({
        ...trainedUserId(shopper),
        recentItems: recentInteractions(shopper.profile),
        count: candidateCount(options.count),
        filters: historyFilters(options),
      });
      const items = await liveItems(context, {
        candidates: response.items,
        options,
        excluded,
        reason: 'recommended for you',
      });
      return { modelVersion: response.modelVersion, items };
    },
    withoutModel: async () =>
      rankedList({
        scores: await context.boards.popularityScores(),
        options,
        excluded,
        reason: popularReason(options),
        live: context.liveCatalogue,
      }),
  });
}
