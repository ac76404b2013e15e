import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StandIns } from '#local/standins.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { LAKE_BYTES_PER_EVENT, S3LakeReader, S3NewDataCounter } from '#shared/adapters/s3Lake.ts';
import { envVars } from '#shared/config/index.ts';
import { emptyReadStats } from '#shared/lake/lakeLines.ts';
import { erasureHash } from '#shared/privacy/erasureHash.ts';
import { readCatalogue } from '#shared/recommender/io/dataset.ts';
import { PipelineConfigError } from '#shared/training/errors.ts';
import { exportFiles } from '#shared/training/export.ts';
import { exportFromEnvironment } from '#shared/training/exportMain.ts';
import { exportEnv } from '#shared/training/pipeline.ts';
import { lakeReaderContract } from '../contract/lakeReader.contract.ts';
import { startS3StandIn, type S3StandIn } from './s3StandIn.ts';
import { featureTableOn, startTestStandIns } from './standins.ts';

const KEY = 'training-export-integration-key-0123456789';
const DAY = 86_400_000;
const D1 = Date.parse('2026-03-01T00:00:00.000Z');
const window = {
  from: new Date(D1).toISOString(),
  holdoutFrom: new Date(D1 + 2 * DAY).toISOString(),
  to: new Date(D1 + 3 * DAY).toISOString(),
};

let standIns: StandIns;
let table: { client: DynamoDBClient; tableName: string };
let s3: S3StandIn;
let root: string;
const objects: { key: string; body: Buffer }[] = [];

/** Day `day`'s lake object: `perDay` events of shoppers u0..u9 (u3 erased) on items sku-0..sku-4 (sku-4 deleted). */
function lakeObject(day: number, perDay: number): { key: string; body: Buffer } {
  const lines = Array.from({ length: perDay }, (_, i) => {
    const at = D1 + day * DAY + i * 60_000;
    const type = i % 7 === 0 ? 'purchase' : i % 11 === 0 ? 'search' : 'view';
    return JSON.stringify({
      eventId: `e-${day}-${i}`,
      type,
      userId: `u${i % 10}`,
      ...(type === 'search' ? { query: 'pan' } : { itemId: `sku-${i % 5}` }),
      ...(type === 'purchase' ? { quantity: 1 + (i % 3) } : {}),
      timestamp: at - 500,
      receivedAt: at,
    });
  });
  const date = new Date(D1 + day * DAY).toISOString().slice(0, 10);
  return { key: `events/dt=${date}/reco-events-${day}.jsonl.gz`, body: gzipSync(`${lines.join('\n')}\n`) };
}

beforeAll(async () => {
  standIns = await startTestStandIns();
  table = await featureTableOn(standIns, `export-${Date.now()}`);
  s3 = await startS3StandIn({ pageSize: 2 });
  root = mkdtempSync(join(tmpdir(), 'export-it-'));
  for (const day of [-1, 0, 1, 2, 3]) objects.push(lakeObject(day, 300));
  for (const { key, body } of objects) {
    s3.put('lake', key, body, new Date(Date.parse(key.slice(10, 20)) + DAY - 1));
    mkdirSync(join(root, 'lake', key, '..'), { recursive: true });
    writeFileSync(join(root, 'lake', key), body);
  }
  s3.put('lake', 'events/dt=2026-03-01/manifest.json', Buffer.from('{}'));
  const store = new DynamoFeatureStore(table.client, table.tableName);
  await store.putItems([
    { itemId: 'sku-0', title: 'Pan', categories: ['kitchen'], inStock: true },
    { itemId: 'sku-1', categories: ['kitchen'], recommendable: false },
    { itemId: 'sku-2', categories: [] },
    { itemId: 'sku-3', categories: [] },
    { itemId: 'sku-4', categories: [] },
  ]);
  await store.deleteItem('sku-4', D1);
  await store.recordErasure(erasureHash(KEY, 'u:u3'), D1 + 10 * DAY);
});

afterAll(async () => {
  table.client.destroy();
  await s3.stop();
  await standIns.stop();
  rmSync(root, { recursive: true, force: true });
});

const environment = (lakeUri: string) => ({
  [exportEnv.lakeUri]: lakeUri,
  [exportEnv.windowFrom]: window.from,
  [exportEnv.holdoutFrom]: window.holdoutFrom,
  [exportEnv.windowTo]: window.to,
  [exportEnv.featureTableName]: table.tableName,
  [envVars.erasureHashKey]: KEY,
});

const read = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');

describe('Function: exportFromEnvironment', () => {
  it('exports the window from the S3 lake, the feature table’s catalogue and erasure log, as the local lake gives it', async () => {
    // Prepare
    const fromS3 = join(root, 'out-s3');
    const fromFolder = join(root, 'out-local');
    // Act
    const summary = await exportFromEnvironment(environment('s3://lake/events/'), fromS3, {
      s3: s3.client,
      dynamoDb: table.client,
    });
    const local = await exportFromEnvironment(
      environment(pathToFileURL(join(root, 'lake', 'events')).href),
      fromFolder,
      {
        dynamoDb: table.client,
      },
    );
    // Assess
    expect(summary).toMatchObject({
      window,
      eventsRead: 900,
      invalidLines: 0,
      items: 4,
      notRecommendableItems: 1,
      deletedItems: 1,
      // u3 is erased; u4's and u9's events are all on sku-4, which was deleted.
      shoppers: 7,
    });
    expect(summary.erasedSkipped).toBeGreaterThan(0);
    expect(summary.deletedItemSkipped).toBeGreaterThan(0);
    expect({ ...local, seconds: 0 }).toEqual({ ...summary, seconds: 0 });
    for (const name of [exportFiles.interactions, exportFiles.holdout, exportFiles.items, exportFiles.noLiveModel]) {
      expect(read(fromFolder, name)).toBe(read(fromS3, name));
    }
    const interactions = read(fromS3, exportFiles.interactions);
    expect(interactions).not.toMatch(/^u3,/m);
    expect(interactions).not.toMatch(/,sku-4,/);
    expect(interactions).toMatch(/,sku-1,/);
    expect(read(fromS3, exportFiles.holdout)).not.toMatch(/,sku-1,/);
    const { catalogue } = await readCatalogue(join(fromS3, exportFiles.items));
    expect(catalogue.map((item) => item.itemId).sort()).toEqual(['sku-0', 'sku-1', 'sku-2', 'sku-3']);
    expect(JSON.parse(read(fromS3, exportFiles.summary))).toEqual(summary);
  });

  it('throws PipelineConfigError naming every setting that is missing or not an instant', async () => {
    // Act
    const attempt = exportFromEnvironment({ [exportEnv.windowFrom]: 'yesterday' }, join(root, 'never'));
    // Assess
    await expect(attempt).rejects.toThrow(PipelineConfigError);
    await expect(attempt).rejects.toThrow(
      new RegExp(`${exportEnv.lakeUri} is required; ${exportEnv.windowFrom} must be an ISO-8601 instant`),
    );
  });
});

let lakes = 0;
lakeReaderContract('S3 over the loopback stand-in', async (lakeObjects) => {
  lakes += 1;
  for (const { key, body } of lakeObjects) s3.put(`lake-${lakes}`, `events/${key}`, body);
  return new S3LakeReader(s3.client, `s3://lake-${lakes}/events/`);
});

describe('Class: S3LakeReader', () => {
  it('reads the days of the range only, page by page, skipping keys that are not lake objects', async () => {
    // Prepare
    const reader = new S3LakeReader(s3.client, 's3://lake/events/');
    const stats = emptyReadStats();
    s3.requests.length = 0;
    // Act
    let events = 0;
    for await (const batch of reader.events({ from: D1 + DAY, to: D1 + DAY + 3_600_000 }, stats))
      events += batch.length;
    // Assess
    expect(events).toBe(60);
    expect(s3.requests.filter((r) => r.includes('list-type=2')).every((r) => r.includes('dt%3D2026-03-02'))).toBe(true);
    expect(s3.requests.filter((r) => !r.includes('list-type=2'))).toEqual([
      'GET /lake/events/dt%3D2026-03-02/reco-events-1.jsonl.gz?x-id=GetObject',
    ]);
  });

  it('throws naming an object that is not gzip', async () => {
    // Prepare
    s3.put('lake', 'events/dt=2026-04-01/broken.jsonl.gz', Buffer.from('not gzip'));
    const reader = new S3LakeReader(s3.client, 's3://lake/events');
    // Act
    const attempt = (async () => {
      for await (const _batch of reader.events(
        { from: Date.parse('2026-04-01'), to: Date.parse('2026-04-02') },
        emptyReadStats(),
      ));
    })();
    // Assess
    await expect(attempt).rejects.toThrow('cannot read lake object s3://lake/events/dt=2026-04-01/broken.jsonl.gz');
  });
});

describe('Class: S3NewDataCounter', () => {
  it('estimates the events of the objects delivered in the range from their sizes', async () => {
    // Prepare
    const counter = new S3NewDataCounter(s3.client, 's3://lake/events/');
    const delivered = objects.slice(2).reduce((bytes, object) => bytes + object.body.length, 0);
    // Act
    const count = await counter.countEvents({ from: D1 + DAY, to: D1 + 4 * DAY });
    // Assess
    expect(count).toEqual({ events: Math.round(delivered / LAKE_BYTES_PER_EVENT), estimated: true });
  });
});
