import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import type { StandIns } from '#local/standins.ts';
import { emptyProfile } from '#shared/features/profile.ts';
import type { StoredShopper } from '#shared/ports/index.ts';
import { featureStoreContract } from '../contract/featureStore.contract.ts';
import { featureTableOn, startTestStandIns } from './standins.ts';

let standIns: StandIns;
let table: { client: DynamoDBClient; tableName: string };

beforeAll(async () => {
  standIns = await startTestStandIns();
  table = await featureTableOn(standIns);
});

afterAll(async () => {
  table.client.destroy();
  await standIns.stop();
});

featureStoreContract('DynamoDB on dynalite', async () => new DynamoFeatureStore(table.client, table.tableName));

featureStoreContract(
  'DynamoDB on dynalite, coalescing profile reads and records',
  async () => new DynamoFeatureStore(table.client, table.tableName, { coalesce: true }),
);

describe('DynamoFeatureStore with coalesce', () => {
  /** Commands sent through the shared client while `work` runs, by name. */
  async function commandsDuring(work: () => Promise<unknown>): Promise<Record<string, number>> {
    const sent: Record<string, number> = {};
    const name = `count-${Math.random()}`;
    table.client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = (context as { commandName: string }).commandName;
        sent[command] = (sent[command] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize', name },
    );
    try {
      await work();
    } finally {
      table.client.middlewareStack.remove(name);
    }
    return sent;
  }

  const profile = (n: number) => ({ ...emptyProfile, recentQueries: [{ query: `q${n}`, at: n }] });

  it('reads the profiles asked for at the same time in one consistent BatchGetItem, each caller its own', async () => {
    // Prepare
    const store = new DynamoFeatureStore(table.client, table.tableName, { coalesce: true });
    await store.writeShopper('u:co-1', { profile: profile(1), expectedVersion: 0, expiresAt: 2e9 });
    await store.writeShopper('a:co-2', { profile: profile(2), expectedVersion: 0, expiresAt: 2e9 });

    // Act
    let reads: (StoredShopper | undefined)[] = [];
    const sent = await commandsDuring(async () => {
      reads = await Promise.all(['u:co-1', 'a:co-2', 'u:co-missing', 'u:co-1'].map((key) => store.readShopper(key)));
    });

    // Assess
    expect(sent).toEqual({ BatchGetItemCommand: 1 });
    expect(reads.map((read) => read?.profile.recentQueries[0]?.query)).toEqual(['q1', 'q2', undefined, 'q1']);
    expect(reads.map((read) => read?.featureVersion)).toEqual([1, 1, undefined, 1]);
  });

  it('writes records served at the same time in BatchWriteItems of at most 25, all readable after', async () => {
    // Prepare
    const store = new DynamoFeatureStore(table.client, table.tableName, { coalesce: true });
    const records = Array.from({ length: 30 }, (_, i) => ({
      recommendationId: `co-rec-${i}`,
      kind: 'personal' as const,
      modelVersion: 'm1',
      itemIds: [`sku-${i}`],
      servedAt: Date.now(),
      shopperKey: `u:co-${i}`,
    }));

    // Act
    const sent = await commandsDuring(() => Promise.all(records.map((record) => store.recordRecommendation(record))));

    // Assess
    expect(sent).toEqual({ BatchWriteItemCommand: 2 });
    const found = await store.getRecommendations(records.map((record) => record.recommendationId));
    expect(
      [...found.values()].sort((a, b) => a.itemIds[0]!.localeCompare(b.itemIds[0]!, 'en', { numeric: true })),
    ).toEqual(records);
  });

  it('rejects every caller of a batch that failed', async () => {
    // Prepare
    const store = new DynamoFeatureStore(table.client, 'no-such-table', { coalesce: true });
    const record = {
      recommendationId: 'co-x',
      kind: 'trending' as const,
      modelVersion: 'm1',
      itemIds: ['a'],
      servedAt: 1,
    };

    // Act
    const results = await Promise.allSettled([
      store.readShopper('u:x'),
      store.readShopper('a:x'),
      store.recordRecommendation(record),
      store.recordRecommendation({ ...record, recommendationId: 'co-y' }),
    ]);

    // Assess
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
  });
});
