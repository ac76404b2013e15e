/**
 * The source trees the Lambda-shaped benchmark bundles: the one it runs from, and optionally a
 * baseline to compare with in the same run (a folder, or a commit checked out for the run).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SourceRoot {
  /** Folder holding the tree's `package.json`. */
  readonly dir: string;
  /** What it is, for the record: `working tree`, a short commit, or the folder. */
  readonly label: string;
  /** Removes what was created for the run (a worktree); nothing for a given folder. */
  release(): Promise<void>;
}

/**
 * The baseline named by the environment, if any:
 * - `RECO_BENCH_BASELINE_ROOT`: a folder with the sources and a usable `node_modules`;
 * - `RECO_BENCH_BASELINE_REF`: a commit (or branch, tag), checked out with `git worktree add` into
 *   a temporary folder that borrows `repoRoot`'s `node_modules`, removed afterwards.
 * The root wins when both are set.
 */
export async function baselineFromEnv(env: NodeJS.ProcessEnv, repoRoot: string): Promise<SourceRoot | undefined> {
  const root = env.RECO_BENCH_BASELINE_ROOT;
  if (root) return { dir: root, label: root, release: async () => undefined };
  const ref = env.RECO_BENCH_BASELINE_REF;
  if (!ref) return undefined;
  const git = (...args: string[]) => run('git', args, { cwd: repoRoot }).then(({ stdout }) => stdout.trim());
  const commit = await git('rev-parse', '--short', `${ref}^{commit}`);
  const parent = await mkdtemp(join(tmpdir(), 'reco-bench-baseline-'));
  const dir = join(parent, 'tree');
  await git('worktree', 'add', '--detach', dir, commit);
  // The dependencies are pinned in package-lock.json; a baseline with other versions needs its own
  // install, given with RECO_BENCH_BASELINE_ROOT.
  await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return {
    dir,
    label: commit,
    release: async () => {
      await git('worktree', 'remove', '--force', dir);
      await rm(parent, { recursive: true, force: true });
    },
  };
}
