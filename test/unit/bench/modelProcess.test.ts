import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MANIFEST_FILE } from '#shared/recommender/artifact.ts';
import { startChild, type Child } from '../../../bench/lib/serving/ipc.ts';
import type {
  ModelProcessInfo,
  ModelProcessOptions,
  ModelServerInfo,
} from '../../../bench/lib/serving/modelProcess.ts';

/*
 * The serving suite's chaos phase SIGKILLs the model process and starts another that serves the
 * saved model on the same port. Both modes of the real process, with a small model.
 */

const entry = join(import.meta.dirname, '../../../bench/lib/serving/modelProcess.ts');
const scratch = mkdtempSync(join(tmpdir(), 'reco-model-process-test-'));
const started: Child<unknown>[] = [];

function start<Ready>(options: ModelProcessOptions, label: string): Promise<Child<Ready>> {
  return startChild<Ready>(entry, { label, args: [JSON.stringify(options)], timeoutMs: 60_000 }).then((child) => {
    started.push(child);
    return child;
  });
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function ranking(url: string): Promise<{ status: number; modelVersion?: string; items?: unknown[] }> {
  const response = await fetch(`${url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ userId: 't1', count: 3 }),
  });
  return { status: response.status, ...((await response.json()) as { modelVersion?: string; items?: unknown[] }) };
}

afterAll(async () => {
  for (const child of started) await child.stop(1_000);
  rmSync(scratch, { recursive: true, force: true });
});

describe('Bench: serving', () => {
  describe('Process: modelProcess', () => {
    it('after a SIGKILL, serves the saved model again on the same port without training, and stops', async () => {
      // Prepare
      const dir = join(scratch, 'model');
      const trainer = await start<ModelProcessInfo>(
        {
          dir,
          seed: 3,
          itemCount: 200,
          shoppers: 40,
          meanPerShopper: 5,
          userPrefix: 't',
          hyperparameters: { 'ials.workers': 1 },
        },
        'model server',
      );
      expect((await ranking(trainer.ready.url)).status).toBe(200);

      // Act
      process.kill(trainer.pid, 'SIGKILL');
      await trainer.stop();
      const down = await fetch(`${trainer.ready.url}/ping`).then(
        (response) => response.status,
        () => 0,
      );
      const replacement = await start<ModelServerInfo>(
        { serveFrom: { dir, port: trainer.ready.port } },
        'model server (replacement)',
      );
      const answer = await ranking(replacement.ready.url);

      // Assess
      expect(isRunning(trainer.pid)).toBe(false);
      expect(down).toBe(0);
      expect(replacement.ready).toMatchObject({ url: trainer.ready.url, modelVersion: trainer.ready.modelVersion });
      expect(replacement.ready).not.toHaveProperty('trainMs');
      expect(replacement.ready.startCpuMs).toBeGreaterThan(0);
      expect(answer).toMatchObject({ status: 200, modelVersion: trainer.ready.modelVersion });
      expect(answer.items).toHaveLength(3);
      expect(await replacement.call('serverTimes')).toMatchObject({ requests: 1 });
      await replacement.stop();
      expect(isRunning(replacement.pid)).toBe(false);
      // The directory belongs to whoever trained the model.
      expect(existsSync(join(dir, MANIFEST_FILE))).toBe(true);
    }, 120_000);
  });
});
