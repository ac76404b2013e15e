import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#local/stack.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { dayBucket } from '#shared/features/applyEvents.ts';
import type { StatsReport } from '#shared/stats/report.ts';
import { drained, startFreshStack } from './freshStack.ts';

/*
 * The processor's mapping on a worker thread (`processor: 'thread'`): its counters read as they
 * do on the stack's own thread, and every accepted event is counted exactly once, through client
 * retries of the same events and a DynamoDB stand-in restart while it writes.
 */

let stack: LocalStack;
const run = `pt${Date.now().toString(36)}`;

const post = (events: unknown[]) =>
  stack.serverFetch('/v1/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });

beforeAll(async () => {
  stack = await startFreshStack('thread-key', 'reco-thread-', { processor: 'thread' });
});

afterAll(async () => {
  await stack?.stop();
});

describe('Option: processor thread', () => {
  it('counts every event once, client retries and a DynamoDB restart included', async () => {
    // Prepare
    const items = Array.from({ length: 6 }, (_, i) => `${run}-item-${i}`);
    const batches = Array.from({ length: 12 }, (_, b) =>
      Array.from({ length: 20 }, (_, i) => ({
        eventId: `${run}-${b}-${i}`,
        type: 'view',
        userId: `${run}-shopper-${i % 5}`,
        itemId: items[(b + i) % items.length],
        timestamp: Date.now(),
      })),
    );

    // Act
    for (const [b, events] of batches.entries()) {
      expect((await post(events)).status).toBe(200);
      // A client retrying a request it did not see answered: the same events again.
      if (b % 4 === 0) expect((await post(events)).status).toBe(200);
      if (b === 5) await stack.standIns.restart('dynamodb', 300);
    }
    await drained(stack);

    // Assess
    const store = new DynamoFeatureStore(
      new DynamoDBClient({
        endpoint: stack.standIns.dynamodbEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      stack.names.table,
    );
    let counted = 0;
    for (let attempt = 0; attempt < 50 && counted < 240; attempt++) {
      const popular = await store.topPopular(dayBucket(Date.now()), 1000);
      counted = popular.filter((p) => p.itemId.startsWith(run)).reduce((sum, p) => sum + p.score, 0);
      if (counted < 240) await sleep(200);
    }
    expect(counted).toBe(240);
    expect(stack.mapping.stats.processed).toBeGreaterThanOrEqual(240);
    expect(stack.mapping.stats.invocations).toBeGreaterThan(0);
    expect(stack.mapping.idle).toBe(true);
  });

  it('starts a new lag window on resetMaxLag', async () => {
    // Act
    stack.mapping.resetMaxLag();
    await sleep(100);

    // Assess
    expect(stack.mapping.stats.maxLagMs).toBe(0);
  });

  it("reports the thread's processed events in GET /v1/admin/stats, each once", async () => {
    // Act: the counters are sampled from the thread, and a period shows once it has ended.
    let reported = 0;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const response = await stack.serverFetch('/v1/admin/stats?minutes=10');
      const report = (await response.json()) as StatsReport;
      const period = report.window.periodSeconds;
      reported = Math.round(report.series.eventsProcessedPerSecond.reduce((sum, rate) => sum + rate * period, 0));
      if (reported >= stack.mapping.stats.processed) break;
      await sleep(500);
    }

    // Assess
    expect(reported).toBe(stack.mapping.stats.processed);
  });
});
