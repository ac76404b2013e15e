import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveMain } from '../../../model/lib/serving.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'reco-serve-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('Entry point: serve', () => {
  it('returns 1 at once when there is no model, after listening, and frees the port', async () => {
    // Prepare
    await mkdir(join(root, 'model'), { recursive: true });
    const lines: string[] = [];
    let stopRegistered = false;

    // Act
    const code = await serveMain(['--root', root, '--port', '0', '--host', '127.0.0.1'], {
      env: {},
      log: (line) => lines.push(line),
      error: (line) => lines.push(line),
      onStop: () => (stopRegistered = true),
    });

    // Assess
    expect(code).toBe(1);
    expect(stopRegistered).toBe(true);
    const url = /^listening on (http:\/\/\S+)$/.exec(lines[0] ?? '')?.[1];
    expect(url).toBeDefined();
    expect(lines[1]).toBe(
      `serve: cannot load the model from ${join(root, 'model')}: no model in ${join(root, 'model')}: ` +
        'expected manifest.json (a model directory) or model.tar.gz',
    );
    await expect(fetch(`${url}/ping`)).rejects.toThrow();
  });
});
