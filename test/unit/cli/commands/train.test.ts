import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../../cli/reco.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reco-train-flags-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `reco train` with `extra` on an interactions file that is never read (the flags fail first). */
async function train(extra: readonly string[]): Promise<{ code: number; stderr: string }> {
  const err: string[] = [];
  const io = { stdout: { write: () => true }, stderr: { write: (text: string) => err.push(text) } };
  const code = await main(
    ['train', '--interactions', join(dir, 'absent.csv'), '--out', join(dir, 'model'), '--no-tune', ...extra],
    io as never,
  );
  return { code, stderr: err.join('') };
}

describe('Command: reco train', () => {
  it.each(['__proto__=1', 'constructor=1', 'toString=x', '__proto__={}'])(
    'returns exit code 2 naming --param and the name for --param %s',
    async (param) => {
      // Act
      const { code, stderr } = await train(['--param', param]);

      // Assess
      expect(code).toBe(2);
      expect(stderr).toContain(`--param: unknown hyperparameter "${param.split('=')[0]}"`);
    },
  );

  it.each(['ials.factors=NaN', 'ials.factors=1e999', 'ials.factors=', 'eventValue.log=1'])(
    'returns exit code 2 naming --param for the value of %s',
    async (param) => {
      // Act
      const { code, stderr } = await train(['--param', param]);

      // Assess
      expect(code).toBe(2);
      expect(stderr).toContain(`--param: hyperparameter "${param.split('=')[0]}"`);
    },
  );

  it('returns exit code 2 naming --param for a __proto__ key of --params-file', async () => {
    // Prepare
    const file = join(dir, 'params.json');
    await writeFile(file, '{"__proto__": 5, "ials.factors": 8}');

    // Act
    const { code, stderr } = await train(['--params-file', file]);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('unknown hyperparameter "__proto__"');
  });
});
