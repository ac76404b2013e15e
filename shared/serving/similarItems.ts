import { serving } from '../config/index.ts';
import { dayBucket } from '../features/applyEvents.ts';
import { popularReason, rankedList } from './boards.ts';
import type { ListOptions } from './params.ts';
import { cacheKey, rankedBy, serveList, type ListContext } from './serveList.ts';
import { modelFilters } from './shopperRecommendations.ts';
import { servedItems, type Served, type ServedItem } from './served.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A purchase together says more than a view together. */
const BOUGHT_TOGETHER_WEIGHT = 3;

/** `GET /v1/items/{itemId}/similar`: the model's similar items, else what shoppers bought and viewed together. */
export function similarItems(context: ListContext, itemId: string, options: ListOptions): Promise<Served> {
  return serveList(context, {
    key: cacheKey(`similar:${rankedBy(context.deps)}:${itemId}`, options),
    kind: 'similar',
    options,
    ttlSeconds: serving.sharedListTtlSeconds,
    fromModel: async (model) => {
      const response = await model.invoke({ similarTo: itemId, count: options.count, filters: modelFilters(options) });
      return { modelVersion: response.modelVersion, items: servedItems(response.items, `similar to ${itemId}`) };
    },
    withoutModel: () => boughtAndViewedTogether(context, itemId, options),
  });
}

/** Co-occurrence over the last week, topped up with popular items for an item too new to have any. */
async function boughtAndViewedTogether(
  context: ListContext,
  itemId: string,
  options: ListOptions,
): Promise<ServedItem[]> {
  const { features, clock } = context.deps;
  const now = clock.now();
  const days = await features.itemDays(itemId, dayBucket(now - 6 * DAY_MS), dayBucket(now));
  const together = new Map<string, { score: number; bought: boolean }>();
  for (const day of days) {
    for (const [other, count] of Object.entries(day.boughtWith)) {
      const entry = together.get(other) ?? { score: 0, bought: false };
      together.set(other, { score: entry.score + BOUGHT_TOGETHER_WEIGHT * count, bought: true });
    }
    for (const [other, count] of Object.entries(day.viewedWith)) {
      const entry = together.get(other) ?? { score: 0, bought: false };
      together.set(other, { score: entry.score + count, bought: entry.bought });
    }
  }
  const scores = new Map([...together].map(([other, { score }]) => [other, score]));
  const items = await rankedList({ scores, options, excluded: new Set([itemId]), reason: '', catalogue: features });
  const withReasons = items.map((item) => ({
    ...item,
    reason: together.get(item.itemId)?.bought ? `bought together with ${itemId}` : `viewed together with ${itemId}`,
  }));
  if (withReasons.length >= options.count) return withReasons;
  const popular = await rankedList({
    scores: await context.boards.popularityScores(),
    options: { ...options, count: options.count - withReasons.length },
    excluded: new Set([itemId, ...withReasons.map((item) => item.itemId)]),
    reason: popularReason(options),
    catalogue: features,
  });
  return [...withReasons, ...popular];
}
