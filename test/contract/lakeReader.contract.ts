import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { emptyReadStats } from '#shared/lake/lakeLines.ts';
import type { LakeReader, TimeRange } from '#shared/training/ports.ts';

/** A lake object: its key under the events prefix (`dt=<day>/…`) and its gzipped body. */
export interface LakeObject {
  readonly key: string;
  readonly body: Buffer;
}

const DAY = 86_400_000;
const D1 = Date.parse('2026-03-01T00:00:00.000Z');

/** A lake object of arrival day `day` holding one event per `receivedAt`, and `extra` lines. */
export function lakeObjectOf(
  day: string,
  name: string,
  receivedAt: readonly number[],
  extra: string[] = [],
): LakeObject {
  const lines = receivedAt.map((at, i) =>
    JSON.stringify({
      eventId: `${name}-${i}`,
      type: 'view',
      userId: `u${i}`,
      itemId: 'i',
      timestamp: at,
      receivedAt: at,
    }),
  );
  return { key: `dt=${day}/${name}`, body: gzipSync(`${[...lines, ...extra].join('\n')}\n`) };
}

async function readAll(lake: LakeReader, range: TimeRange) {
  const stats = emptyReadStats();
  const received: number[] = [];
  for await (const batch of lake.events(range, stats)) received.push(...batch.map((event) => event.receivedAt));
  return { received, stats };
}

/**
 * The behaviour every LakeReader over lake objects must have: the local folder (unit) and S3
 * (integration). `createLake` gives a reader over exactly the objects given.
 */
export function lakeReaderContract(name: string, createLake: (objects: readonly LakeObject[]) => Promise<LakeReader>) {
  describe(`Contract: LakeReader (${name})`, () => {
    it('returns the events received in the range, from its days and the next day’s late deliveries', async () => {
      // Prepare
      const lake = await createLake([
        lakeObjectOf('2026-02-28', 'a.jsonl.gz', [D1 - 1]),
        lakeObjectOf('2026-03-01', 'b.jsonl.gz', [D1, D1 + 1]),
        lakeObjectOf('2026-03-02', 'c.jsonl.gz', [D1 + DAY - 2]),
        lakeObjectOf('2026-03-02', 'd.jsonl.gz', [D1 + DAY]),
        lakeObjectOf('2026-03-05', 'e.jsonl.gz', [D1 + 2_000]),
      ]);
      // Act
      const { received, stats } = await readAll(lake, { from: D1, to: D1 + DAY });
      // Assess
      expect(received).toEqual([D1, D1 + 1, D1 + DAY - 2]);
      expect(stats).toEqual({ invalidLines: 0, examples: [] });
    });

    it('reads only objects named *.jsonl.gz', async () => {
      // Prepare
      const lake = await createLake([
        lakeObjectOf('2026-03-01', 'a.jsonl.gz', [D1]),
        lakeObjectOf('2026-03-01', 'manifest.json', [D1 + 1]),
      ]);
      // Act, Assess
      expect((await readAll(lake, { from: D1, to: D1 + DAY })).received).toEqual([D1]);
    });

    it('counts lines that are not events, each example naming its object and line', async () => {
      // Prepare
      const lake = await createLake([lakeObjectOf('2026-03-01', 'a.jsonl.gz', [D1], ['{"type":"view"}', 'x'])]);
      // Act
      const { received, stats } = await readAll(lake, { from: D1, to: D1 + DAY });
      // Assess
      expect(received).toEqual([D1]);
      expect(stats.invalidLines).toBe(2);
      expect(stats.examples).toHaveLength(2);
      expect(stats.examples[0]).toMatch(/dt=2026-03-01\/a\.jsonl\.gz:2: neither userId nor anonymousId$/);
    });

    it('returns nothing from an empty lake', async () => {
      expect((await readAll(await createLake([]), { from: D1, to: D1 + 90 * DAY })).received).toEqual([]);
    });
  });
}
