import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, list, WriteEntry } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packModel, unpackModel } from '#shared/recommender/io/tar.ts';

const MANIFEST = '{"formatVersion":1}\n';

describe('Module: io/tar', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reco-tar-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A gzip'd archive of in-memory entries, written with tar's path protections off. */
  async function archiveOf(entries: readonly WriteEntry[]): Promise<string> {
    const file = join(dir, 'crafted.tar.gz');
    await create({ file, gzip: true, preservePaths: true }, [...entries]);
    return file;
  }

  describe('Method: packModel', () => {
    it('returns an archive with the files at its root, sorted, without links or itself', async () => {
      // Prepare
      const model = join(dir, 'model');
      await mkdir(join(model, 'nested'), { recursive: true });
      await writeFile(join(model, 'manifest.json'), MANIFEST);
      await writeFile(join(model, 'b.f32'), 'bb');
      await writeFile(join(model, 'nested', 'a.json'), '[]');
      await symlink(join(model, 'b.f32'), join(model, 'link.f32'));
      const archive = join(model, 'model.tar.gz');

      // Act
      await packModel(model, archive);
      const paths: string[] = [];
      await list({ file: archive, onEntry: (entry) => void paths.push(entry.path) });

      // Assess
      expect(paths).toEqual(['b.f32', 'manifest.json', 'nested/', 'nested/a.json']);
    });

    it('returns the same bytes for the same directory', async () => {
      // Prepare
      const model = join(dir, 'model');
      await mkdir(model);
      await writeFile(join(model, 'manifest.json'), MANIFEST);

      // Act
      await packModel(model, join(dir, 'one.tar.gz'));
      await packModel(model, join(dir, 'two.tar.gz'));

      // Assess
      expect(await readFile(join(dir, 'two.tar.gz'))).toEqual(await readFile(join(dir, 'one.tar.gz')));
    });
  });

  describe('Method: unpackModel', () => {
    it.each(['../escape.json', '/etc/escape.json', 'nested/../../escape.json'])(
      'rejects an entry %s that points outside the target directory, writing nothing there',
      async (path) => {
        // Prepare
        const archive = await archiveOf([
          new WriteEntry({ path: 'manifest.json' }, MANIFEST),
          new WriteEntry({ path }, 'x'),
        ]);
        const target = join(dir, 'out', 'model');

        // Act
        const unpack = unpackModel(archive, target);

        // Assess
        await expect(unpack).rejects.toThrow('points outside the target directory');
        expect(await readdir(join(dir, 'out'))).toEqual(['model']);
      },
    );

    it('returns regular files and directories only, skipping links', async () => {
      // Prepare
      const archive = await archiveOf([
        new WriteEntry({ path: 'manifest.json' }, MANIFEST),
        new WriteEntry({ path: 'nested/', type: 'Directory' }),
        new WriteEntry({ path: 'nested/a.json' }, '[]'),
        new WriteEntry({ path: 'soft', type: 'SymbolicLink', linkpath: '/etc/passwd' }),
        new WriteEntry({ path: 'hard', type: 'Link', linkpath: 'manifest.json' }),
      ]);
      const target = join(dir, 'model');

      // Act
      await unpackModel(archive, target);

      // Assess
      expect((await readdir(target)).sort()).toEqual(['manifest.json', 'nested']);
      expect(await readFile(join(target, 'nested', 'a.json'), 'utf8')).toBe('[]');
    });

    it('rejects a damaged archive', async () => {
      // Prepare
      const model = join(dir, 'model');
      await mkdir(model);
      await writeFile(join(model, 'manifest.json'), MANIFEST.repeat(100));
      await packModel(model, join(dir, 'model.tar.gz'));
      const { gunzipSync, gzipSync } = await import('node:zlib');
      const tarBytes = gunzipSync(await readFile(join(dir, 'model.tar.gz')));
      await writeFile(join(dir, 'cut.tar.gz'), gzipSync(tarBytes.subarray(0, 700)));

      // Act
      const unpack = unpackModel(join(dir, 'cut.tar.gz'), join(dir, 'copy'));

      // Assess
      await expect(unpack).rejects.toThrow();
    });
  });
});
