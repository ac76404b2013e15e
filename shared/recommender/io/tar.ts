/**
 * `model.tar.gz`, the archive SageMaker hands a model container: a model directory's files at the
 * archive root. Packing is reproducible (sorted names, fixed times and modes); unpacking takes
 * regular files and directories only and refuses any entry that would land outside the target.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { create, extract } from 'tar';
import { MANIFEST_FILE } from '../artifact.ts';

/** Packs a model directory into `tarGzPath` (gzip'd tar, files at the archive root as SageMaker expects). */
export async function packModel(dir: string, tarGzPath: string): Promise<void> {
  const root = resolve(dir);
  const target = resolve(tarGzPath);
  await mkdir(dirname(target), { recursive: true });
  // Top-level names, not `.`, so entries read `manifest.json` rather than `./manifest.json`.
  const names = (await readdir(root)).sort();
  await create(
    {
      file: target,
      cwd: root,
      gzip: true,
      portable: true,
      // The same model directory always packs to the same tar bytes.
      mtime: new Date(0),
      onWriteEntry: (entry) => {
        entry.mode = entry.type === 'Directory' ? 0o755 : 0o644;
      },
      // Links and special files are not part of a model; the archive may be written inside `dir`.
      filter: (path, entry) =>
        'isFile' in entry && (entry.isFile() || entry.isDirectory()) && resolve(root, path) !== target,
    },
    // tar refuses an empty list of paths; an empty list of entries is the empty archive.
    names.length > 0 ? names : [[]],
  );
}

/** A path that would leave `root` once extracted (absolute, or climbing out with `..`). */
function leavesRoot(root: string, name: string): boolean {
  const path = posix.normalize(name.replace(/^(\.\/)+/, ''));
  if (isAbsolute(path) || path.startsWith('/')) return true;
  const inside = relative(root, resolve(root, ...path.split('/')));
  return inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside);
}

/**
 * Unpacks a `model.tar.gz` into `dir`. Regular files and directories only (links and special
 * files are skipped); a path that would leave `dir` is an error, not a write, and so is any entry
 * tar itself warns about (a bad checksum, a cut-off archive).
 */
export async function unpackModel(tarGzPath: string, dir: string): Promise<void> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  let entries = 0;
  try {
    await extract({
      file: tarGzPath,
      cwd: root,
      strict: true,
      filter: (path, entry) => {
        entries++;
        if (leavesRoot(root, path)) {
          throw new Error(`${tarGzPath}: entry ${path} points outside the target directory`);
        }
        return entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'Directory';
      },
    });
  } catch (error) {
    // tar calls an archive without entries bad; for a model it is one without a manifest (below).
    if (!(entries === 0 && (error as { tarCode?: string }).tarCode === 'TAR_BAD_ARCHIVE')) throw error;
  }
  // A directory that is not a model would fail later with a vaguer message.
  await stat(join(root, MANIFEST_FILE)).catch(() => {
    throw new Error(`${tarGzPath}: archive has no ${MANIFEST_FILE} at its root`);
  });
}
