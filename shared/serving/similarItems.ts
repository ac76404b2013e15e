import { isDeleted } from '../catalogue/item.ts';
import { serving } from '../config/index.ts';
import { dayBucket } from '../features/itemActivity.ts';
import type { CatalogueItem, ModelItemText } from '../ports/index.ts';
import { popularReason, rankedList } from './boards.ts';
import type { ListOptions } from './params.ts';
import { cacheKey, rankedBy, serveList, type ListContext } from './serveList.ts';
import { candidateCount, liveCatalogueOf, liveItems } from './liveCatalogue.ts';
import type { Served, ServedItem, ServedList } from './served.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A purchase together says more than a view together. */
const BOUGHT_TOGETHER_WEIGHT = 3;

/**
 * `GET /v1/items/{itemId}/similar`: the model's similar items filtered against the live catalogue,
 * else what shoppers bought and viewed together. The item's live text goes with the request, so
 * the model can score an item it was not trained on by its content.
 */
export async function similarItems(context: ListContext, itemId: string, options: ListOptions): Promise<Served> {
  const served = await serveList(context, {
    key: cacheKey(`similar:${rankedBy(context.deps)}:${itemId}`, options),
    kind: 'similar',
    options,
    ttlSeconds: serving.sharedListTtlSeconds,
    fromModel: async (model) => {
      const entry = (await liveCatalogueOf(context).entries([itemId])).get(itemId);
      const response = await model.invoke({
        similarTo: itemId,
        count: candidateCount(options.count),
        ...(entry === undefined || isDeleted(entry) ? {} : { similarToText: itemText(entry) }),
      });
      const items = await liveItems(context, {
        candidates: response.items,
        options,
        excluded: new Set([itemId]),
        reason: `similar to ${itemId}`,
      });
      return { modelVersion: response.modelVersion, items };
    },
    withoutModel: () => boughtAndViewedTogether(context, itemId, options),
  });
  const notice = await noticeFor(context, itemId);
  return notice === undefined ? served : { ...served, body: { ...served.body, notice } };
}

/**
 * Says so when the item is not in the live catalogue (never upserted, or deleted): its list then
 * rests on the model's training data, co-occurrence or popularity alone, and a page may prefer to
 * show nothing. A catalogue read failure says nothing: the list was served anyway.
 */
async function noticeFor(context: ListContext, itemId: string): Promise<ServedList['notice']> {
  let entry;
  try {
    entry = (await liveCatalogueOf(context).entries([itemId])).get(itemId);
  } catch {
    return undefined;
  }
  if (entry === undefined) {
    return { reason: 'unknown_item', message: `${itemId} is not in the catalogue; upsert it with PUT /v1/items` };
  }
  if (isDeleted(entry)) return { reason: 'deleted_item', message: `${itemId} was deleted from the catalogue` };
  return undefined;
}

/** The text of a live entry the model's content component reads; prices and stock are not its business. */
function itemText(entry: CatalogueItem): ModelItemText {
  return {
    ...(entry.title === undefined ? {} : { title: entry.title }),
    ...(entry.description === undefined ? {} : { description: entry.description }),
    categories: entry.categories,
    ...(entry.attributes === undefined ? {} : { attributes: entry.attributes }),
  };
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
  const items = await rankedList({
    scores,
    options,
    excluded: new Set([itemId]),
    reason: '',
    live: liveCatalogueOf(context),
  });
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
    live: liveCatalogueOf(context),
  });
  return [...withReasons, ...popular];
}
