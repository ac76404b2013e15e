import { apiLimits, featureLimits } from '../config/index.ts';
import { InvalidRequestError } from '../errors.ts';
import { dayBucket } from '../features/applyEvents.ts';
import type { Clock, ItemActivityStore, ShopperProfile, ShopperStore } from '../ports/index.ts';

export type RecommendationReason = 'popular' | 'trending';

export interface RecommendedItem {
  readonly itemId: string;
  readonly score: number;
  readonly reason: RecommendationReason;
}

export interface Recommendations {
  readonly recommendationId: string;
  readonly modelVersion: string;
  readonly items: readonly RecommendedItem[];
  /** True when a dependency failed and a fallback answered. */
  readonly degraded: boolean;
}

export interface RecommendDeps {
  readonly features: Pick<ShopperStore, 'readShopper'> & Pick<ItemActivityStore, 'topPopular'>;
  readonly clock: Clock;
  readonly newId: () => string;
  readonly modelVersion: string;
}

export interface RecommendRequest {
  readonly userId: string;
  readonly count: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Yesterday's counts weigh half of today's: a one-day half-life keeps the list fresh. */
const DAY_DECAY = 0.5;

/** Parses `count` from a query string: an integer in 1..max, default from the config. */
export function parseCount(raw: string | undefined): number {
  if (raw === undefined || raw === '') return apiLimits.defaultRecommendationCount;
  const count = Number(raw);
  if (!/^\d+$/.test(raw) || count < 1 || count > apiLimits.maxRecommendationCount) {
    throw new InvalidRequestError(
      'invalid_count',
      `count must be an integer from 1 to ${apiLimits.maxRecommendationCount}, got "${raw}"`,
    );
  }
  return count;
}

/** Popularity over the last days, time-decayed, highest first. */
export async function popularItems(deps: Pick<RecommendDeps, 'features' | 'clock'>): Promise<Map<string, number>> {
  const now = deps.clock.now();
  const days = Array.from({ length: featureLimits.popularityWindowDays }, (_, ago) => dayBucket(now - ago * DAY_MS));
  const boards = await Promise.all(
    days.map((day) => deps.features.topPopular(day, featureLimits.popularityCandidates)),
  );
  const scores = new Map<string, number>();
  boards.forEach((board, ago) => {
    for (const { itemId, score } of board) {
      scores.set(itemId, (scores.get(itemId) ?? 0) + score * DAY_DECAY ** ago);
    }
  });
  return scores;
}

/**
 * A user id may be a signed-in id or an anonymous id; the signed-in history wins, and an
 * anonymous history already merged into a signed-in one is followed there.
 */
export async function shopperProfile(
  features: Pick<ShopperStore, 'readShopper'>,
  id: string,
): Promise<ShopperProfile | undefined> {
  const [signedIn, anonymous] = await Promise.all([features.readShopper(`u:${id}`), features.readShopper(`a:${id}`)]);
  if (signedIn) return signedIn.profile;
  const mergedInto = anonymous?.profile.mergedInto;
  if (mergedInto !== undefined) return (await features.readShopper(mergedInto))?.profile;
  return anonymous?.profile;
}

/**
 * Recommendations for one shopper: popular items they have not bought yet.
 * The personalised model plugs in here in a later issue; popularity stays its fallback.
 */
export async function recommendForUser(request: RecommendRequest, deps: RecommendDeps): Promise<Recommendations> {
  const [scores, shopper] = await Promise.all([popularItems(deps), shopperProfile(deps.features, request.userId)]);
  const purchased = new Set(shopper?.recentItems.filter((r) => r.purchased).map((r) => r.itemId));
  const items = [...scores]
    .filter(([itemId, score]) => score > 0 && !purchased.has(itemId))
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, request.count)
    .map(([itemId, score]): RecommendedItem => ({ itemId, score: Math.round(score * 1000) / 1000, reason: 'popular' }));
  return { recommendationId: deps.newId(), modelVersion: deps.modelVersion, items, degraded: false };
}
