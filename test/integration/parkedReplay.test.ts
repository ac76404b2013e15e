import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '#local/stack.ts';
import { DYNAMO_MAX_ITEM_BYTES, measureItem } from '#shared/adapters/dynamoItemSize.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { shopperItemKey } from '#shared/adapters/profileItem.ts';
import { dayBucket } from '#shared/features/applyEvents.ts';
import { longSequenceNumber } from '../support/busyShopper.ts';
import { replayParkedCommand } from '../../tools/replay-parked.ts';

/*
 * A record that fails deterministically, end to end on the local stack: DynamoDB refuses the
 * shopper's profile update (the item would pass 400 KB), the processor parks that shopper's
 * records in the local on-failure file with their data and reason and applies everyone else's;
 * once the cause is gone, `npm run replay:parked -- --file … --stream …` puts them back on the
 * stream, and running it again changes nothing.
 */

let stack: LocalStack;
let dataDir: string;
let client: DynamoDBClient;
let documents: DynamoDBDocumentClient;
const run = `p${Date.now().toString(36)}`;
const legacy = `${run}-legacy`;
const json = { 'content-type': 'application/json' };
/** Marks of shards since closed, which a profile write does not know about. */
const OLD_SHARDS = Array.from({ length: 16 }, (_, i) => `hwm:shardId-old-${String(i).padStart(8, '0')}`);

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (!(condition() && stack.mapping.idle)) {
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(stack.mapping.stats)}`);
    await sleep(50);
  }
}

const store = () => new DynamoFeatureStore(client, stack.names.table);
const scores = async () =>
  Object.fromEntries(
    (await store().topPopular(dayBucket(Date.now()), 1000))
      .filter((p) => p.itemId.startsWith(run))
      .map((p) => [p.itemId.slice(run.length + 1), p.score]),
  );

/** Stores a profile of `legacy` a hundred bytes under the limit: aliases inline, and old shards' marks. */
async function seedProfileAtTheLimit(): Promise<void> {
  const aliases: string[] = [];
  const item = () => ({
    ...shopperItemKey(`u:${legacy}`),
    profile: { recentItems: [], recentQueries: [], categoryAffinities: {}, seenEvents: [], aliases },
    featureVersion: 1,
    expiresAt: 2_000_000_000,
    ...Object.fromEntries(OLD_SHARDS.map((name, i) => [name, longSequenceNumber(i)])),
  });
  const bytes = () => (measureItem(item()) as { bytes: number }).bytes;
  const count = Math.floor((DYNAMO_MAX_ITEM_BYTES - 100 - bytes()) / 103);
  for (let i = 0; i < count; i++) aliases.push(`a:${String(i).padStart(100, '0')}`);
  await documents.send(new PutCommand({ TableName: stack.names.table, Item: item() }));
}

/** As an operator runs it locally: the stack's Kinesis stand-in in `AWS_ENDPOINT_URL_KINESIS`. */
const replay = (file: string) => replayParkedCommand(['--file', file, '--stream', stack.names.stream]);

beforeAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  delete process.env.AWS_ENDPOINT_URL_KINESIS;
  dataDir = await mkdtemp(join(tmpdir(), 'reco-parked-'));
  stack = await startLocalStack({ port: 0, apiKey: 'parked-key', dataDir, batchingWindowMs: 50 });
  client = new DynamoDBClient({
    endpoint: stack.standIns.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  documents = DynamoDBDocumentClient.from(client);
});

afterAll(async () => {
  client?.destroy();
  await stack?.stop();
});

describe('Local stack: parking and replaying a record that fails deterministically', () => {
  it('parks only the refused records, then replays them once, however often the replay runs', async () => {
    // Prepare
    await seedProfileAtTheLimit();
    const events = [
      { eventId: `${run}-l1`, type: 'view', userId: legacy, itemId: `${run}-a`, timestamp: Date.now() },
      ...Array.from({ length: 10 }, (_, i) => ({
        eventId: `${run}-o${i}`,
        type: 'view',
        userId: `${run}-other-${i}`,
        itemId: `${run}-a`,
        timestamp: Date.now(),
      })),
      { eventId: `${run}-l2`, type: 'view', userId: legacy, itemId: `${run}-b`, timestamp: Date.now() },
    ];
    const poisonFile = join(dataDir, 'poison-records.jsonl');
    // Act: the events, then the cause removed, then two replays of what was parked.
    await stack.serverFetch('/v1/events', { method: 'POST', headers: json, body: JSON.stringify({ events }) });
    await waitUntil(() => stack.mapping.stats.processed >= events.length, 'events not processed');
    const parked = (await readFile(poisonFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string>);
    const scoresWhileParked = await scores();
    await documents.send(
      new UpdateCommand({
        TableName: stack.names.table,
        Key: shopperItemKey(`u:${legacy}`),
        UpdateExpression: `REMOVE ${OLD_SHARDS.map((_, i) => `#m${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(OLD_SHARDS.map((name, i) => [`#m${i}`, name])),
      }),
    );
    const keptCopy = join(dataDir, 'parked-copy.jsonl');
    await copyFile(poisonFile, keptCopy);
    const firstReport = await replay(poisonFile);
    await waitUntil(() => stack.mapping.stats.processed >= events.length + 2, 'replay not processed');
    const afterOne = await scores();
    const profileAfterOne = (await store().readShopper(`u:${legacy}`))?.profile;
    const secondReport = await replay(keptCopy);
    await waitUntil(() => stack.mapping.stats.processed >= events.length + 4, 'second replay not processed');
    // Assess
    expect(stack.mapping.stats.discarded).toBe(0);
    expect(parked.map((p) => [p.reason, JSON.parse(Buffer.from(p.data ?? '', 'base64').toString()).eventId])).toEqual([
      ['item_rejected', `${run}-l1`],
      ['item_rejected', `${run}-l2`],
    ]);
    expect(parked[0]).toMatchObject({
      shardId: expect.stringMatching(/^shardId-/),
      sequenceNumber: expect.any(String),
    });
    expect(scoresWhileParked).toEqual({ a: 10 });
    expect(firstReport).toMatchObject({ replayed: 2, stillInvalid: 0, notAccepted: 0 });
    expect(await readFile(poisonFile, 'utf8')).toBe('');
    expect(afterOne).toEqual({ a: 11, b: 1 });
    expect(profileAfterOne?.recentItems.map((r) => r.itemId).sort()).toEqual([`${run}-a`, `${run}-b`]);
    expect(secondReport).toMatchObject({ replayed: 2 });
    expect(await scores()).toEqual(afterOne);
    expect((await store().readShopper(`u:${legacy}`))?.profile).toEqual(profileAfterOne);
  });
});
