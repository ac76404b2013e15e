import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArtifactWriter, readArtifact, readManifest, summarizeData } from '#shared/recommender/artifact.ts';

const DATA = { users: 1, items: 2, interactions: 3, sha256: 'abc' };

describe('Artifact', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'artifact-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips float32, uint32 and JSON files through a manifest', async () => {
    // Prepare
    const writer = new ArtifactWriter(dir);
    await writer.float32('factors', Float32Array.from([1.5, -2.25, 3e-8]));
    await writer.uint32('pointers', Uint32Array.from([0, 4_000_000_000]));
    await writer.json('users', ['ann', 'bob']);

    // Act
    const manifest = await writer.finish({ algorithm: 'ials', hyperparameters: { factors: 3 }, data: DATA });
    const artifact = await readArtifact(dir);

    // Assess
    expect(manifest.files).toEqual({
      'factors.f32': { kind: 'float32', length: 3 },
      'pointers.u32': { kind: 'uint32', length: 2 },
      'users.json': { kind: 'json' },
    });
    expect(Array.from(artifact.float32('factors'))).toEqual(Array.from(Float32Array.from([1.5, -2.25, 3e-8])));
    expect(Array.from(artifact.uint32('pointers'))).toEqual([0, 4_000_000_000]);
    expect(artifact.json<string[]>('users')).toEqual(['ann', 'bob']);
    expect(artifact.manifest.algorithm).toBe('ials');
  });

  it('writes binary arrays little-endian', async () => {
    // Prepare
    const writer = new ArtifactWriter(dir);

    // Act
    await writer.uint32('one', Uint32Array.from([1]));

    // Assess
    expect([...(await readFile(join(dir, 'one.u32')))]).toEqual([1, 0, 0, 0]);
  });

  it('rejects a file whose length differs from the manifest', async () => {
    // Prepare
    const writer = new ArtifactWriter(dir);
    await writer.float32('factors', new Float32Array(4));
    await writer.finish({ algorithm: 'ials', hyperparameters: {}, data: DATA });
    await writeFile(join(dir, 'factors.f32'), Buffer.alloc(8));

    // Act
    const read = readArtifact(dir);

    // Assess
    await expect(read).rejects.toThrow('factors.f32: manifest says 4 elements, file has 2');
  });

  it('names the unknown algorithm of a manifest and lists the valid ones', async () => {
    // Prepare
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({ formatVersion: 1, algorithm: 'bpr', files: {}, hyperparameters: {} }),
    );

    // Act
    const read = readManifest(dir);

    // Assess
    await expect(read).rejects.toThrow(/unknown algorithm "bpr" \(valid: hybrid, ials/);
  });

  it('summarises the data with a hash that changes with any interaction', () => {
    // Prepare
    const data = {
      interactions: [{ userId: 'ann', itemId: 'mug', timestamp: 1 }],
      catalogue: [{ itemId: 'cup', categories: [] }],
    };

    // Act
    const summary = summarizeData(data);
    const changed = summarizeData({ ...data, interactions: [{ userId: 'ann', itemId: 'mug', timestamp: 2 }] });

    // Assess
    expect(summary).toMatchObject({ users: 1, items: 2, interactions: 1 });
    expect(summary.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(changed.sha256).not.toBe(summary.sha256);
  });

  it('hashes an event count, and a row without one as before', () => {
    // Prepare
    const row = { userId: 'ann', itemId: 'mug', timestamp: 1, eventType: 'view' };

    // Act
    const plain = summarizeData({ interactions: [row], catalogue: [] });
    const counted = summarizeData({ interactions: [{ ...row, eventCount: 3 }], catalogue: [] });

    // Assess
    expect(counted.sha256).not.toBe(plain.sha256);
    expect(plain.sha256).toBe(createHash('sha256').update('ann\tmug\t1\tview\t\n').digest('hex'));
  });

  describe('window', () => {
    const manifest = (window: unknown) =>
      JSON.stringify({ formatVersion: 1, algorithm: 'popularity', files: {}, hyperparameters: {}, window });

    it('returns the recorded window normalised', async () => {
      // Prepare
      await writeFile(
        join(dir, 'manifest.json'),
        manifest({ from: '2025-03-01T00:00:00Z', holdoutFrom: '2025-05-25T00:00:00Z', to: '2025-06-01T00:00:00Z' }),
      );

      // Act
      const read = await readManifest(dir);

      // Assess
      expect(read.window).toEqual({
        from: '2025-03-01T00:00:00.000Z',
        holdoutFrom: '2025-05-25T00:00:00.000Z',
        to: '2025-06-01T00:00:00.000Z',
      });
    });

    it.each([
      ['not an object', 'june', 'window must be an object'],
      ['empty', {}, 'window must have from, holdoutFrom and to'],
      ['a bound missing', { from: '2025-03-01T00:00:00Z', to: '2025-06-01T00:00:00Z' }, 'missing window.holdoutFrom'],
      [
        'a bound that is no instant',
        { from: '2025-03-01T00:00:00Z', holdoutFrom: '__proto__', to: '2025-06-01T00:00:00Z' },
        'window.holdoutFrom: expected an ISO 8601 instant',
      ],
    ])('rejects a window that is %s', async (_name, window, message) => {
      // Prepare
      await writeFile(join(dir, 'manifest.json'), manifest(window));

      // Act
      const read = readManifest(dir);

      // Assess
      await expect(read).rejects.toThrow(message);
    });
  });
});
