import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FilePoisonSink } from '#local/filePoisonSink.ts';
import { MemoryPoisonSink } from '#shared/adapters/memoryPoisonSink.ts';
import type { ParkedMessage, PoisonRecord } from '#shared/ports/index.ts';
import { parkedRecordsContract } from '../../contract/parkedRecords.contract.ts';
import { poisonRecord, poisonSinkContract } from '../../contract/poisonSink.contract.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'poison-sink-'));
  dirs.push(dir);
  return dir;
}

/** The file's JSON lines; none when the sink never wrote it. */
async function linesOf(path: string): Promise<PoisonRecord[]> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as PoisonRecord);
}

poisonSinkContract('memory', async () => {
  const sink = new MemoryPoisonSink();
  return { sink, readBack: async () => [...sink.records] };
});

poisonSinkContract(
  'file',
  async () => {
    // A directory that does not exist yet: the sink creates it.
    const path = join(await tempDir(), 'nested', 'poison.jsonl');
    return { sink: new FilePoisonSink(path), readBack: () => linesOf(path) };
  },
  {
    refusing: async () => {
      // The parent "directory" is a file, so nothing can be written beneath it.
      const blocker = join(await tempDir(), 'not-a-directory');
      await writeFile(blocker, '');
      return new FilePoisonSink(join(blocker, 'poison.jsonl'));
    },
  },
);

parkedRecordsContract('memory', async () => {
  const sink = new MemoryPoisonSink();
  return { sink, parked: sink };
});

parkedRecordsContract('file', async () => {
  const sink = new FilePoisonSink(join(await tempDir(), 'poison.jsonl'));
  return { sink, parked: sink };
});

describe('Class: FilePoisonSink', () => {
  describe('Method: send', () => {
    it('returns with records appended after lines already in the file', async () => {
      // Prepare
      const path = join(await tempDir(), 'poison.jsonl');
      await writeFile(path, `${JSON.stringify(poisonRecord(0))}\n`);

      // Act
      await new FilePoisonSink(path).send([poisonRecord(1)]);

      // Assess
      expect(await linesOf(path)).toEqual([poisonRecord(0), poisonRecord(1)]);
    });
  });

  describe('Method: remove', () => {
    it('returns with lines appended since the read kept', async () => {
      // Prepare
      const path = join(await tempDir(), 'poison.jsonl');
      const sink = new FilePoisonSink(path);
      await sink.send([poisonRecord(1)]);
      const read: ParkedMessage[] = [];
      for await (const page of sink.read()) read.push(...page);
      await sink.send([poisonRecord(2)]);

      // Act
      await sink.remove(read);

      // Assess
      expect(await linesOf(path)).toEqual([poisonRecord(2)]);
    });
  });
});
