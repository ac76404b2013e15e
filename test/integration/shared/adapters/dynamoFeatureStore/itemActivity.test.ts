import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { boardShard, featureKeys } from '#shared/adapters/dynamoFeatureStore/keys.ts';
import { compareIds } from '#shared/compareIds.ts';
import { featureLimits } from '#shared/config/index.ts';
import type { StandIns } from '#local/standins.ts';
import { featureTableOn, startTestStandIns } from '../../../standins.ts';

let standIns: StandIns;
let table: { client: DynamoDBClient; tableName: string };
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  standIns = await startTestStandIns();
  table = await featureTableOn(standIns);
  documents = DynamoDBDocumentClient.from(table.client);
});

afterAll(async () => {
  documents.destroy();
  table.client.destroy();
  await standIns.stop();
});

/** One board row: an item day, or (`copy` set) a stale index copy of it under a key of its own. */
interface Row {
  readonly itemId: string;
  readonly score: number;
  readonly copy?: number;
}

/** Writes rows as the index holds them: each on its item's shard of the day's boards. */
async function seed(day: string, rows: readonly Row[]): Promise<void> {
  for (let start = 0; start < rows.length; start += 25) {
    const requests = rows.slice(start, start + 25).map(({ itemId, score, copy }) => {
      const shard = boardShard(itemId);
      const key = featureKeys.itemDay(copy === undefined ? itemId : `${itemId}~stale${copy}`, day);
      return {
        PutRequest: {
          Item: {
            ...key,
            itemId,
            day,
            board: featureKeys.popularityBoard(day, shard),
            score,
            trendBoard: featureKeys.trendBoard(day, shard),
            trend: score,
          },
        },
      };
    });
    await documents.send(new BatchWriteCommand({ RequestItems: { [table.tableName]: requests } }));
  }
}

/** Every shard read to its end, one entry per item (its best score), sorted: what a board must equal. */
async function everyShardRead(day: string, limit: number) {
  const best = new Map<string, number>();
  for (let shard = 0; shard < featureLimits.boardShards; shard++) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new QueryCommand({
          TableName: table.tableName,
          IndexName: 'byScore',
          KeyConditionExpression: 'board = :board',
          ExpressionAttributeValues: { ':board': featureKeys.popularityBoard(day, shard) },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const itemId = item.itemId as string;
        best.set(itemId, Math.max(best.get(itemId) ?? -Infinity, item.score as number));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return [...best]
    .map(([itemId, score]) => ({ itemId, score }))
    .sort((a, b) => b.score - a.score || compareIds(a.itemId, b.itemId))
    .slice(0, limit);
}

function idsOnShard(prefix: string, shard: number, count: number): string[] {
  const ids: string[] = [];
  for (let n = 0; ids.length < count; n++) if (boardShard(`${prefix}-${n}`) === shard) ids.push(`${prefix}-${n}`);
  return ids;
}

const limits = [1, 2, 3, 5, 10, 17, 40, 200];

describe('Function: topPopular / topTrending (boards read by shard, in pages)', () => {
  async function expectExact(day: string) {
    const store = new DynamoFeatureStore(table.client, table.tableName);
    for (const limit of limits) {
      const expected = await everyShardRead(day, limit);
      expect({ limit, top: await store.topPopular(day, limit) }).toEqual({ limit, top: expected });
      expect({ limit, top: await store.topTrending(day, limit) }).toEqual({ limit, top: expected });
    }
  }

  /**
   * The same scores as reading every shard, the same items above the last place's score, and at
   * that score items that hold it (which of them: those read, by id).
   */
  async function expectTopWithTies(day: string) {
    const store = new DynamoFeatureStore(table.client, table.tableName);
    const everything = await everyShardRead(day, Number.MAX_SAFE_INTEGER);
    for (const limit of limits) {
      const expected = everything.slice(0, limit);
      const lastScore = expected.at(-1)?.score;
      const tiedIds = new Set(everything.filter(({ score }) => score === lastScore).map(({ itemId }) => itemId));
      for (const top of [await store.topPopular(day, limit), await store.topTrending(day, limit)]) {
        expect({ limit, scores: top.map(({ score }) => score) }).toEqual({
          limit,
          scores: expected.map(({ score }) => score),
        });
        expect(top.filter(({ score }) => score !== lastScore)).toEqual(
          expected.filter(({ score }) => score !== lastScore),
        );
        for (const { itemId, score } of top) if (score === lastScore) expect(tiedIds.has(itemId)).toBe(true);
        expect(new Set(top.map(({ itemId }) => itemId)).size).toBe(top.length);
      }
    }
  }

  it('ranks exactly when every top item is on one shard', async () => {
    // Prepare: the best 50 on shard 0, 8 weaker items on each other shard.
    const day = '2041-01-01';
    const crowded = idsOnShard('one', 0, 50).map((itemId, i) => ({ itemId, score: 1_000 - i }));
    const rest = [1, 2, 3].flatMap((shard) =>
      idsOnShard('one', shard, 8).map((itemId, i) => ({ itemId, score: 10 - i })),
    );
    await seed(day, [...crowded, ...rest]);
    // Act, Assess
    await expectExact(day);
  });

  it('answers the best scores when many items tie at the last place', async () => {
    // Prepare: a few clear winners, then 60 items tied on one score, on every shard.
    const day = '2041-01-02';
    const winners = [0, 1, 2, 3].map((shard) => ({ itemId: idsOnShard('win', shard, 1)[0] as string, score: 50 }));
    const tied = Array.from({ length: 60 }, (_, n) => ({ itemId: `tie-${String(n).padStart(3, '0')}`, score: 7 }));
    const below = Array.from({ length: 20 }, (_, n) => ({ itemId: `low-${n}`, score: 3 }));
    await seed(day, [...winners, ...tied, ...below]);
    // Act, Assess
    await expectTopWithTies(day);
  });

  it('reads a long tail of tied items no further than the first page of each shard', async () => {
    // Prepare: 600 items all viewed once, the usual shape of a quiet day's board.
    const day = '2041-01-05';
    await seed(
      day,
      Array.from({ length: 600 }, (_, n) => ({ itemId: `tail-${n}`, score: 1 })),
    );
    const store = new DynamoFeatureStore(table.client, table.tableName);
    const queriesBefore = (await standIns.operations()).dynamodb?.Query ?? 0;
    // Act
    const top = await store.topPopular(day, 40);
    // Assess: one page per shard, where reading every tied item takes about ten.
    const queries = ((await standIns.operations()).dynamodb?.Query ?? 0) - queriesBefore;
    expect(top).toHaveLength(40);
    expect(top.every(({ score }) => score === 1)).toBe(true);
    expect(queries).toBe(featureLimits.boardShards);
  });

  it('counts an item once however many stale lower copies the index holds', async () => {
    // Prepare: on one shard, each of the best items has stale copies just below it, ahead of the
    // next items; the other shards are empty.
    const day = '2041-01-03';
    const ids = idsOnShard('dup', 0, 12);
    const rows = ids.flatMap((itemId, i): Row[] => [
      { itemId, score: 100 - 10 * i },
      ...[1, 2, 3].map((copy) => ({ itemId, score: 100 - 10 * i - copy, copy })),
    ]);
    await seed(day, rows);
    // Act, Assess
    await expectExact(day);
  });

  it('answers every item when the limit is larger than the board, and one item for limit 1', async () => {
    // Prepare
    const day = '2041-01-04';
    await seed(day, [
      { itemId: 'few-a', score: 3 },
      { itemId: 'few-b', score: 3 },
      { itemId: 'few-c', score: 9 },
    ]);
    const store = new DynamoFeatureStore(table.client, table.tableName);
    // Act
    const all = await store.topPopular(day, 200);
    const one = await store.topPopular(day, 1);
    // Assess
    expect(all).toEqual([
      { itemId: 'few-c', score: 9 },
      { itemId: 'few-a', score: 3 },
      { itemId: 'few-b', score: 3 },
    ]);
    expect(one).toEqual([{ itemId: 'few-c', score: 9 }]);
    await expectExact(day);
  });
});
