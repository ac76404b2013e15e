import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channelFiles } from '../../../model/lib/channels.ts';
import { TrainingJobError } from '../../../model/lib/failure.ts';
import { containerPaths, type ContainerPaths } from '../../../model/lib/paths.ts';

let root: string;
let paths: ContainerPaths;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'reco-training-'));
  paths = containerPaths(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The message of the `TrainingJobError` that `act` throws. */
async function jobError(act: () => unknown): Promise<string> {
  try {
    await act();
  } catch (error) {
    expect(error).toBeInstanceOf(TrainingJobError);
    return (error as Error).message;
  }
  throw new Error('expected a TrainingJobError');
}

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

describe('Entry point: train', () => {
  describe('channels', () => {
    it('returns the CSV and CSV.gz files at any depth, sorted, without hidden or other files', async () => {
      // Prepare
      const dir = paths.channel('interactions');
      await put(join(dir, 'b.csv'), 'x');
      await put(join(dir, 'dt=2024-01-02', 'part-0.csv.gz'), 'x');
      await put(join(dir, 'a.CSV'), 'x');
      await put(join(dir, '.a.csv'), 'x');
      await put(join(dir, '_SUCCESS'), '');
      await put(join(dir, 'manifest.json'), '{}');

      // Act
      const files = await channelFiles(paths, 'interactions', true);

      // Assess
      expect(files).toEqual([join(dir, 'a.CSV'), join(dir, 'b.csv'), join(dir, 'dt=2024-01-02', 'part-0.csv.gz')]);
    });

    it('returns no files for an absent optional channel', async () => {
      // Act
      const files = await channelFiles(paths, 'items', false);

      // Assess
      expect(files).toEqual([]);
    });

    it('returns a missing required channel rejected, listing the channels the job has', async () => {
      // Prepare
      await put(join(paths.channel('train'), 'a.csv'), 'x');

      // Act
      const error = await jobError(() => channelFiles(paths, 'interactions', true));

      // Assess
      expect(error).toContain('channel "interactions" is missing');
      expect(error).toContain("the job's channels are: train");
    });

    it('returns Pipe mode rejected with a hint', async () => {
      // Prepare
      await put(paths.channel('interactions_0'), '');

      // Act
      const error = await jobError(() => channelFiles(paths, 'interactions', true));

      // Assess
      expect(error).toContain('Pipe input mode is not supported, use File or FastFile');
    });

    it('returns a channel without CSV files rejected, naming what it holds', async () => {
      // Prepare
      await put(join(paths.channel('interactions'), 'events.jsonl.gz'), 'x');

      // Act
      const error = await jobError(() => channelFiles(paths, 'interactions', true));

      // Assess
      expect(error).toContain('channel "interactions" has no .csv or .csv.gz files');
      expect(error).toContain('found only events.jsonl.gz');
    });
  });
});
