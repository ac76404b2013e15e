import { serving } from '../config/index.ts';
import { popularReason, rankedList } from './boards.ts';
import type { ListOptions, TrendingWindow } from './params.ts';
import { cacheKey, serveList, type ListContext } from './serveList.ts';
import type { Served } from './served.ts';

/**
 * `GET /v1/trending?window=1h|24h`: items by activity rate now (1h, weighted events per hour) or by
 * volume over a day (24h, weighted events). Every good list is remembered as the answer of last resort.
 */
export function trending(context: ListContext, window: TrendingWindow, options: ListOptions): Promise<Served> {
  return serveList(context, {
    key: cacheKey(`trending:${window}`, options),
    kind: 'trending',
    options,
    ttlSeconds: serving.sharedListTtlSeconds,
    withoutModel: async () => {
      const scores = window === '1h' ? await context.boards.trendRates() : await context.boards.popularityScores();
      const items = await rankedList({
        scores,
        options,
        excluded: new Set(),
        reason: window === '1h' ? 'trending' : popularReason(options),
        live: context.liveCatalogue,
      });
      context.lastGoodTrending.remember(window, options.category, items);
      return items;
    },
  });
}
