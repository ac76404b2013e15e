import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#local/stack.ts';
import { startFreshStack } from './freshStack.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { dayBucket } from '#shared/features/applyEvents.ts';

/*
 * Dependencies restarting mid-run: the DynamoDB stand-in goes away while the processor is
 * writing, and the Kinesis stand-in while events flow. Every accepted event must end up counted
 * exactly once: the processor's failed batches are retried from the failed record, and retries
 * are idempotent.
 */

let stack: LocalStack;
const run = `f${Date.now().toString(36)}`;
let counter = 0;

async function postWithRetry(events: unknown[]): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // The shop's backend posts for any shopper: the server API, signed.
    const response = await stack
      .serverFetch('/v1/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      })
      .catch(() => undefined);
    const body = response && ((await response.json()) as { accepted?: number; rejected?: unknown[] });
    // A client retries what the API did not take; the eventId makes the retry safe.
    if (response?.status === 200 && body?.rejected?.length === 0) return;
    await sleep(100);
  }
  throw new Error('events were never accepted');
}

beforeAll(async () => {
  stack = await startFreshStack('faults-key', 'reco-faults-');
});

afterAll(async () => {
  await stack?.stop();
});

describe('Faults: stand-ins restarting mid-run', () => {
  it('loses and double-counts nothing when DynamoDB and Kinesis restart while events flow', async () => {
    // Prepare
    const items = Array.from({ length: 10 }, (_, i) => `${run}-item-${i}`);
    const batches = 20;
    const perBatch = 25;
    // Act
    for (let batch = 0; batch < batches; batch++) {
      const events = Array.from({ length: perBatch }, () => {
        counter += 1;
        return {
          eventId: `${run}-${counter}`,
          type: 'view',
          userId: `${run}-shopper-${counter % 7}`,
          itemId: items[counter % items.length],
          timestamp: Date.now(),
        };
      });
      await postWithRetry(events);
      if (batch === 6) await stack.standIns.restart('dynamodb', 1_000);
      if (batch === 13) await stack.standIns.restart('kinesis', 500);
      await sleep(30);
    }
    const deadline = Date.now() + 30_000;
    const store = new DynamoFeatureStore(
      new DynamoDBClient({
        endpoint: stack.standIns.dynamodbEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      stack.names.table,
    );
    let counted = 0;
    while (Date.now() < deadline) {
      const popular = await store.topPopular(dayBucket(Date.now()), 1000);
      counted = popular.filter((p) => p.itemId.startsWith(run)).reduce((sum, p) => sum + p.score, 0);
      if (counted >= batches * perBatch && stack.mapping.idle) break;
      await sleep(200);
    }
    // Assess
    if (counted !== batches * perBatch) {
      const popular = await store.topPopular(dayBucket(Date.now()), 1000);
      const { readLakeEvents } = await import('#shared/lake/trainingExport.ts');
      const lake = new Map<string, { records: number; ids: Set<string> }>();
      for await (const event of readLakeEvents(stack.dataLake.root)) {
        const entry = lake.get(event.itemId ?? '') ?? { records: 0, ids: new Set<string>() };
        entry.records += 1;
        entry.ids.add(event.eventId);
        lake.set(event.itemId ?? '', entry);
      }
      console.log(
        'DIAG',
        JSON.stringify(
          popular
            .filter((p) => p.itemId.startsWith(run))
            .map((p) => [p.itemId.slice(-6), p.score, lake.get(p.itemId)?.records, lake.get(p.itemId)?.ids.size]),
        ),
        JSON.stringify(stack.mapping.stats),
        JSON.stringify(stack.stats),
      );
    }
    expect(counted).toBe(batches * perBatch);
    expect(stack.mapping.stats.discarded).toBe(0);
    expect(stack.mapping.stats.retriedRecords).toBeGreaterThan(0);
  });
});
