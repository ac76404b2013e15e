import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#local/stack.ts';
import { DYNAMO_MAX_ITEM_BYTES, measureItem } from '#shared/adapters/dynamoItemSize.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { shopperItemKey } from '#shared/adapters/profileItem.ts';
import { apiLimits, featureLimits } from '#shared/config/index.ts';
import { busyShopper } from '../support/busyShopper.ts';
import { drained, startFreshStack } from './freshStack.ts';

/*
 * The busiest shopper the API lets through, over HTTP into the local stack: 500 identify events,
 * 600 purchases and searches, every id at its longest in 3-byte characters. The profile item must
 * stay well inside DynamoDB's 400 KB, measured as DynamoDB counts it (dynalite counts characters).
 */

let stack: LocalStack;
let client: DynamoDBClient;
const json = { 'content-type': 'application/json' };

async function send(path: string, body: unknown) {
  const response = await stack.serverFetch(path, { method: 'PUT', headers: json, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  stack = await startFreshStack('busy-key', 'reco-busy-');
  client = new DynamoDBClient({
    endpoint: stack.standIns.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client?.destroy();
  await stack?.stop();
});

describe('Local stack: the busiest shopper', () => {
  it('keeps every list bounded and the profile item within 75 % of the limit, losing no event', async () => {
    // Prepare
    const shopper = busyShopper(Date.now());
    const items = [...shopper.categories].map(([itemId, categories]) => ({ itemId, categories }));
    for (let start = 0; start < items.length; start += apiLimits.maxItemsPerRequest) {
      const put = await send('/v1/items', { items: items.slice(start, start + apiLimits.maxItemsPerRequest) });
      expect(put.body).toMatchObject({ rejected: [] });
    }
    // Act
    let accepted = 0;
    for (let start = 0; start < shopper.events.length; start += 50) {
      const events = shopper.events.slice(start, start + 50).map(({ receivedAt: _receivedAt, ...event }) => event);
      const response = await stack.serverFetch('/v1/events', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ events }),
      });
      accepted += ((await response.json()) as { accepted: number }).accepted;
    }
    await drained(stack);
    // Assess
    expect(accepted).toBe(shopper.events.length);
    expect(stack.mapping.stats).toMatchObject({ discarded: 0 });
    const key = `u:${shopper.userId}`;
    const { Item: item } = await DynamoDBDocumentClient.from(client).send(
      new GetCommand({ TableName: stack.names.table, Key: shopperItemKey(key), ConsistentRead: true }),
    );
    const measure = measureItem(item ?? {});
    expect(measure).toEqual({ bytes: expect.any(Number) });
    const bytes = 'bytes' in measure ? measure.bytes : Infinity;
    console.info(
      `busiest profile item in DynamoDB: ${bytes} bytes (${((100 * bytes) / DYNAMO_MAX_ITEM_BYTES).toFixed(1)} %)`,
    );
    expect(bytes).toBeLessThan(0.75 * DYNAMO_MAX_ITEM_BYTES);
    const store = new DynamoFeatureStore(client, stack.names.table);
    const profile = (await store.readShopper(key))?.profile;
    expect(profile?.recentItems).toHaveLength(featureLimits.recentItemsPerUser);
    expect(profile?.seenEvents).toHaveLength(featureLimits.seenEventsPerUser);
    expect(Object.keys(profile?.categoryAffinities ?? {})).toHaveLength(featureLimits.categoryAffinitiesPerUser);
    expect(profile?.recentQueries).toHaveLength(featureLimits.recentQueriesPerUser);
    // Every link is an item of its own, where erasure looks for them.
    expect(await store.aliasesOf(key)).toHaveLength(500);
  });
});
