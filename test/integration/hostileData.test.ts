import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '#local/stack.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { dayBucket } from '#shared/features/applyEvents.ts';
import { readLakeEvents } from '#shared/lake/trainingExport.ts';

/*
 * Catalogue values and ids named like Object.prototype's members, through the API, the stream and
 * the processor into DynamoDB and back out of the API: none may fail a record, and each must be
 * stored and read back as any other name.
 */

const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty'] as const;

let stack: LocalStack;
let dataDir: string;
const run = `h${Date.now().toString(36)}`;
let counter = 0;
const json = { 'content-type': 'application/json' };

async function send(method: string, path: string, body?: unknown) {
  const response = await stack.serverFetch(path, {
    method,
    headers: json,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Waits until the poller has handled (processed or given up on) everything the API accepted. */
async function settled(): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    const { processed, discarded } = stack.mapping.stats;
    if (processed + discarded >= stack.stats.eventsAccepted && stack.mapping.idle) return;
    await sleep(50);
  }
  throw new Error(`stream not settled: ${JSON.stringify(stack.mapping.stats)} vs ${stack.stats.eventsAccepted}`);
}

const store = () =>
  new DynamoFeatureStore(
    new DynamoDBClient({
      endpoint: stack.standIns.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    stack.names.table,
  );

const scoreOf = async (itemId: string) =>
  (await store().topPopular(dayBucket(Date.now()), 1000)).find((p) => p.itemId === itemId)?.score;

beforeAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  delete process.env.AWS_ENDPOINT_URL_KINESIS;
  dataDir = mkdtempSync(join(tmpdir(), 'reco-hostile-'));
  stack = await startLocalStack({ port: 0, apiKey: 'hostile-key', dataDir, batchingWindowMs: 50 });
});

afterAll(async () => {
  await stack?.stop();
});

describe('Local stack: catalogue values and ids named like prototype members', () => {
  it('counts every view of an item in category "constructor", and every other shopper of the batch', async () => {
    // Prepare
    const poisoned = `${run}-ctor`;
    const plain = `${run}-plain`;
    const put = await send('PUT', '/v1/items', {
      items: [
        { itemId: poisoned, categories: ['constructor'] },
        { itemId: plain, categories: ['kitchen'] },
      ],
    });
    expect(put.body).toMatchObject({ upserted: 2 });
    // 40 shoppers view the item, interleaved with 40 other shoppers' views of another, in one request.
    const events = Array.from({ length: 80 }, (_, i) => ({
      eventId: `${run}-${++counter}`,
      type: 'view',
      userId: i % 2 === 0 ? `${run}-fan-${i}` : `${run}-other-${i}`,
      itemId: i % 2 === 0 ? poisoned : plain,
      timestamp: Date.now(),
    }));
    // Act
    const posted = await send('POST', '/v1/events', { events });
    await settled();
    // Assess
    expect(posted.body).toMatchObject({ accepted: 80 });
    expect(stack.mapping.stats.discarded).toBe(0);
    expect(await scoreOf(poisoned)).toBe(40);
    expect(await scoreOf(plain)).toBe(40);
    const fan = (await store().readShopper(`u:${run}-fan-0`))?.profile;
    expect(Object.keys(fan?.categoryAffinities ?? {})).toEqual(['constructor']);
    expect(Object.entries(fan?.categoryAffinities ?? {})[0]?.[1].score).toBe(1);
  });

  it('stores and reads back prototype member names as category names: one affinity each', async () => {
    // Prepare
    const items = PROTOTYPE_NAMES.map((name) => ({ itemId: `${run}-category-${name}`, categories: [name] }));
    await send('PUT', '/v1/items', { items: [...items, { itemId: `${run}-all`, categories: [...PROTOTYPE_NAMES] }] });
    const shopper = `${run}-categories`;
    // Act
    await send('POST', '/v1/events', {
      events: [...items, { itemId: `${run}-all` }].map(({ itemId }) => ({
        eventId: `${run}-${++counter}`,
        type: 'view',
        userId: shopper,
        itemId,
        timestamp: Date.now(),
      })),
    });
    await settled();
    // Assess
    const affinities = (await store().readShopper(`u:${shopper}`))?.profile.categoryAffinities ?? {};
    expect(Object.keys(affinities).sort()).toEqual([...PROTOTYPE_NAMES].sort());
    for (const name of PROTOTYPE_NAMES) {
      expect(Object.hasOwn(affinities, name)).toBe(true);
      expect(Object.entries(affinities).find(([category]) => category === name)?.[1].score).toBeCloseTo(2, 6);
    }
    expect(stack.mapping.stats.discarded).toBe(0);
  });

  it('stores and reads back prototype member names as item ids: popularity, co-occurrence and profile', async () => {
    // Prepare
    await send('PUT', '/v1/items', { items: PROTOTYPE_NAMES.map((itemId) => ({ itemId, categories: ['names'] })) });
    const shopper = `${run}-items`;
    const start = Date.now();
    // Act: one session over the four items, in order.
    const posted = await send('POST', '/v1/events', {
      events: PROTOTYPE_NAMES.map((itemId, i) => ({
        eventId: `${run}-${++counter}`,
        type: 'view',
        userId: shopper,
        sessionId: `${run}-session`,
        itemId,
        timestamp: start + i,
      })),
    });
    await settled();
    const similar = await Promise.all(
      PROTOTYPE_NAMES.map(async (itemId) => {
        const response = await stack.serverFetch(`/v1/items/${encodeURIComponent(itemId)}/similar?count=3`);
        return { status: response.status, body: (await response.json()) as { items: { itemId: string }[] } };
      }),
    );
    // Assess
    expect(posted.body).toMatchObject({ accepted: 4 });
    for (const itemId of PROTOTYPE_NAMES) expect(await scoreOf(itemId)).toBe(1);
    const day = dayBucket(start);
    const days = await store().itemDays('constructor', day, day);
    expect(Object.keys(days[0]?.viewedWith ?? {}).sort()).toEqual(['__proto__', 'hasOwnProperty', 'toString']);
    for (const [i, itemId] of PROTOTYPE_NAMES.entries()) {
      expect(similar[i]?.status).toBe(200);
      const others = PROTOTYPE_NAMES.filter((other) => other !== itemId);
      expect(similar[i]?.body.items.map((item) => item.itemId).sort()).toEqual([...others].sort());
    }
    const profile = (await store().readShopper(`u:${shopper}`))?.profile;
    expect(profile?.recentItems.map((item) => item.itemId)).toEqual([...PROTOTYPE_NAMES].reverse());
  });

  it('takes events whose properties are named like prototype members, and keeps them in the lake', async () => {
    // Prepare
    const eventId = `${run}-${++counter}`;
    // Parsed, so that `__proto__` is an own property, as it is in a request body.
    const properties = JSON.parse(
      '{"constructor":"c","__proto__":"p","toString":"t","hasOwnProperty":true,"valueOf":1}',
    ) as Record<string, unknown>;
    // Act
    const posted = await send('POST', '/v1/events', {
      events: [
        { eventId, type: 'view', userId: `${run}-props`, itemId: `${run}-plain`, timestamp: Date.now(), properties },
      ],
    });
    await settled();
    // Assess
    expect(posted.body).toMatchObject({ accepted: 1 });
    expect(stack.mapping.stats.discarded).toBe(0);
    const deadline = Date.now() + 10_000;
    let stored: Record<string, unknown> | undefined;
    while (stored === undefined && Date.now() < deadline) {
      for await (const event of readLakeEvents(stack.dataLake.root))
        if (event.eventId === eventId) stored = event.properties;
      if (stored === undefined) await sleep(100);
    }
    expect(Object.entries(stored ?? {})).toEqual(Object.entries(properties));
    expect((await store().readShopper(`u:${run}-props`))?.profile.recentItems).toHaveLength(1);
  });
});
