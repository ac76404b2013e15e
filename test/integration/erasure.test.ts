import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#local/stack.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { InlineErasureHashKey } from '#shared/adapters/erasureHashKey.ts';
import { envVars } from '#shared/config/index.ts';
import { interactionsCsv, readLakeEvents } from '#shared/lake/trainingExport.ts';
import { ErasureHasher } from '#shared/privacy/erasureHash.ts';
import { erasedShopperHashes } from '#shared/privacy/erasureLog.ts';
import { drained, startFreshStack } from './freshStack.ts';

/*
 * Erasure end to end on the local stand-ins: events for a signed-in shopper with an identified
 * anonymous history go through the API, the stream and the processor into DynamoDB (and the
 * lake); `DELETE /v1/users/{id}` goes through the local gateway to the privacy handler; then every
 * place the shopper was kept is checked.
 */

let stack: LocalStack;
let client: DynamoDBClient;
let store: DynamoFeatureStore;
let hasher: ErasureHasher;
const run = `e${Date.now().toString(36)}`;
const userId = `${run}-u1`;
const anonymousId = `${run}-anon`;
const otherId = `${run}-other`;
const userKey = `u:${userId}`;
const anonymousKey = `a:${anonymousId}`;

async function serverJson(path: string, method = 'GET', body?: unknown) {
  const response = await stack.serverFetch(path, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

const event = (n: number, fields: Record<string, unknown>) => ({
  eventId: `${run}-${n}`,
  timestamp: Date.now(),
  ...fields,
});

beforeAll(async () => {
  stack = await startFreshStack('erasure-key', 'reco-erasure-');
  client = new DynamoDBClient({
    endpoint: stack.standIns.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  store = new DynamoFeatureStore(client, stack.names.table);
  // The key the stack gave its functions, as the training export job would be given it.
  hasher = new ErasureHasher(new InlineErasureHashKey(process.env[envVars.erasureHashKey] ?? ''));
});

afterAll(async () => {
  client?.destroy();
  await stack?.stop();
});

describe('Erasure end to end (local stand-ins)', () => {
  it('leaves no profile, alias, shopper key in served lists, training row or raw id in the log of an erased shopper', async () => {
    // Prepare: an anonymous history, identified, then signed-in activity; another shopper stays.
    const accepted = [
      await serverJson('/v1/events', 'POST', {
        events: [
          event(1, { type: 'view', anonymousId, itemId: `${run}-tent` }),
          event(2, { type: 'add_to_cart', anonymousId, itemId: `${run}-lamp` }),
          event(3, { type: 'view', userId: otherId, itemId: `${run}-tent` }),
        ],
      }),
    ];
    await drained(stack);
    accepted.push(
      await serverJson('/v1/events', 'POST', { events: [event(4, { type: 'identify', userId, anonymousId })] }),
    );
    await drained(stack);
    accepted.push(
      await serverJson('/v1/events', 'POST', {
        events: [event(5, { type: 'purchase', userId, itemId: `${run}-stove`, quantity: 1 })],
      }),
    );
    await drained(stack);
    const served = await serverJson(`/v1/users/${userId}/recommendations`);
    const before = { user: await store.readShopper(userKey), anonymous: await store.readShopper(anonymousKey) };

    // Act
    const erased = await serverJson(`/v1/users/${userId}`, 'DELETE');
    await waitFor(() => stack.dataLake.written >= stack.stats.eventsAccepted);

    // Assess: the set-up did what the test is about.
    expect(accepted.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(before.user?.profile.recentItems.map((r) => r.itemId).sort()).toEqual(
      [`${run}-lamp`, `${run}-stove`, `${run}-tent`].sort(),
    );
    expect(before.anonymous?.profile.mergedInto).toBe(userKey);
    expect(erased.status).toBe(202);
    expect(erased.body).toMatchObject({ userId, profilesErased: [userKey, anonymousKey], excludedFromTraining: true });

    // Profiles: tombstones with the erasure time and a new feature version, no history, no link.
    const erasedAt = Date.parse(erased.body.erasedAt as string);
    const after = { user: await store.readShopper(userKey), anonymous: await store.readShopper(anonymousKey) };
    for (const [key, stored] of [
      [userKey, after.user],
      [anonymousKey, after.anonymous],
    ] as const) {
      expect(stored?.profile, key).toEqual({
        recentItems: [],
        recentQueries: [],
        categoryAffinities: {},
        seenEvents: [],
        erasedAt,
      });
    }
    expect(after.user?.featureVersion).toBeGreaterThan(before.user?.featureVersion ?? Infinity);
    expect(after.anonymous?.featureVersion).toBeGreaterThan(before.anonymous?.featureVersion ?? Infinity);

    // Alias items: none left under the user.
    expect(await store.aliasesOf(userKey)).toEqual([]);

    // Served lists: the record holds no shopper key.
    const documents = DynamoDBDocumentClient.from(client);
    const record = await documents.send(
      new GetCommand({
        TableName: stack.names.table,
        Key: { pk: `REC#${served.body.recommendationId as string}`, sk: 'REC' },
      }),
    );
    expect(served.status).toBe(200);
    expect(record.Item).toBeDefined();
    expect(record.Item).not.toHaveProperty('shopperKey');
    expect(JSON.stringify(record.Item ?? {})).not.toContain(userId);

    // Erasure log: keyed hashes of both keys, no raw id.
    const log = await documents.send(
      new QueryCommand({
        TableName: stack.names.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'ERASED' },
      }),
    );
    const logged = log.Items ?? [];
    expect(logged.map((item) => item.sk).sort()).toEqual(
      [await hasher.hash(userKey), await hasher.hash(anonymousKey)].sort(),
    );
    expect(JSON.stringify(logged)).not.toContain(run);

    // Audit record: when, which keyed hashes, how many items.
    const audits = await store.auditsOf(new Date(erasedAt).toISOString().slice(0, 10));
    expect(audits).toContainEqual(
      expect.objectContaining({
        erasureId: erased.body.erasureId,
        erasedAt,
        keyHashes: [await hasher.hash(userKey), await hasher.hash(anonymousKey)],
        itemsRemoved: 3,
      }),
    );
    expect(JSON.stringify(audits)).not.toContain(run);

    // Training export: nothing of the user or their anonymous history; the other shopper stays.
    const rows: string[] = [];
    const hash = await hasher.hashFunction();
    for await (const row of interactionsCsv(
      readLakeEvents(stack.dataLake.root),
      await erasedShopperHashes(store, hasher),
      hash,
    )) {
      rows.push(row);
    }
    const mine = rows.filter((row) => row.includes(run));
    expect(mine.map((row) => row.split(',').slice(0, 2).join(','))).toEqual([`${otherId},${run}-tent`]);
  });

  // Runs after the erasure above.
  it('refuses a later identify linking the erased anonymous id to another user', async () => {
    // Act
    const response = await serverJson('/v1/events', 'POST', {
      events: [event(10, { type: 'identify', userId: `${run}-thief`, anonymousId })],
    });
    await drained(stack);

    // Assess
    expect(response.status).toBe(200);
    expect((await store.readShopper(anonymousKey))?.profile.mergedInto).toBeUndefined();
    expect(await store.aliasesOf(`u:${run}-thief`)).toEqual([]);
  });
});
