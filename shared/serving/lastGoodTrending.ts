import type { ListOptions, TrendingWindow } from './params.ts';
import type { ServedItem } from './served.ts';

/**
 * The last good trending lists this process served: the answer of last resort when the feature
 * store fails. Held by the serving dependencies, one per execution environment.
 */
export class LastGoodTrending {
  private readonly lists = new Map<string, readonly ServedItem[]>();

  remember(window: TrendingWindow, category: string | undefined, items: readonly ServedItem[]): void {
    this.lists.set(`${window}|${category ?? ''}`, items);
    this.lists.set('any', items);
  }

  /** The day's list of the category if there is one, else the latest of any, at most `count` items. */
  recall(options: Pick<ListOptions, 'category' | 'count'>): ServedItem[] {
    const items = this.lists.get(`24h|${options.category ?? ''}`) ?? this.lists.get('any') ?? [];
    return items.slice(0, options.count).map((item) => ({ ...item, reason: 'trending' }));
  }
}
