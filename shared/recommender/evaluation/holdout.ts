/**
 * Scoring on a time holdout, as the training pipeline's gate compares a candidate with the live
 * model: the shoppers of the holdout who have a training history, each model given that history
 * exactly as the serving side folds a shopper in (`recentItems`, no user id), so a model that
 * never saw the shopper scores them from the same input as one that did.
 *
 * Choices, documented because they change the numbers:
 * - Relevant are the holdout items the shopper had not met in training, from events with a
 *   positive default weight (a view counts, a removal from the cart does not); ranking leaves the
 *   history out, so a history item could never be a hit. Shoppers left with none are not scored.
 * - The history is one entry per item, newest first, `purchase` when the shopper bought it, else
 *   the latest event's type, at most `featureLimits.recentItemsPerUser` items: what the recommend
 *   function sends. Every history item is excluded from the list, not only those sent.
 * - At most `maxUsers` shoppers, a sample seeded by the user id, so both models score the same
 *   ones whatever order the files come in.
 */
import { featureLimits } from '../../config/index.ts';
import { DEFAULT_EVENT_WEIGHTS, PURCHASE_EVENT } from '../matrix.ts';
import type { Interaction, Model, RecentInteraction } from '../model.ts';
import { catalogueCoverage, hitRate, ndcg } from './metrics.ts';
import { hash32 } from './random.ts';

export interface HoldoutCase {
  readonly userId: string;
  /** The training history as the serving side sends it: one entry per item, newest first. */
  readonly history: readonly RecentInteraction[];
  /** Every item of the training history, sent or not: none may be recommended. */
  readonly seen: readonly string[];
  /** Holdout items the shopper had not met in training. */
  readonly relevant: ReadonlySet<string>;
}

export interface HoldoutCaseOptions {
  /** Shoppers scored at most (a seeded sample). */
  readonly maxUsers: number;
  readonly seed: number;
  /** History items sent per shopper (@default featureLimits.recentItemsPerUser). */
  readonly historyLimit?: number;
}

const positiveTypes = new Map(Object.entries(DEFAULT_EVENT_WEIGHTS));

/** An event that says the shopper wanted the item: a positive default weight, or a type the weights do not know. */
function isInterest(interaction: Interaction): boolean {
  if (interaction.eventType === undefined) return true;
  const weight = positiveTypes.get(interaction.eventType);
  return weight === undefined || weight > 0;
}

interface ItemHistory {
  timestamp: number;
  eventType: string | undefined;
  purchased: boolean;
}

/** One shopper's items, folded the way the feature store keeps recent items: the latest event names the item. */
function foldHistory(rows: readonly Interaction[], limit: number): { history: RecentInteraction[]; seen: string[] } {
  const byItem = new Map<string, ItemHistory>();
  for (const row of rows) {
    const known = byItem.get(row.itemId);
    const purchased = row.eventType === PURCHASE_EVENT;
    if (known === undefined) {
      byItem.set(row.itemId, { timestamp: row.timestamp, eventType: row.eventType, purchased });
      continue;
    }
    known.purchased ||= purchased;
    if (row.timestamp >= known.timestamp) {
      known.timestamp = row.timestamp;
      known.eventType = row.eventType;
    }
  }
  const ordered = [...byItem].sort(([a, x], [b, y]) => y.timestamp - x.timestamp || a.localeCompare(b));
  const history = ordered.slice(0, limit).map(([itemId, item]): RecentInteraction => {
    const eventType = item.purchased ? PURCHASE_EVENT : item.eventType;
    return eventType === undefined
      ? { itemId, timestamp: item.timestamp }
      : { itemId, eventType, timestamp: item.timestamp };
  });
  return { history, seen: ordered.map(([itemId]) => itemId) };
}

/** The shoppers to score: holdout shoppers with a training history and at least one new item. */
export function holdoutCases(
  training: readonly Interaction[],
  holdout: readonly Interaction[],
  options: HoldoutCaseOptions,
): HoldoutCase[] {
  const wanted = new Map<string, Set<string>>();
  for (const row of holdout) {
    if (!isInterest(row)) continue;
    const items = wanted.get(row.userId);
    if (items === undefined) wanted.set(row.userId, new Set([row.itemId]));
    else items.add(row.itemId);
  }
  const histories = new Map<string, Interaction[]>();
  for (const row of training) {
    if (!wanted.has(row.userId)) continue;
    const rows = histories.get(row.userId);
    if (rows === undefined) histories.set(row.userId, [row]);
    else rows.push(row);
  }
  const limit = options.historyLimit ?? featureLimits.recentItemsPerUser;
  const cases: HoldoutCase[] = [];
  for (const [userId, rows] of histories) {
    const { history, seen } = foldHistory(rows, limit);
    const known = new Set(seen);
    const relevant = new Set([...(wanted.get(userId) ?? [])].filter((itemId) => !known.has(itemId)));
    if (relevant.size > 0) cases.push({ userId, history, seen, relevant });
  }
  if (cases.length > options.maxUsers) {
    const key = (userId: string): number => hash32(`${options.seed}:holdout:${userId}`);
    cases.sort((a, b) => key(a.userId) - key(b.userId) || a.userId.localeCompare(b.userId));
    cases.length = options.maxUsers;
  }
  return cases.sort((a, b) => a.userId.localeCompare(b.userId));
}

export interface HoldoutMetrics {
  /** Shoppers scored. */
  readonly users: number;
  /** Averages over the shoppers at K. */
  readonly hitRate: number;
  readonly ndcg: number;
  /** Distinct items in some top K, as a share of the catalogue. */
  readonly coverage: number;
}

export interface HoldoutScoring {
  readonly k: number;
  /** Items any model could have recommended (training items and the catalogue). */
  readonly catalogueSize: number;
}

/** Ranks every case's top K with `model` and averages HR@K and NDCG@K; coverage over all lists. */
export function scoreHoldout(model: Model, cases: readonly HoldoutCase[], scoring: HoldoutScoring): HoldoutMetrics {
  let hits = 0;
  let gain = 0;
  const lists: string[][] = [];
  for (const holdoutCase of cases) {
    const ranked = model.recommend({
      recentItems: holdoutCase.history,
      count: scoring.k,
      filters: { excludeSeen: true, excludeItemIds: holdoutCase.seen },
    });
    const itemIds = ranked.map((item) => item.itemId);
    lists.push(itemIds);
    hits += hitRate(holdoutCase.relevant, itemIds, scoring.k);
    gain += ndcg(holdoutCase.relevant, itemIds, scoring.k);
  }
  const users = cases.length;
  return {
    users,
    hitRate: users > 0 ? hits / users : 0,
    ndcg: users > 0 ? gain / users : 0,
    coverage: catalogueCoverage(lists, scoring.k, scoring.catalogueSize),
  };
}

/** Distinct items of the interactions and the catalogue ids: what coverage divides by. */
export function catalogueSizeOf(interactions: readonly Interaction[], catalogueIds: Iterable<string>): number {
  const items = new Set<string>(catalogueIds);
  for (const interaction of interactions) items.add(interaction.itemId);
  return items.size;
}
