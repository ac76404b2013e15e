import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEvent, KinesisStreamEvent } from 'aws-lambda';
import { api } from '#shared/config/index.ts';
import { billedMs, billedMsPer1000 } from '../../../bench/lib/coldStart/billing.ts';
import { medianPairedRatio } from '../../../bench/lib/coldStart/paired.ts';
import { runColdProcess } from '../../../bench/lib/coldStart/spawnRunner.ts';
import {
  floorSubject,
  subjects,
  WARM,
  WARM_EVENTS,
  type SubjectContext,
} from '../../../bench/lib/coldStart/subjects.ts';
import { simulatorEvents } from '../../../bench/lib/fixtures.ts';

const functionsDir = new URL('../../../functions/', import.meta.url);
const handlers = readdirSync(functionsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'lib')
  .map((entry) => entry.name);

const context: SubjectContext = {
  shoppers: [
    { id: 'u1', token: 't1' },
    { id: 'u2', token: 't2' },
  ],
  freshEvents: simulatorEvents(4),
  runs: 4,
  warmEvents: simulatorEvents(4 + WARM_EVENTS).slice(4),
};

describe('Bench: cold-start', () => {
  describe('Function: billedMsPer1000', () => {
    it('returns latencies rounded up to the millisecond, 1 ms at least, per 1,000 invocations', () => {
      // Act
      const perThousand = billedMsPer1000([0.2, 1.4, 2, 7.01]);

      // Assess
      expect([billedMs(0), billedMs(0.2), billedMs(1), billedMs(1.0001)]).toEqual([1, 1, 1, 2]);
      expect(perThousand).toBe(((1 + 2 + 2 + 8) / 4) * 1000);
      expect(billedMsPer1000([])).toBeNaN();
    });
  });

  describe('Function: medianPairedRatio', () => {
    it("returns the median of each round's subject over the mean of its floor runs", () => {
      // Act
      const ratio = medianPairedRatio([
        { floorMs: [100, 100], subjectMs: 150 },
        { floorMs: [200, 400], subjectMs: 300 },
        { floorMs: [100, 100], subjectMs: 120 },
      ]);

      // Assess
      expect(ratio).toBeCloseTo(1.2);
    });
  });

  describe('Function: subjects', () => {
    it('returns one subject for every handler under functions/', () => {
      // Act
      const names = subjects(context).map((s) => s.name);

      // Assess
      expect([...names].sort()).toEqual([...handlers].sort());
    });

    it("returns API events each on a route of its handler's app, and a Kinesis batch for the processor", () => {
      // Prepare
      const byName = new Map(subjects(context).map((s) => [s.name, s]));
      const routeOf = (name: string) => {
        const event = byName.get(name)?.inputs.first(1) as APIGatewayProxyEvent;
        return `${event.httpMethod} ${event.resource}`;
      };
      const route = (name: keyof typeof api.routes) => `${api.routeMethods[name]} ${api.routes[name]}`;

      // Act
      const batch = byName.get('processor')?.inputs.first(1) as KinesisStreamEvent;

      // Assess
      expect(routeOf('recommend')).toBe(route('userRecommendations'));
      expect(routeOf('ingest')).toBe(route('events'));
      expect(routeOf('catalogue')).toBe(route('catalogueItems'));
      expect(routeOf('privacy')).toBe(route('userErasure'));
      expect(routeOf('admin')).toBe(route('userTokens'));
      expect(batch.Records).toHaveLength(1);
      expect(batch.Records[0]?.eventID).toMatch(/^shardId-000000000000:\d+$/);
      expect(byName.get('pipeline')?.inputs.first(1)).toBeUndefined();
    });

    it('returns warm blocks for ingest and the processor: requests of 5 events, batches of 1 and 100 records after the cold runs', () => {
      // Prepare
      const byName = new Map(subjects(context).map((s) => [s.name, s]));
      const sequence = (batch: KinesisStreamEvent) => BigInt(batch.Records[0]?.kinesis.sequenceNumber ?? '0');

      // Act
      const ingest = byName.get('ingest')?.inputs.warm?.() as Record<string, APIGatewayProxyEvent[]>;
      const processor = byName.get('processor')?.inputs.warm?.() as Record<string, KinesisStreamEvent[]>;

      // Assess
      expect(ingest.request).toHaveLength(WARM.ingestRequests);
      for (const request of ingest.request ?? []) {
        expect((JSON.parse(request.body ?? '{}') as { events: unknown[] }).events).toHaveLength(5);
      }
      expect(processor.batch1?.map((b) => b.Records.length)).toEqual(Array(WARM.processorBatches).fill(1));
      expect(processor.batch100?.map((b) => b.Records.length)).toEqual(Array(WARM.processorBatches).fill(100));
      const cold = sequence(byName.get('processor')?.inputs.first(context.runs - 1) as KinesisStreamEvent);
      const all = [...(processor.batch1 ?? []), ...(processor.batch100 ?? [])].map(sequence);
      expect(all.every((n, i) => n > cold && (i === 0 || n > (all[i - 1] ?? 0n)))).toBe(true);
      expect(byName.get('recommend')?.inputs.warm).toBeUndefined();
    });
  });

  describe('Function: runColdProcess', () => {
    let dir: string;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cold-start-test-'));
    });

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('returns the import, the first invocation and the warm blocks of a bundle in a new process', async () => {
      // Prepare
      const bundle = join(dir, 'index.mjs');
      await writeFile(
        bundle,
        'let n = 0; export const handler = async (event, context) => ({ statusCode: 200, headers: { "x-cache": n++ ? "HIT" : "MISS" }, body: String(event.k) + context.functionName });',
      );

      // Act
      const result = await runColdProcess({
        input: {
          bundle,
          first: { k: 1 },
          blocks: { hit: [{ k: 2 }, { k: 3 }] },
          functionName: 'f',
          memoryMb: 128,
          timeoutSeconds: 3,
        },
        env: { PATH: process.env.PATH },
        scratch: dir,
      });

      // Assess
      expect(result.firstAnswer).toBe('200 MISS');
      expect(result.initPlusFirstMs).toBeCloseTo(result.importMs + result.firstInvocationMs, 5);
      expect(result.blocks.hit?.latenciesMs).toHaveLength(2);
      expect(result.blocks.hit?.cpuMs.every((ms) => ms >= 0)).toBe(true);
      expect(result.blocks.hit?.cpuMs).toHaveLength(2);
      expect(result.blocks.hit?.answers).toEqual({ '200 HIT': 2 });
    });

    it('rejects with the child output when the handler fails at import', async () => {
      // Prepare
      const bundle = join(dir, 'index.mjs');
      await writeFile(bundle, 'throw new Error("environment variable X is required");');

      // Act
      const run = runColdProcess({
        input: { bundle, functionName: 'f', memoryMb: 128, timeoutSeconds: 3 },
        env: { PATH: process.env.PATH },
        scratch: dir,
      });

      // Assess
      await expect(run).rejects.toThrow(/environment variable X is required/);
    });
  });

  describe('Function: floorSubject', () => {
    it('returns one GetItem of the feature table', () => {
      // Act
      const event = floorSubject().inputs.first(0) as { tableName: string; key: Record<string, unknown> };

      // Assess
      expect(event.tableName).toBe('reco-bench-features');
      expect(Object.keys(event.key)).toEqual(['pk', 'sk']);
    });
  });
});
