import type { ItemScores } from './boards.ts';
import type { RankingRequest } from './params.ts';
import { answer, type ListContext } from './serveList.ts';
import { roundScore, servedItems, type Served, type ServedItem } from './served.ts';
import { findShopper, type ServedShopper } from './shoppers.ts';
import type { ShopperScope } from '../auth/caller.ts';
import { recentInteractions, trainedUserId } from './shopperRecommendations.ts';

/**
 * `POST /v1/rankings`: the given items, best first, every one of them, stable for unknowns. Not
 * cached: the candidates are the shop's page, rarely asked for twice.
 */
export async function rankings(
  context: ListContext,
  request: RankingRequest,
  scope: ShopperScope = 'any',
): Promise<Served> {
  const { deps } = context;
  const itemIds = [...new Set(request.itemIds)];
  let shopper: ServedShopper | undefined;
  try {
    shopper = await findShopper(deps.features, request.userId, scope);
  } catch (error) {
    deps.onError?.('feature store', error);
  }
  const fresh = { kind: 'ranking', cache: 'BYPASS' } as const;
  if (deps.model && shopper) {
    let ranked: { modelVersion: string; items: ServedItem[] } | undefined;
    try {
      const response = await deps.model.invoke({
        ...trainedUserId(shopper),
        recentItems: recentInteractions(shopper.profile),
        count: itemIds.length,
        candidates: itemIds,
      });
      const items = servedItems(response.items, 'ranked for you');
      ranked = { modelVersion: response.modelVersion, items: completeRanking(items, itemIds) };
    } catch (error) {
      deps.onError?.('model', error);
    }
    if (ranked) return answer(context, { ...fresh, ...ranked, degraded: false });
  }
  let degraded = deps.model !== undefined || shopper === undefined;
  let scores: ItemScores = new Map();
  try {
    scores = await context.boards.popularityScores();
  } catch (error) {
    deps.onError?.('feature store', error);
    degraded = true;
  }
  const items = itemIds
    .map((itemId, index) => ({ itemId, index, score: scores.get(itemId) ?? 0 }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map(({ itemId, score }) => ({
      itemId,
      score: roundScore(score),
      reason: score > 0 ? 'popular' : 'not enough data',
    }));
  return answer(context, { ...fresh, modelVersion: deps.fallbackVersion, items, degraded });
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
