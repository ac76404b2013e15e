import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventWeightParam } from '#shared/recommender/matrix.ts';
import { containerPaths, type ContainerPaths } from '../../../model/lib/paths.ts';
import { recordMetrics, train, trainMain } from '../../../model/lib/training.ts';

let root: string;
let paths: ContainerPaths;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'reco-training-'));
  paths = containerPaths(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

describe('Entry point: train', () => {
  describe('metrics in the manifest', () => {
    it('returns the manifest with the metrics added and everything else kept', async () => {
      // Prepare
      const manifest = {
        formatVersion: 1,
        algorithm: 'popularity',
        hyperparameters: { [eventWeightParam('view')]: 1 },
        data: { users: 1, items: 1, interactions: 1, sha256: 'abc' },
        metrics: {},
        createdAt: '2025-01-01T00:00:00.000Z',
        files: { 'itemTotals.f32': { kind: 'float32', length: 1 } },
      };
      await put(join(paths.model, 'manifest.json'), JSON.stringify(manifest));

      // Act
      const updated = await recordMetrics(paths.model, { 'ndcg@10': 0.25 });

      // Assess
      const expected = { ...manifest, metrics: { 'ndcg@10': 0.25 } };
      expect(updated).toEqual(expected);
      expect(JSON.parse(await readFile(join(paths.model, 'manifest.json'), 'utf8'))).toEqual(expected);
    });
  });

  describe('trainMain', () => {
    const io = () => {
      const lines: string[] = [];
      return {
        lines,
        io: { env: {}, log: (line: string) => lines.push(line), error: (line: string) => lines.push(line) },
      };
    };

    it('returns 2 for an unknown flag and writes the reason to output/failure', async () => {
      // Prepare
      const { lines, io: entryIo } = io();

      // Act
      const code = await trainMain(['--bogus', 'x'], { ...entryIo, env: { SM_ROOT: root } });

      // Assess
      expect(code).toBe(2);
      expect(await readFile(paths.failure, 'utf8')).toContain("Unknown option '--bogus'");
      expect(lines.join('\n')).toContain('training failed:');
    });

    it('returns 1 without interactions and writes why to output/failure', async () => {
      // Prepare
      const { io: entryIo } = io();

      // Act
      const code = await trainMain(['--root', root], entryIo);

      // Assess
      expect(code).toBe(1);
      expect(await readFile(paths.failure, 'utf8')).toContain('channel "interactions" is missing');
    });

    it('returns 0 after writing a model trained on the channels, with the stop handler registered', async () => {
      // Prepare
      const { lines, io: entryIo } = io();
      const handlers: ((signal: string) => void)[] = [];
      await put(paths.hyperparameters, '{"algorithm": "popularity"}');
      await put(join(paths.channel('interactions'), 'a.csv'), 'USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,100\nu2,i1,101\n');
      await put(join(paths.channel('interactions'), 'b.csv'), 'USER_ID,ITEM_ID,TIMESTAMP\nu1,i2,102\n');
      await put(join(paths.channel('items'), 'items.csv'), 'ITEM_ID,PRICE\ni1,2.5\ni3,1\n');

      // Act
      const code = await trainMain(['--root', root], { ...entryIo, onStop: (handler) => handlers.push(handler) });

      // Assess
      expect(code).toBe(0);
      const manifest = JSON.parse(await readFile(join(paths.model, 'manifest.json'), 'utf8')) as {
        algorithm: string;
        data: { users: number; items: number; interactions: number };
      };
      expect(manifest.algorithm).toBe('popularity');
      expect(manifest.data).toMatchObject({ users: 2, items: 3, interactions: 3 });
      expect(lines).toContain('read 3 interactions from 2 file(s), 2 catalogue items from 1 file(s)');
      expect(handlers).toHaveLength(1);
    });

    it('returns the stop reason in output/failure when the stop handler runs', async () => {
      // Prepare
      const { io: entryIo } = io();
      let stop: ((signal: string) => void) | undefined;
      await trainMain(['--root', root], { ...entryIo, onStop: (handler) => (stop = handler) });

      // Act
      stop?.('SIGTERM');

      // Assess
      expect(await readFile(paths.failure, 'utf8')).toBe(
        "training stopped by SIGTERM (StopTrainingJob or the job's time limit)\n",
      );
    });
  });

  describe('train with a holdout', () => {
    const WINDOW = {
      windowFrom: '2025-06-01T00:00:00Z',
      holdoutFrom: '2025-06-01T00:10:00Z',
      windowTo: '2025-06-01T00:20:00Z',
    };
    /** 2025-06-01T00:00:00Z in epoch seconds. */
    const START = 1_748_736_000;

    async function channels(interactions: string, holdout?: string): Promise<void> {
      await put(paths.hyperparameters, JSON.stringify({ algorithm: 'item-knn', ...WINDOW }));
      await put(join(paths.channel('interactions'), 'interactions.csv'), `USER_ID,ITEM_ID,TIMESTAMP\n${interactions}`);
      if (holdout !== undefined) {
        await put(join(paths.channel('holdout'), 'holdout.csv'), `USER_ID,ITEM_ID,TIMESTAMP\n${holdout}`);
      }
    }

    it('returns the manifest with its window and the gate’s report, gate.json beside the model', async () => {
      // Prepare
      const lines: string[] = [];
      await channels(
        [`u1,a,${START}`, `u1,b,${START + 1}`, `u2,a,${START + 2}`, `u2,b,${START + 3}`, `u3,a,${START + 4}`].join(
          '\n',
        ),
        `u3,b,${START + 600}\n`,
      );
      await put(join(paths.channel('live'), 'NONE'), '');

      // Act
      const result = await train(paths, (line) => lines.push(line));

      // Assess
      expect(result.manifest.window).toEqual({
        from: '2025-06-01T00:00:00.000Z',
        holdoutFrom: '2025-06-01T00:10:00.000Z',
        to: '2025-06-01T00:20:00.000Z',
      });
      expect(JSON.parse(await readFile(join(paths.model, 'manifest.json'), 'utf8'))).toEqual(result.manifest);
      expect(result.gate).toMatchObject({ holdoutUsers: 1, candidate: { hr10: 1 }, window: result.manifest.window });
      expect(lines).toContain('gate: candidate_hr10=1');
      expect(lines).toContain('read 1 holdout interactions from 1 file(s)');
      expect(JSON.parse(await readFile(join(paths.outputData, 'gate.json'), 'utf8'))).toEqual(result.gate);
    });

    it('returns no gate without a holdout channel, and warns about a live channel alone', async () => {
      // Prepare
      const lines: string[] = [];
      await channels(`u1,a,${START}\nu2,a,${START + 1}\n`);
      await put(join(paths.channel('live'), 'NONE'), '');

      // Act
      const result = await train(paths, (line) => lines.push(line));

      // Assess
      expect(result.gate).toBeUndefined();
      expect(lines).toContain('warning: a "live" channel without a "holdout" channel: no gate, nothing to score on');
    });

    it('returns a warning for training interactions stamped at or after holdoutFrom', async () => {
      // Prepare
      const lines: string[] = [];
      await channels(`u1,a,${START}\nu1,b,${START + 600}\nu1,c,${START + 599}\n`, `u1,d,${START + 700}\n`);

      // Act
      await train(paths, (line) => lines.push(line));

      // Assess
      expect(lines).toContain(
        'warning: channel "interactions": 1 interactions stamped at or after holdoutFrom (2025-06-01T00:10:00.000Z); ' +
          "shopper clocks ahead of the server's, or a window that does not match the data",
      );
    });
  });
});
