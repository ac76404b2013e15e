/**
 * File-system locations the CDK app needs, resolved from this file rather than from the
 * process's working directory, so `cdk synth`, vitest and editors agree wherever they start.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (the folder holding `package.json`). */
export const repoRoot: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The lock file esbuild bundling hashes and resolves dependencies against. */
export const depsLockFile: string = path.join(repoRoot, 'package-lock.json');

/** Lambda handlers living in `functions/<name>/handler.ts`, each exporting `handler`. */
export type FunctionName =
  | 'ingest'
  | 'processor'
  | 'recommend'
  | 'catalogue'
  | 'privacy'
  | 'admin'
  | 'rotateUserTokenKeys'
  | 'pipeline'
  | 'pipelineTeardown';

/** Absolute path of a handler's TypeScript entry file. */
export function functionEntry(name: FunctionName): string {
  return path.join(repoRoot, 'functions', name, 'handler.ts');
}
