/**
 * Starts one fresh execution environment: a plain `node` process running `runner.ts` on a bundle,
 * with the function's environment and nothing of this process's.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RunnerInput, RunnerResult } from './runner.ts';

const exec = promisify(execFile);
export const RUNNER = fileURLToPath(new URL('./runner.ts', import.meta.url));

let inputs = 0;

/** Runs the bundle once in a new process; rejects with its output if it fails. */
export async function runColdProcess(options: {
  readonly input: RunnerInput;
  readonly env: NodeJS.ProcessEnv;
  /** Where the input file goes. */
  readonly scratch: string;
}): Promise<RunnerResult> {
  const file = join(options.scratch, `input-${++inputs}.json`);
  await writeFile(file, JSON.stringify(options.input));
  const { stdout } = await exec(process.execPath, [RUNNER, file], {
    env: options.env,
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stderr?: string; stdout?: string; message: string }) => {
    throw new Error(`${options.input.bundle}: ${error.message}\n${error.stderr ?? ''}`.slice(0, 4000));
  });
  const line = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as RunnerResult;
  } catch {
    throw new Error(`${options.input.bundle}: no result line in its output:\n${stdout.slice(-2000)}`);
  }
}
