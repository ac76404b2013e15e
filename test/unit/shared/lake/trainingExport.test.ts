import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InlineErasureHashKey } from '#shared/adapters/erasureHashKey.ts';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import type { StreamEvent } from '#shared/events/schema.ts';
import { interactionsCsv, isErased, readLakeEvents, type ExportSummary } from '#shared/lake/trainingExport.ts';
import { eraseUser } from '#shared/privacy/eraseUser.ts';
import { ErasureHasher, erasureHash } from '#shared/privacy/erasureHash.ts';
import { erasedShopperHashes } from '#shared/privacy/erasureLog.ts';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const KEY = 'training-export-test-erasure-key-0123';
const hasher = new ErasureHasher(new InlineErasureHashKey(KEY));
const hash = (shopperKey: string) => erasureHash(KEY, shopperKey);
/** The erasure log for the given raw keys, keyed by hash as the store holds it. */
const logOf = (entries: [string, number][]) => new Map(entries.map(([key, at]) => [hash(key), at]));

let counter = 0;
function event(overrides: Partial<StreamEvent> = {}): StreamEvent {
  counter += 1;
  return {
    eventId: `e${counter}`,
    type: 'view',
    userId: 'alice',
    itemId: 'sku-1',
    timestamp: T0,
    receivedAt: T0,
    ...overrides,
  };
}

const jsonl = (events: readonly unknown[]): string => events.map((e) => `${JSON.stringify(e)}\n`).join('');

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

async function* fromArray<T>(values: readonly T[]): AsyncGenerator<T> {
  for (const value of values) yield value;
}

async function csvOf(events: readonly StreamEvent[], erased: ReadonlyMap<string, number> = new Map()) {
  const summary = { written: 0, erasedSkipped: 0, notItemEvents: 0 };
  const text = (await collect(interactionsCsv(fromArray(events), erased, hash, summary))).join('');
  return { lines: text.split('\n').slice(0, -1), text, summary: summary as ExportSummary };
}

describe('Function: readLakeEvents', () => {
  let root: string;
  const write = (relative: string, content: string | Buffer): string => {
    const file = join(root, relative);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'lake-test-'));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('returns the events of every file under nested dt= folders, in path order then line order', async () => {
    // Prepare
    const [a, b, c, d] = [event(), event(), event(), event()];
    write('events/dt=2026-03-02/part-0.jsonl.gz', gzipSync(jsonl([c, d])));
    write('events/dt=2026-03-01/hour=10/part-1.jsonl.gz', gzipSync(jsonl([b])));
    write('events/dt=2026-03-01/hour=09/part-9.jsonl.gz', gzipSync(jsonl([a])));
    write('events/dt=2026-03-01/notes.txt', 'not an event');
    write('events/dt=2026-03-01/raw.jsonl', jsonl([event()]));

    // Act
    const events = await collect(readLakeEvents(root));

    // Assess
    expect(events.map((e) => e.eventId)).toEqual([a, b, c, d].map((e) => e.eventId));
  });

  it('returns events of several gzip members appended to one file, as Firehose writes them', async () => {
    // Prepare
    const [a, b, c] = [event(), event({ type: 'search', itemId: undefined, query: 'boots' }), event()];
    const file = write('dt=2026-03-01/part.jsonl.gz', gzipSync(jsonl([a])));
    appendFileSync(file, gzipSync(jsonl([b])));
    appendFileSync(file, gzipSync(jsonl([c])));

    // Act
    const events = await collect(readLakeEvents(root));

    // Assess
    expect(events).toEqual([a, b, c]);
  });

  it('returns events parsed by the stream schema, skipping blank lines', async () => {
    // Prepare
    const a = event({ quantity: 2, price: 9.5, currency: 'EUR', sessionId: 's1' });
    write('part.jsonl.gz', gzipSync(`\n${JSON.stringify(a)}\n   \n`));

    // Act
    const events = await collect(readLakeEvents(root));

    // Assess
    expect(events).toEqual([a]);
  });

  it('returns no events when the root folder does not exist', async () => {
    // Act
    const events = await collect(readLakeEvents(join(root, 'missing')));

    // Assess
    expect(events).toEqual([]);
  });

  it('returns an error naming the file and line of an event the schema rejects', async () => {
    // Prepare
    const file = write('dt=2026-03-01/part.jsonl.gz', gzipSync(jsonl([event(), { ...event(), type: 'teleport' }])));

    // Act
    const attempt = collect(readLakeEvents(root));

    // Assess
    await expect(attempt).rejects.toThrow(`${file}:2: not a stream event`);
  });

  it('returns an error naming the file and line of a line that is not JSON', async () => {
    // Prepare: a truncated line, as a partial write would leave it.
    const file = write('dt=2026-03-01/part.jsonl.gz', gzipSync(`${jsonl([event()])}{"eventId":"e9","ty\n`));

    // Act
    const attempt = collect(readLakeEvents(root));

    // Assess
    await expect(attempt).rejects.toThrow(`${file}:2`);
  });
});

describe('Function: isErased', () => {
  const erased = logOf([
    ['u:alice', T0],
    ['a:anon-1', T0],
  ]);

  it.each<{ name: string; overrides: Partial<StreamEvent>; expected: boolean }>([
    { name: 'a user event received before the erasure', overrides: { receivedAt: T0 - 1 }, expected: true },
    { name: 'a user event received at the erasure time', overrides: { receivedAt: T0 }, expected: true },
    { name: 'a user event received after the erasure', overrides: { receivedAt: T0 + 1 }, expected: false },
    { name: 'an event of another user', overrides: { userId: 'bob' }, expected: false },
    {
      name: 'an anonymous event of an erased anonymous id',
      overrides: { userId: undefined, anonymousId: 'anon-1' },
      expected: true,
    },
    {
      name: 'an event of another user carrying an erased anonymous id',
      overrides: { userId: 'bob', anonymousId: 'anon-1' },
      expected: true,
    },
    {
      name: 'an anonymous event of another anonymous id',
      overrides: { userId: undefined, anonymousId: 'anon-2' },
      expected: false,
    },
  ])('returns $expected for $name', ({ overrides, expected }) => {
    // Act
    const result = isErased(event(overrides), erased, hash);

    // Assess
    expect(result).toBe(expected);
  });

  it('returns false for an anonymous id matching an erased user id (keys are namespaced)', () => {
    // Act
    const result = isErased(event({ userId: undefined, anonymousId: 'alice' }), erased, hash);

    // Assess
    expect(result).toBe(false);
  });

  it('returns false for a log keyed by raw shopper keys: only keyed hashes match', () => {
    // Act
    const result = isErased(event({ receivedAt: T0 - 1 }), new Map([['u:alice', T0]]), hash);

    // Assess
    expect(result).toBe(false);
  });
});

describe('Function: interactionsCsv', () => {
  it('returns the Personalize header and one row per item event', async () => {
    // Act
    const { lines, summary } = await csvOf([
      event({ userId: 'alice', itemId: 'sku-1', type: 'view', timestamp: T0 + 999 }),
      event({ userId: undefined, anonymousId: 'anon-7', itemId: 'sku-2', type: 'add_to_cart', quantity: 3 }),
      event({ userId: 'bob', anonymousId: 'anon-8', itemId: 'sku-3', type: 'purchase', quantity: 1 }),
    ]);

    // Assess
    expect(lines).toEqual([
      'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE',
      `alice,sku-1,${T0 / 1000},view,`,
      `anon-7,sku-2,${T0 / 1000},add_to_cart,3`,
      `bob,sku-3,${T0 / 1000},purchase,1`,
    ]);
    expect(summary).toEqual({ written: 3, erasedSkipped: 0, notItemEvents: 0 });
  });

  it('returns only the header when there are no events', async () => {
    // Act
    const { text } = await csvOf([]);

    // Assess
    expect(text).toBe('USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n');
  });

  it('returns ids with commas, quotes or line breaks quoted, doubling inner quotes', async () => {
    // Act
    const { lines } = await csvOf([
      event({ userId: 'o"brien', itemId: 'sku,1' }),
      event({ userId: 'plain', itemId: 'say "hi"' }),
      event({ userId: 'cr\rlf', itemId: 'ok' }),
    ]);

    // Assess
    expect(lines.slice(1)).toEqual([
      `"o""brien","sku,1",${T0 / 1000},view,`,
      `plain,"say ""hi""",${T0 / 1000},view,`,
      `"cr\rlf",ok,${T0 / 1000},view,`,
    ]);
  });

  it('returns search and identify events skipped and counted as notItemEvents', async () => {
    // Act
    const { lines, summary } = await csvOf([
      event({ type: 'search', itemId: undefined, query: 'boots' }),
      event({ type: 'identify', itemId: undefined, anonymousId: 'anon-1' }),
      event({ type: 'click' }),
    ]);

    // Assess
    expect(lines).toHaveLength(2);
    expect(summary).toEqual({ written: 1, erasedSkipped: 0, notItemEvents: 2 });
  });

  it('returns events of erased shoppers up to the erasure time skipped and counted', async () => {
    // Prepare
    const erased = logOf([
      ['u:alice', T0],
      ['a:anon-1', T0],
    ]);

    // Act
    const { lines, summary } = await csvOf(
      [
        event({ userId: 'alice', itemId: 'before', receivedAt: T0 - 1 }),
        event({ userId: 'alice', itemId: 'at', receivedAt: T0 }),
        event({ userId: 'alice', itemId: 'after', receivedAt: T0 + 1 }),
        event({ userId: undefined, anonymousId: 'anon-1', itemId: 'anon-before', receivedAt: T0 - 1 }),
        event({ userId: 'carol', anonymousId: 'anon-1', itemId: 'stitched', receivedAt: T0 - 1 }),
        event({ userId: 'bob', itemId: 'other' }),
      ],
      erased,
    );

    // Assess
    expect(lines.slice(1).map((line) => line.split(',')[1])).toEqual(['after', 'other']);
    expect(summary).toEqual({ written: 2, erasedSkipped: 4, notItemEvents: 0 });
  });

  it('returns a lake export without the history of a user erased through eraseUser', async () => {
    // Prepare
    const root = mkdtempSync(join(tmpdir(), 'lake-export-'));
    try {
      const store = new MemoryFeatureStore();
      const profile = { recentItems: [], recentQueries: [], categoryAffinities: {}, seenEvents: [] };
      await store.writeShopper('u:alice', { profile, expectedVersion: 0, expiresAt: 1 });
      await store.writeShopper('a:anon-1', {
        profile: { ...profile, mergedInto: 'u:alice' },
        expectedVersion: 0,
        expiresAt: 1,
      });
      await store.putAlias('u:alice', 'a:anon-1', 1);
      // Erased before the log held hashes, and never since.
      store.seedLegacyErasure('u:carol', T0);
      await eraseUser('alice', { shoppers: store, erasures: store, hasher, clock: { now: () => T0 } });
      store.seedLegacyErasure('u:dora', T0);
      mkdirSync(join(root, 'dt=2026-03-01'));
      writeFileSync(
        join(root, 'dt=2026-03-01', 'part.jsonl.gz'),
        gzipSync(
          jsonl([
            event({ userId: undefined, anonymousId: 'anon-1', itemId: 'anon-view', receivedAt: T0 - 2 }),
            event({ userId: 'alice', itemId: 'alice-buy', type: 'purchase', receivedAt: T0 - 1 }),
            event({ userId: 'bob', itemId: 'bob-view', receivedAt: T0 - 1 }),
            event({ userId: 'carol', itemId: 'carol-view', receivedAt: T0 - 1 }),
            event({ userId: 'dora', itemId: 'dora-view', receivedAt: T0 - 1 }),
            event({ userId: 'alice', itemId: 'alice-later', receivedAt: T0 + 1000 }),
          ]),
        ),
      );
      const summary = { written: 0, erasedSkipped: 0, notItemEvents: 0 };

      // Act
      const erased = await erasedShopperHashes(store, hasher);
      const rows = await collect(interactionsCsv(readLakeEvents(root), erased, await hasher.hashFunction(), summary));

      // Assess
      expect(rows.slice(1).map((row) => row.split(',')[1])).toEqual(['bob-view', 'alice-later']);
      expect(summary).toEqual({ written: 2, erasedSkipped: 4, notItemEvents: 0 });
      expect([...(await store.erasedShoppers()).keys()].join()).not.toMatch(/alice|anon|carol/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
