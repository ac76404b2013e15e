import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '#shared/recommender/io/dataset.ts';
import { readJsonLines, writeJsonLine, type Invalid } from '#shared/recommender/io/jsonl.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reco-jsonl-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every value of a JSONL file, or the error reading it threw. */
async function readAll(
  text: string,
  validate: (value: unknown) => unknown = (value) => value,
  plainText = false,
): Promise<{ line: number; value: unknown }[] | DatasetError> {
  const path = join(dir, `lines-${Math.random().toString(36).slice(2)}.jsonl`);
  await writeFile(path, text);
  const values: { line: number; value: unknown }[] = [];
  try {
    for await (const entry of readJsonLines(path, validate, { plainText })) values.push(entry);
  } catch (error) {
    if (error instanceof DatasetError) return error;
    throw error;
  }
  return values;
}

describe('Function: readJsonLines', () => {
  it('yields each line with its number and skips blank lines', async () => {
    // Prepare
    const text = '{"userId":"u1"}\n\n{"userId":"u2"}\n';

    // Act
    const values = await readAll(text);

    // Assess
    expect(values).toEqual([
      { line: 1, value: { userId: 'u1' } },
      { line: 3, value: { userId: 'u2' } },
    ]);
  });

  it('names the file and line of invalid JSON', async () => {
    // Prepare
    const text = '{"userId":"u1"}\n{"userId":\n';

    // Act
    const error = await readAll(text);

    // Assess
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).line).toBe(2);
    expect((error as DatasetError).message).toMatch(/lines-\w+\.jsonl:line 2: not valid JSON/);
  });

  it('names the line a validator rejects, with its reason', async () => {
    // Prepare
    const validate = (value: unknown): unknown | Invalid =>
      typeof (value as { itemIds?: unknown }).itemIds === 'object' ? value : { invalid: 'itemIds must be an array' };

    // Act
    const error = await readAll('{"itemIds":[]}\n{"itemIds":3}\n', validate);

    // Assess
    expect((error as DatasetError).message).toMatch(/:line 2: itemIds must be an array$/);
  });

  it('accepts plain-text ids next to JSON lines when asked to', async () => {
    // Prepare
    const text = 'u1\n"u2"\n{"userId":"u3"}\n';

    // Act
    const values = await readAll(text, (value) => value, true);

    // Assess
    expect(values).toEqual([
      { line: 1, value: 'u1' },
      { line: 2, value: 'u2' },
      { line: 3, value: { userId: 'u3' } },
    ]);
  });

  it('names a file that cannot be read', async () => {
    // Prepare
    const path = join(dir, 'missing.jsonl');

    // Act
    const read = async (): Promise<void> => {
      for await (const _ of readJsonLines(path, (value) => value)) void _;
    };

    // Assess
    await expect(read()).rejects.toThrow(`${path}: cannot read the file`);
  });
});

describe('Function: writeJsonLine', () => {
  it('writes one JSON value per line', async () => {
    // Prepare
    const output = new PassThrough();
    const chunks: string[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));

    // Act
    await writeJsonLine(output, { userId: 'u1', itemIds: ['a'] });
    await writeJsonLine(output, 'x');

    // Assess
    expect(chunks.join('')).toBe('{"userId":"u1","itemIds":["a"]}\n"x"\n');
  });
});
