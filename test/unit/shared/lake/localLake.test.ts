import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyReadStats } from '#shared/lake/lakeLines.ts';
import { LocalLakeReader, LocalNewDataCounter } from '#shared/lake/localLake.ts';
import { lakeReaderContract } from '../../../contract/lakeReader.contract.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

let events: string;
beforeEach(() => {
  events = join(mkdtempSync(join(tmpdir(), 'lake-')), 'events');
});
afterEach(() => {
  rmSync(join(events, '..'), { recursive: true, force: true });
});

/** A lake object of the arrival day of the first event, as the local lake writes them. */
function write(name: string, receivedAt: readonly number[], extra = ''): void {
  const day = new Date(receivedAt[0] ?? T0).toISOString().slice(0, 10);
  const dir = join(events, `dt=${day}`);
  mkdirSync(dir, { recursive: true });
  const lines = receivedAt.map((at, i) =>
    JSON.stringify({ eventId: `${name}-${i}`, type: 'view', userId: 'u', itemId: 'i', timestamp: at, receivedAt: at }),
  );
  writeFileSync(join(dir, name), gzipSync(`${lines.join('\n')}\n${extra}`));
}

lakeReaderContract('local folder', async (objects) => {
  for (const { key, body } of objects) {
    mkdirSync(join(events, key, '..'), { recursive: true });
    writeFileSync(join(events, key), body);
  }
  return new LocalLakeReader(events);
});

async function read(range: { from: number; to: number }) {
  const stats = emptyReadStats();
  const received: number[] = [];
  for await (const batch of new LocalLakeReader(events).events(range, stats)) {
    received.push(...batch.map((event) => event.receivedAt));
  }
  return { received, stats };
}

describe('Class: LocalLakeReader', () => {
  it('returns the events received in the range, from the day partitions that may hold them', async () => {
    // Prepare
    write('part-a.jsonl.gz', [T0 - 2 * DAY, T0 - 2 * DAY + 1]);
    write('part-b.jsonl.gz', [T0 - DAY, T0 - DAY + 5]);
    write('part-c.jsonl.gz', [T0, T0 + 1]);
    write('notes.txt', [T0 - DAY + 2]);
    // Act
    const { received, stats } = await read({ from: T0 - DAY, to: T0 + 1 });
    // Assess
    expect(received).toEqual([T0 - DAY, T0 - DAY + 5, T0]);
    expect(stats.invalidLines).toBe(0);
  });

  it('returns nothing for a lake with no events folder yet', async () => {
    expect((await read({ from: 0, to: T0 })).received).toEqual([]);
  });

  it('counts bad lines and throws for a file that is not gzip, naming it', async () => {
    // Prepare
    write('part-a.jsonl.gz', [T0], 'not json\n');
    const day = join(events, 'dt=2026-03-01');
    writeFileSync(join(day, 'part-z.jsonl.gz'), 'plain text');
    // Act
    const attempt = read({ from: T0, to: T0 + 1 });
    // Assess
    await expect(attempt).rejects.toThrow(/cannot read lake file .*part-z\.jsonl\.gz/);
  });
});

describe('Class: LocalNewDataCounter', () => {
  it('returns the exact count of events received in the range', async () => {
    // Prepare
    write('part-a.jsonl.gz', [T0 - DAY]);
    write('part-b.jsonl.gz', [T0, T0 + 1, T0 + 2]);
    // Act
    const count = await new LocalNewDataCounter(new LocalLakeReader(events)).countEvents({ from: T0, to: T0 + 2 });
    // Assess
    expect(count).toEqual({ events: 2, estimated: false });
  });
});
