import { featureLimits } from '../config/index.ts';
import { dayBucket } from '../features/itemActivity.ts';
import type { Clock, ItemActivityStore, ScoredItem } from '../ports/index.ts';
import { filtersCatalogue, servable } from './catalogueFilter.ts';
import type { LiveCatalogue } from './liveCatalogue.ts';
import type { ListOptions } from './params.ts';
import { roundScore, type ServedItem } from './served.ts';
import { compareIds } from '../compareIds.ts';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
/** Yesterday's counts weigh half of today's: a one-day half-life keeps the list fresh. */
const DAY_DECAY = 0.5;
/** Candidates whose entries a list without catalogue filters reads first, per item served, plus a few. */
const FIRST_READ_PER_ITEM = 2;
const FIRST_READ_EXTRA = 10;

/** Item id → score, any order. */
export type ItemScores = ReadonlyMap<string, number>;

/**
 * The shop-wide popularity and trend boards. With a model deployed they only feed fallbacks and
 * trending; shared by every shopper and slow to change, they are then reused for `memoMs`, so a
 * fallback under load (the breaker open) costs no more than a normal answer. Without a model,
 * popularity is the ranking itself and is read fresh every time (`memoMs` 0).
 */
export class PopularityBoards {
  private readonly read = new Map<'popularity' | 'trend', { at: number; scores: Promise<ItemScores> }>();

  constructor(
    private readonly features: Pick<ItemActivityStore, 'topPopular' | 'topTrending'>,
    private readonly clock: Clock,
    private readonly memoMs: number,
  ) {}

  /** Day boards of the last days, yesterday at half weight. */
  popularityScores(): Promise<ItemScores> {
    return this.reused('popularity', async () => {
      const now = this.clock.now();
      const days = Array.from({ length: featureLimits.popularityWindowDays }, (_, ago) =>
        dayBucket(now - ago * DAY_MS),
      );
      const boards = await Promise.all(
        days.map((day) => this.features.topPopular(day, featureLimits.popularityCandidates)),
      );
      return mergeBoards(boards, (ago) => DAY_DECAY ** ago);
    });
  }

  /**
   * Activity rates now, in weighted events per hour. Today's and yesterday's trend boards are brought
   * to now (a board's scores grow from the start of its day, see `trendIncrement`), which gives the
   * activity decayed with `featureLimits.trendHalfLifeSeconds`: a volume with a memory, equal to the
   * plain count for activity of the last minutes. A steady rate r leaves r × half-life / ln 2 of
   * decayed activity, so multiplying by ln 2 / half-life turns it into that rate.
   */
  trendRates(): Promise<ItemScores> {
    return this.reused('trend', async () => {
      const now = this.clock.now();
      const halfLifeMs = featureLimits.trendHalfLifeSeconds * 1000;
      const perHour = (Math.LN2 * HOUR_MS) / halfLifeMs;
      const days = [dayBucket(now), dayBucket(now - DAY_MS)];
      const boards = await Promise.all(
        days.map((day) => this.features.topTrending(day, featureLimits.popularityCandidates)),
      );
      return mergeBoards(boards, (ago) => {
        const dayStart = Math.floor(now / DAY_MS) * DAY_MS - ago * DAY_MS;
        return perHour * 2 ** (-(now - dayStart) / halfLifeMs);
      });
    });
  }

  private reused(name: 'popularity' | 'trend', read: () => Promise<ItemScores>): Promise<ItemScores> {
    if (this.memoMs <= 0) return read();
    const now = this.clock.now();
    const known = this.read.get(name);
    if (known && now - known.at < this.memoMs) return known.scores;
    const scores = read();
    this.read.set(name, { at: now, scores });
    scores.catch(() => this.read.delete(name));
    return scores;
  }
}

function mergeBoards(boards: readonly (readonly ScoredItem[])[], weightOf: (ago: number) => number): ItemScores {
  const scores = new Map<string, number>();
  boards.forEach((board, ago) => {
    const weight = weightOf(ago);
    for (const { itemId, score } of board) scores.set(itemId, (scores.get(itemId) ?? 0) + score * weight);
  });
  return scores;
}

export interface RankedListRequest {
  readonly scores: ItemScores;
  readonly options: ListOptions;
  readonly excluded: ReadonlySet<string>;
  readonly reason: string;
  /** The list context's live catalogue: its entries, reused briefly, drop deleted items and apply the filters. */
  readonly live: LiveCatalogue;
}

/**
 * The best-scored items first, exclusions and deleted items dropped, the catalogue filters applied,
 * `options.count` at most. Every candidate served has its entry read: a deleted item keeps its counts
 * on the boards for days. Without a catalogue filter few candidates fail (a deletion, an item not
 * recommendable), so the entries of the best {@link FIRST_READ_PER_ITEM} × count are read first and
 * the rest only when too many of those failed; with one, all are read at once (one round trip).
 */
export async function rankedList({
  scores,
  options,
  excluded,
  reason,
  live,
}: RankedListRequest): Promise<ServedItem[]> {
  const ranked = [...scores]
    .filter(([itemId, score]) => score > 0 && !excluded.has(itemId))
    .sort(([a, x], [b, y]) => y - x || compareIds(a, b));
  const firstRead = filtersCatalogue(options) ? ranked.length : options.count * FIRST_READ_PER_ITEM + FIRST_READ_EXTRA;
  const served: (readonly [string, number])[] = [];
  for (let from = 0; from < ranked.length && served.length < options.count;) {
    const read = ranked.slice(from, from === 0 ? firstRead : ranked.length);
    const entries = await live.entries(read.map(([itemId]) => itemId));
    served.push(...read.filter(([itemId]) => servable(entries.get(itemId), options)));
    from += read.length;
  }
  return served.slice(0, options.count).map(([itemId, score]) => ({ itemId, score: roundScore(score), reason }));
}

/** The reason of a popularity list. */
export const popularReason = (options: ListOptions): string =>
  options.category ? `popular in ${options.category}` : 'popular';
