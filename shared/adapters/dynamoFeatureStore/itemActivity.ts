import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { featureLimits, ttls } from '../../config/index.ts';
import { compareIds } from '../../compareIds.ts';
import type { Contribution, ItemActivity, ItemActivityUpdate, ItemDay, ScoredItem } from '../../ports/index.ts';
import { addOnce } from './counters.ts';
import { boardShard, featureKeys, pk, scoreIndex, sk, trendIndex } from './keys.ts';
import type { FeatureTable } from './table.ts';

const VIEWED_WITH_PREFIX = 'cv:';
const BOUGHT_WITH_PREFIX = 'cb:';
/** Keeps an update expression well inside DynamoDB's 4 KB expression limit. */
const MAX_PARTNERS_PER_WRITE = 200;

/** Sums contributions into one set of counter increments, keeping the strongest partners. */
function sumActivity(contributions: readonly Contribution<ItemActivity>[], withPartners: boolean) {
  let weight = 0;
  let trend = 0;
  const viewedWith = new Map<string, number>();
  const boughtWith = new Map<string, number>();
  for (const { value } of contributions) {
    weight += value.weight;
    trend += value.trend;
    if (!withPartners) continue;
    for (const [item, n] of Object.entries(value.viewedWith ?? {}))
      viewedWith.set(item, (viewedWith.get(item) ?? 0) + n);
    for (const [item, n] of Object.entries(value.boughtWith ?? {}))
      boughtWith.set(item, (boughtWith.get(item) ?? 0) + n);
  }
  const partners = [
    ...[...viewedWith].map(([item, n]) => [`${VIEWED_WITH_PREFIX}${item}`, n] as const),
    ...[...boughtWith].map(([item, n]) => [`${BOUGHT_WITH_PREFIX}${item}`, n] as const),
  ]
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_PARTNERS_PER_WRITE);
  return { weight, trend, partners };
}

export async function applyItemActivity(
  table: FeatureTable,
  shardId: string,
  update: ItemActivityUpdate,
): Promise<void> {
  const shard = boardShard(update.itemId);
  const dayStartSeconds = Date.parse(`${update.day}T00:00:00Z`) / 1000;
  const sets = {
    [scoreIndex.partitionKey.name]: featureKeys.popularityBoard(update.day, shard),
    [trendIndex.partitionKey.name]: featureKeys.trendBoard(update.day, shard),
    itemId: update.itemId,
    day: update.day,
  };
  let withPartners = true;
  await addOnce(table, {
    key: featureKeys.itemDay(update.itemId, update.day),
    shardId,
    contributions: update.contributions,
    counters: (pending) => {
      const { weight, trend, partners } = sumActivity(pending, withPartners);
      return [[scoreIndex.sortKey.name, weight], [trendIndex.sortKey.name, trend], ...partners];
    },
    sets,
    expiresAt: dayStartSeconds + ttls.itemBucketSeconds,
    // A day bucket full of co-occurrence counts must not block the shard: keep counting
    // popularity and trend, drop the new partner counts for this item and day.
    onTooLarge: () => {
      const retry = withPartners;
      withPartners = false;
      return retry;
    },
  });
}

export async function topPopular(table: FeatureTable, day: string, limit: number): Promise<readonly ScoredItem[]> {
  return topOfBoards(table, scoreIndex, (shard) => featureKeys.popularityBoard(day, shard), limit);
}

export async function topTrending(table: FeatureTable, day: string, limit: number): Promise<readonly ScoredItem[]> {
  return topOfBoards(table, trendIndex, (shard) => featureKeys.trendBoard(day, shard), limit);
}

export async function itemDays(
  table: FeatureTable,
  itemId: string,
  fromDay: string,
  toDay: string,
): Promise<readonly ItemDay[]> {
  const items = await table.queryAll({
    TableName: table.name,
    KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
    ExpressionAttributeNames: { '#pk': pk.name, '#sk': sk.name },
    ExpressionAttributeValues: { ':pk': `I#${itemId}`, ':from': `DAY#${fromDay}`, ':to': `DAY#${toDay}` },
    ConsistentRead: true,
  });
  return items.map((item) => {
    // Keyed by item id, outside data: no prototype, so `__proto__` is a key like any other.
    const viewedWith = Object.create(null) as Record<string, number>;
    const boughtWith = Object.create(null) as Record<string, number>;
    for (const [name, value] of Object.entries(item)) {
      if (name.startsWith(VIEWED_WITH_PREFIX)) viewedWith[name.slice(VIEWED_WITH_PREFIX.length)] = value as number;
      if (name.startsWith(BOUGHT_WITH_PREFIX)) boughtWith[name.slice(BOUGHT_WITH_PREFIX.length)] = value as number;
    }
    return {
      itemId,
      day: item.day as string,
      score: (item.score as number | undefined) ?? 0,
      trend: (item.trend as number | undefined) ?? 0,
      viewedWith,
      boughtWith,
    };
  });
}

/**
 * The best `limit` items of a day's board, merged over its shards. An item's counts live on one
 * shard (`boardShard`), so each shard is read best first in pages of about 1.5 times its share of
 * `limit`, and read on only while its last item beats the `limit`-th best read so far: the best
 * `limit` by score from about half the items of reading `limit` from every shard. Items tied with
 * the `limit`-th are taken among those read, by id.
 */
async function topOfBoards(
  table: FeatureTable,
  index: { indexName: string; partitionKey: { name: string } },
  boardOf: (shard: number) => string,
  limit: number,
): Promise<ScoredItem[]> {
  const sortKey = index === scoreIndex ? scoreIndex.sortKey.name : trendIndex.sortKey.name;
  const pageSize = Math.ceil((limit / featureLimits.boardShards) * 1.5);
  // One entry per item: an index read is eventually consistent and may briefly hold a stale
  // copy of an item whose score just moved (seen with the local stand-in after a restart).
  const best = new Map<string, number>();
  let open = Array.from({ length: featureLimits.boardShards }, (_, shard) => ({
    shard,
    startKey: undefined as Record<string, unknown> | undefined,
  }));
  while (open.length > 0) {
    const pages = await Promise.all(
      open.map(({ shard, startKey }) =>
        table.documents.send(
          new QueryCommand({
            TableName: table.name,
            IndexName: index.indexName,
            KeyConditionExpression: '#board = :board',
            // The index projects whole item days (co-occurrence counts included); a board needs
            // two attributes of each, which keeps the answer and its unmarshalling small.
            ProjectionExpression: '#item, #score',
            ExpressionAttributeNames: { '#board': index.partitionKey.name, '#item': 'itemId', '#score': sortKey },
            ExpressionAttributeValues: { ':board': boardOf(shard) },
            ScanIndexForward: false,
            Limit: pageSize,
            ExclusiveStartKey: startKey,
          }),
        ),
      ),
    );
    for (const item of pages.flatMap((page) => page.Items ?? [])) {
      const itemId = item.itemId as string;
      const score = item[sortKey] as number;
      if (score > (best.get(itemId) ?? -Infinity)) best.set(itemId, score);
    }
    // A shard's unread items score at most its last one read, so it is read on only while that
    // beats the `limit`-th best item read; it may hold more items tied with that one, which are
    // not looked for (a popularity board's long tail is mostly ties: reading them all would read
    // the whole board). Rows, not items, are counted nowhere: stale copies never stop a shard.
    const cutOff = best.size < limit ? -Infinity : ([...best.values()].sort((a, b) => b - a)[limit - 1] as number);
    open = open.flatMap(({ shard }, i) => {
      const page = pages[i];
      const last = page?.Items?.at(-1)?.[sortKey] as number | undefined;
      if (page?.LastEvaluatedKey === undefined || (last !== undefined && last <= cutOff)) return [];
      return [{ shard, startKey: page.LastEvaluatedKey }];
    });
  }
  return [...best]
    .map(([itemId, score]) => ({ itemId, score }))
    .sort((a, b) => b.score - a.score || compareIds(a.itemId, b.itemId))
    .slice(0, limit);
}
