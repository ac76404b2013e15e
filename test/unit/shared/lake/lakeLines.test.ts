import { describe, expect, it } from 'vitest';
import { emptyReadStats, lakeDayPrefixes, lakeEventBatches, parseLakeLine } from '#shared/lake/lakeLines.ts';

const T = Date.parse('2026-03-01T10:00:00.000Z');
const line = (fields: Record<string, unknown>) =>
  JSON.stringify({
    eventId: 'e1',
    type: 'view',
    userId: 'alice',
    itemId: 'sku-1',
    timestamp: T,
    receivedAt: T,
    ...fields,
  });

async function* chunksOf(...chunks: (string | Buffer)[]): AsyncGenerator<string | Buffer> {
  yield* chunks;
}

async function collect(chunks: AsyncIterable<string | Buffer>, range = { from: 0, to: Infinity }) {
  const stats = emptyReadStats();
  const events = [];
  for await (const batch of lakeEventBatches(chunks, { source: 'events/dt=2026-03-01/a.jsonl.gz', range, stats })) {
    events.push(...batch);
  }
  return { events, stats };
}

describe('Function: parseLakeLine', () => {
  it('returns the event with the fields the export reads', () => {
    expect(parseLakeLine(line({ type: 'purchase', quantity: 2, price: 3, properties: { a: 1 } }))).toMatchObject({
      type: 'purchase',
      userId: 'alice',
      itemId: 'sku-1',
      quantity: 2,
      timestamp: T,
      receivedAt: T,
    });
  });

  it('returns what is wrong with a line that is not an event', () => {
    expect(parseLakeLine('{"type":')).toBe('not JSON');
    expect(parseLakeLine('[1]')).toBe('not a JSON object');
    expect(parseLakeLine(line({ type: 'toString' }))).toBe('type is not an event type');
    expect(parseLakeLine(line({ userId: undefined }))).toBe('neither userId nor anonymousId');
    expect(parseLakeLine(line({ userId: 5 }))).toBe('userId is not an id');
    expect(parseLakeLine(line({ itemId: 'x'.repeat(129) }))).toBe('itemId is not an id');
    expect(parseLakeLine(line({ itemId: undefined }))).toBe('itemId is missing from a view event');
    expect(parseLakeLine(line({ timestamp: '2026-03-01' }))).toBe('timestamp is not epoch ms');
    expect(parseLakeLine(line({ receivedAt: 5e15 }))).toBe('receivedAt is not epoch ms');
    expect(parseLakeLine(line({ quantity: 0 }))).toBe('quantity is not an integer from 1 to 10000');
  });

  it('takes search and identify events without an item, and a __proto__ key as plain data', () => {
    expect(parseLakeLine(line({ type: 'search', itemId: undefined, query: 'pan' }))).toMatchObject({ type: 'search' });
    expect(parseLakeLine('{"__proto__":{"polluted":1},' + line({}).slice(1))).toMatchObject({ userId: 'alice' });
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
  });
});

describe('Function: lakeEventBatches', () => {
  it('splits lines across chunks, multi-byte characters included, and keeps a last line without newline', async () => {
    // Prepare
    const text = `${line({ userId: 'zoë' })}\n\n${line({ userId: 'bob' })}`;
    const bytes = Buffer.from(text, 'utf8');
    const cut = text.indexOf('ë') + 1;
    // Act
    const { events, stats } = await collect(chunksOf(bytes.subarray(0, cut), bytes.subarray(cut)));
    // Assess
    expect(events.map((e) => e.userId)).toEqual(['zoë', 'bob']);
    expect(stats.invalidLines).toBe(0);
  });

  it('keeps events received in the range only, and counts bad lines with where they are', async () => {
    // Prepare
    const text = [line({ receivedAt: T - 1 }), line({}), 'garbage', line({ receivedAt: T + 1_000 })].join('\n');
    // Act
    const { events, stats } = await collect(chunksOf(text), { from: T, to: T + 1_000 });
    // Assess
    expect(events).toHaveLength(1);
    expect(stats).toEqual({ invalidLines: 1, examples: ['events/dt=2026-03-01/a.jsonl.gz:3: not JSON'] });
  });
});

describe('Function: lakeDayPrefixes', () => {
  it('returns the arrival days from the range’s start to its end plus the delivery slack', () => {
    // Act
    const prefixes = lakeDayPrefixes({
      from: Date.parse('2026-02-27T23:00:00Z'),
      to: Date.parse('2026-03-01T23:30:00Z'),
    });
    // Assess
    expect(prefixes).toEqual([
      'events/dt=2026-02-27/',
      'events/dt=2026-02-28/',
      'events/dt=2026-03-01/',
      'events/dt=2026-03-02/',
    ]);
    expect(lakeDayPrefixes({ from: 5, to: 5 })).toEqual([]);
  });
});
