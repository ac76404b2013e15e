import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiLimits } from '#shared/config/index.ts';
import { DependencyUnavailableError, InvalidRequestError, PayloadTooLargeError } from '#shared/errors.ts';
import { storefrontEventSchema, type StreamEvent } from '#shared/events/schema.ts';
import { acceptEvents, parseEventsBody, type IngestDeps } from '#shared/ingest/acceptEvents.ts';
import type { EventStream, PutEventsResult } from '#shared/ports/index.ts';
import type { Caller } from '#shared/auth/caller.ts';

const NOW = Date.parse('2025-03-10T12:00:00.000Z');
const STREAM_MESSAGE = 'ProvisionedThroughputExceededException: Rate exceeded';

/** Records every batch it receives; fails the given indexes (into each batch), or everything. */
class FakeEventStream implements EventStream {
  readonly batches: StreamEvent[][] = [];

  constructor(private readonly fail: ReadonlySet<number> | 'all' = new Set()) {}

  async putEvents(events: readonly StreamEvent[]): Promise<PutEventsResult> {
    this.batches.push([...events]);
    const failed = events.flatMap((_, index) =>
      this.fail === 'all' || this.fail.has(index) ? [{ index, message: STREAM_MESSAGE }] : [],
    );
    return { failed };
  }

  get written(): StreamEvent[] {
    return this.batches.flat();
  }
}

const deps = (stream: EventStream): IngestDeps => ({ stream, clock: { now: () => NOW } });

const view = (eventId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  eventId,
  type: 'view',
  userId: 'user-1',
  itemId: 'sku-1',
  timestamp: NOW - 1_000,
  ...overrides,
});

/** A `view` without itemId: rejected as missing_field. */
const viewWithoutItem = (eventId: string): Record<string, unknown> => {
  const { itemId: _itemId, ...rest } = view(eventId);
  return rest;
};

const body = (events: unknown): string => JSON.stringify({ events });

/** The shop's backend on the server API: it may post events for any shopper. */
const SERVER: Caller = { kind: 'server', principal: 'arn:aws:iam::000000000000:user/test' };

describe('Function: parseEventsBody', () => {
  describe('empty body', () => {
    it.each([
      ['null', null],
      ['undefined', undefined],
      ['an empty string', ''],
      ['whitespace', ' \n\t '],
    ])('throws InvalidRequestError empty_body for %s', (_label, input) => {
      // Act
      const act = () => parseEventsBody(input);

      // Assess
      expect(act).toThrow(InvalidRequestError);
      expect(act).toThrow(expect.objectContaining({ reason: 'empty_body', status: 400 }));
    });
  });

  describe('malformed body', () => {
    it.each(['{', '{"events": [}', 'events', "{'events': []}"])('throws invalid_json for %j', (input) => {
      // Act
      const act = () => parseEventsBody(input);

      // Assess
      expect(act).toThrow(InvalidRequestError);
      expect(act).toThrow(expect.objectContaining({ reason: 'invalid_json', status: 400 }));
    });

    it.each([
      ['an array', '[]'],
      ['an empty object', '{}'],
      ['events as an object', '{"events": {}}'],
      ['events as a string', '{"events": "view"}'],
      ['events as null', '{"events": null}'],
      ['JSON null', 'null'],
      ['a JSON string', '"events"'],
      ['a JSON number', '42'],
      ['an array holding an events object', '[{"events": []}]'],
    ])('throws missing_events for %s', (_label, input) => {
      // Act
      const act = () => parseEventsBody(input);

      // Assess
      expect(act).toThrow(InvalidRequestError);
      expect(act).toThrow(expect.objectContaining({ reason: 'missing_events', status: 400 }));
    });

    it('throws no_events for an empty events array', () => {
      // Act
      const act = () => parseEventsBody('{"events": []}');

      // Assess
      expect(act).toThrow(InvalidRequestError);
      expect(act).toThrow(expect.objectContaining({ reason: 'no_events', status: 400 }));
    });
  });

  describe('limits', () => {
    it('throws PayloadTooLargeError too_many_events above maxEventsPerRequest', () => {
      // Prepare
      const input = body(Array.from({ length: apiLimits.maxEventsPerRequest + 1 }, (_, i) => view(`e${i}`)));

      // Act
      const act = () => parseEventsBody(input);

      // Assess
      expect(act).toThrow(PayloadTooLargeError);
      expect(act).toThrow(expect.objectContaining({ reason: 'too_many_events', status: 413 }));
    });

    it('returns the events at exactly maxEventsPerRequest', () => {
      // Prepare
      const input = body(Array.from({ length: apiLimits.maxEventsPerRequest }, (_, i) => view(`e${i}`)));

      // Act
      const events = parseEventsBody(input);

      // Assess
      expect(events).toHaveLength(apiLimits.maxEventsPerRequest);
    });

    it('throws PayloadTooLargeError body_too_large for a body over maxBodyBytes', () => {
      // Prepare
      const input = body([view('e1')]).padEnd(apiLimits.maxBodyBytes + 1, ' ');

      // Act
      const act = () => parseEventsBody(input);

      // Assess
      expect(act).toThrow(PayloadTooLargeError);
      expect(act).toThrow(expect.objectContaining({ reason: 'body_too_large', status: 413 }));
    });

    it('throws body_too_large before parsing a large body that is not JSON', () => {
      // Prepare
      const input = '{'.repeat(apiLimits.maxBodyBytes + 1);

      // Act
      const act = () => parseEventsBody(input);

      // Assess
      expect(act).toThrow(expect.objectContaining({ reason: 'body_too_large' }));
    });

    it('throws body_too_large when multi-byte characters push the UTF-8 size over the limit', () => {
      // Prepare: fewer characters than the limit, more bytes ('é' is 2 bytes).
      const input = body([view('e1', { properties: { note: 'é'.repeat(apiLimits.maxBodyBytes / 2) } })]);

      // Act
      const act = () => parseEventsBody(input);

      // Assess
      expect(input.length).toBeLessThan(apiLimits.maxBodyBytes);
      expect(act).toThrow(expect.objectContaining({ reason: 'body_too_large' }));
    });

    it('returns the events for a body of exactly maxBodyBytes', () => {
      // Prepare
      const input = body([view('e1')]).padEnd(apiLimits.maxBodyBytes, ' ');

      // Act
      const events = parseEventsBody(input);

      // Assess
      expect(Buffer.byteLength(input)).toBe(apiLimits.maxBodyBytes);
      expect(events).toEqual([{ ok: true, raw: view('e1') }]);
    });
  });
});

describe('Function: acceptEvents', () => {
  describe('a valid batch', () => {
    it('returns every event accepted and writes them to the stream with receivedAt', async () => {
      // Prepare
      const stream = new FakeEventStream();
      const events = [view('e1'), view('e2', { type: 'click', anonymousId: 'anon-1', userId: undefined })];

      // Act
      const result = await acceptEvents(body(events), deps(stream), SERVER);

      // Assess
      expect(result).toEqual({ accepted: 2, rejected: [] });
      expect(stream.batches).toHaveLength(1);
      expect(stream.written).toEqual([
        { ...view('e1'), receivedAt: NOW },
        {
          eventId: 'e2',
          type: 'click',
          anonymousId: 'anon-1',
          itemId: 'sku-1',
          timestamp: NOW - 1_000,
          receivedAt: NOW,
        },
      ]);
    });

    it('returns ISO timestamps normalised to epoch ms in what it writes', async () => {
      // Prepare
      const stream = new FakeEventStream();

      // Act
      await acceptEvents(body([view('e1', { timestamp: '2025-03-10T11:00:00Z' })]), deps(stream), SERVER);

      // Assess
      expect(stream.written[0]?.timestamp).toBe(NOW - 60 * 60 * 1000);
    });

    it('returns the window judged against the injected clock', async () => {
      // Prepare
      const stream = new FakeEventStream();
      const future = NOW + apiLimits.maxClockSkewFutureMs + 1;

      // Act
      const result = await acceptEvents(body([view('e1'), view('e2', { timestamp: future })]), deps(stream), SERVER);

      // Assess
      expect(result.accepted).toBe(1);
      expect(result.rejected).toEqual([
        { index: 1, eventId: 'e2', reason: 'timestamp_in_future', field: 'timestamp', message: expect.any(String) },
      ]);
    });
  });

  describe('a mixed batch', () => {
    it('returns the accepted count and the rejected events with index, eventId, reason, field and message', async () => {
      // Prepare
      const stream = new FakeEventStream();
      const events = [
        view('e0'),
        viewWithoutItem('e1'),
        view('e2', { itemId: 'sku-2' }),
        'not an event',
        view('e4', { itemID: 'sku-4' }),
        view('e5', { type: 'purchase', price: 10, currency: 'eur' }),
      ];

      // Act
      const result = await acceptEvents(body(events), deps(stream), SERVER);

      // Assess
      expect(result).toEqual({
        accepted: 2,
        rejected: [
          { index: 1, eventId: 'e1', reason: 'missing_field', field: 'itemId', message: expect.any(String) },
          { index: 3, eventId: undefined, reason: 'not_an_object', field: undefined, message: expect.any(String) },
          { index: 4, eventId: 'e4', reason: 'unknown_field', field: 'itemID', message: expect.any(String) },
          { index: 5, eventId: 'e5', reason: 'invalid_field', field: 'currency', message: expect.any(String) },
        ],
      });
    });

    it('returns only the valid events written to the stream, in request order', async () => {
      // Prepare
      const stream = new FakeEventStream();
      const events = [viewWithoutItem('e0'), view('e1'), null, view('e3', { itemId: 'sku-3' })];

      // Act
      await acceptEvents(body(events), deps(stream), SERVER);

      // Assess
      expect(stream.written.map((e) => e.eventId)).toEqual(['e1', 'e3']);
    });

    it('returns 0 accepted and does not call the stream when every event is invalid', async () => {
      // Prepare
      const stream = new FakeEventStream();

      // Act
      const result = await acceptEvents(body([viewWithoutItem('e0'), 7]), deps(stream), SERVER);

      // Assess
      expect(result.accepted).toBe(0);
      expect(result.rejected.map((r) => r.index)).toEqual([0, 1]);
      expect(stream.batches).toEqual([]);
    });

    it('returns the eventId of a rejected event only when it is a string', async () => {
      // Prepare
      const stream = new FakeEventStream();

      // Act
      const result = await acceptEvents(body([view('e0'), view('e1', { eventId: 12 })]), deps(stream), SERVER);

      // Assess
      expect(result.rejected).toEqual([
        { index: 1, eventId: undefined, reason: 'invalid_field', field: 'eventId', message: expect.any(String) },
      ]);
    });
  });

  describe('duplicates', () => {
    it('returns the second event with the same eventId as duplicate_in_batch and writes it once', async () => {
      // Prepare
      const stream = new FakeEventStream();
      const events = [view('e1'), view('e2'), view('e1', { itemId: 'sku-9' })];

      // Act
      const result = await acceptEvents(body(events), deps(stream), SERVER);

      // Assess
      expect(result).toEqual({
        accepted: 2,
        rejected: [
          {
            index: 2,
            eventId: 'e1',
            reason: 'duplicate_in_batch',
            field: 'eventId',
            message: expect.stringContaining('earlier'),
          },
        ],
      });
      expect(stream.written.map((e) => [e.eventId, e.itemId])).toEqual([
        ['e1', 'sku-1'],
        ['e2', 'sku-1'],
      ]);
    });

    it('returns every later copy as duplicate_in_batch', async () => {
      // Prepare
      const stream = new FakeEventStream();

      // Act
      const result = await acceptEvents(body([view('e1'), view('e1'), view('e1')]), deps(stream), SERVER);

      // Assess
      expect(result.accepted).toBe(1);
      expect(result.rejected.map((r) => [r.index, r.reason])).toEqual([
        [1, 'duplicate_in_batch'],
        [2, 'duplicate_in_batch'],
      ]);
    });
  });

  describe('whole-request rejection', () => {
    it.each([
      ['an empty body', '', InvalidRequestError, 'empty_body', 400],
      ['invalid JSON', '{"events": [', InvalidRequestError, 'invalid_json', 400],
      ['no events array', '{}', InvalidRequestError, 'missing_events', 400],
      ['an empty events array', '{"events": []}', InvalidRequestError, 'no_events', 400],
      [
        'too many events',
        body(Array.from({ length: apiLimits.maxEventsPerRequest + 1 }, (_, i) => view(`e${i}`))),
        PayloadTooLargeError,
        'too_many_events',
        413,
      ],
      [
        'a body over the limit',
        body([view('e1')]).padEnd(apiLimits.maxBodyBytes + 1, ' '),
        PayloadTooLargeError,
        'body_too_large',
        413,
      ],
    ])('throws for %s and writes nothing to the stream', async (_label, input, errorType, reason, status) => {
      // Prepare
      const stream = new FakeEventStream();

      // Act
      const promise = acceptEvents(input, deps(stream), SERVER);

      // Assess
      await expect(promise).rejects.toBeInstanceOf(errorType);
      await expect(promise).rejects.toMatchObject({ reason, status });
      expect(stream.batches).toEqual([]);
    });
  });

  describe('hostile bodies', () => {
    const viewText = (extra: string) =>
      `{"eventId": "e1", "type": "view", "userId": "user-1", "itemId": "sku-1", "timestamp": ${NOW - 1_000}${extra}}`;

    it.each([
      ['__proto__ around the events', '{"__proto__": {"events": [1]}}', 'missing_events'],
      ['a byte order mark', `\uFEFF{"events": [${viewText('')}]}`, 'invalid_encoding'],
    ])('throws a 400 for %s and writes nothing to the stream', async (_label, input, reason) => {
      // Prepare
      const stream = new FakeEventStream();

      // Act
      const promise = acceptEvents(input, deps(stream), SERVER);

      // Assess
      await expect(promise).rejects.toBeInstanceOf(InvalidRequestError);
      await expect(promise).rejects.toMatchObject({ reason, status: 400 });
      expect(stream.batches).toEqual([]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('throws 413 body_too_large for 5 MB of whitespace, before it is trimmed', async () => {
      // Prepare
      const stream = new FakeEventStream();

      // Act
      const promise = acceptEvents(' '.repeat(5 * 1024 * 1024), deps(stream), SERVER);

      // Assess
      await expect(promise).rejects.toBeInstanceOf(PayloadTooLargeError);
      await expect(promise).rejects.toMatchObject({ reason: 'body_too_large', status: 413 });
    });

    it('returns the events of a body with constructor beside them accepted, the other field unread', async () => {
      // Prepare
      const stream = new FakeEventStream();

      // Act
      const result = await acceptEvents(`{"events": [${viewText('')}], "constructor": {}}`, deps(stream), SERVER);

      // Assess
      expect(result).toEqual({ accepted: 1, rejected: [] });
    });
  });

  describe('hostile events', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    const viewText = (eventId: string, extra = '') =>
      `{"eventId": "${eventId}", "type": "view", "userId": "user-1", "itemId": "sku-1", "timestamp": ${NOW - 1_000}${extra}}`;

    it.each([
      [
        'properties nested 5,000 deep',
        `"properties": ${'{"a": '.repeat(5_000)}1${'}'.repeat(5_000)}`,
        'properties.a.a.a.a.a.a.a',
      ],
      [
        'properties nested 100,000 deep in arrays',
        `"properties": {"a": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
        'properties.a.0.0.0.0.0.0',
      ],
    ])('returns the event with %s rejected alone as too_deep, before validation', async (_name, extra, field) => {
      // Prepare
      const stream = new FakeEventStream();
      const input = `{"events": [${viewText('e0')}, ${viewText('e1', `, ${extra}`)}, ${viewText('e2')}]}`;
      const safeParse = vi.spyOn(storefrontEventSchema, 'safeParse');

      // Act
      const result = await acceptEvents(input, deps(stream), SERVER);

      // Assess
      expect(result).toEqual({
        accepted: 2,
        rejected: [
          {
            index: 1,
            eventId: 'e1',
            reason: 'too_deep',
            field,
            message: `${field}: nests objects and arrays more than 8 levels deep`,
          },
        ],
      });
      expect(stream.written.map((event) => event.eventId)).toEqual(['e0', 'e2']);
      expect(safeParse.mock.calls.map(([raw]) => (raw as { eventId: string }).eventId)).toEqual(['e0', 'e2']);
    });

    it('returns properties named like Object.prototype members accepted and written as data', async () => {
      // Prepare
      const stream = new FakeEventStream();
      const properties = '{"__proto__": "a", "constructor": "b", "toString": 1, "hasOwnProperty": null}';

      // Act
      const result = await acceptEvents(
        `{"events": [${viewText('e0', `, "properties": ${properties}`)}]}`,
        deps(stream),
        SERVER,
      );

      // Assess
      expect(result).toEqual({ accepted: 1, rejected: [] });
      const written = stream.written[0]?.properties ?? {};
      expect(Object.keys(written)).toEqual(['__proto__', 'constructor', 'toString', 'hasOwnProperty']);
      expect(JSON.stringify(written)).toBe(JSON.stringify(JSON.parse(properties)));
      expect(Object.getPrototypeOf(written)).toBe(Object.prototype);
    });

    it.each([
      ['__proto__', '"__proto__": {"type": "purchase"}'],
      ['constructor', '"constructor": 1'],
      ['toString', '"toString": "x"'],
    ])('returns an event with a field named %s rejected alone as unknown_field', async (name, extra) => {
      // Prepare
      const stream = new FakeEventStream();
      const input = `{"events": [${viewText('e0')}, ${viewText('e1', `, ${extra}`)}]}`;

      // Act
      const result = await acceptEvents(input, deps(stream), SERVER);

      // Assess
      expect(result).toEqual({
        accepted: 1,
        rejected: [
          { index: 1, eventId: 'e1', reason: 'unknown_field', field: name, message: `unknown field(s): ${name}` },
        ],
      });
      expect(stream.written.map((event) => event.type)).toEqual(['view']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('stream failures', () => {
    it('returns events the stream did not take as stream_write_failed, not accepted', async () => {
      // Prepare
      const stream = new FakeEventStream(new Set([1]));

      // Act
      const result = await acceptEvents(body([view('e0'), view('e1'), view('e2')]), deps(stream), SERVER);

      // Assess
      expect(result).toEqual({
        accepted: 2,
        rejected: [
          {
            index: 1,
            eventId: 'e1',
            reason: 'stream_write_failed',
            message: expect.stringContaining(STREAM_MESSAGE),
          },
        ],
      });
    });

    it('returns stream failures at the request index when invalid events precede them', async () => {
      // Prepare: the stream sees [e1, e3, e4]; it fails its index 1 (e3) and 2 (e4).
      const stream = new FakeEventStream(new Set([1, 2]));
      const events = [viewWithoutItem('e0'), view('e1'), 'junk', view('e3'), view('e4'), view('e1')];

      // Act
      const result = await acceptEvents(body(events), deps(stream), SERVER);

      // Assess
      expect(stream.written.map((e) => e.eventId)).toEqual(['e1', 'e3', 'e4']);
      expect(result.accepted).toBe(1);
      expect(result.rejected.map(({ index, eventId, reason }) => ({ index, eventId, reason }))).toEqual([
        { index: 0, eventId: 'e0', reason: 'missing_field' },
        { index: 2, eventId: undefined, reason: 'not_an_object' },
        { index: 3, eventId: 'e3', reason: 'stream_write_failed' },
        { index: 4, eventId: 'e4', reason: 'stream_write_failed' },
        { index: 5, eventId: 'e1', reason: 'duplicate_in_batch' },
      ]);
    });

    it('throws DependencyUnavailableError stream_unavailable when the stream takes none of the events', async () => {
      // Prepare
      const stream = new FakeEventStream('all');

      // Act
      const promise = acceptEvents(body([view('e0'), view('e1')]), deps(stream), SERVER);

      // Assess
      await expect(promise).rejects.toBeInstanceOf(DependencyUnavailableError);
      await expect(promise).rejects.toMatchObject({
        reason: 'stream_unavailable',
        status: 503,
        message: expect.stringContaining(STREAM_MESSAGE),
      });
    });

    it('throws stream_unavailable when the only valid events all fail, even beside invalid ones', async () => {
      // Prepare
      const stream = new FakeEventStream('all');

      // Act
      const promise = acceptEvents(body([viewWithoutItem('e0'), view('e1')]), deps(stream), SERVER);

      // Assess
      await expect(promise).rejects.toMatchObject({ reason: 'stream_unavailable', status: 503 });
    });
  });
});

describe('Function: acceptEvents (who may post what)', () => {
  const anonymousView = (eventId: string) => view(eventId, { userId: undefined, anonymousId: 'anon-1' });
  const identify = (eventId: string, userId: string) => ({
    eventId,
    type: 'identify',
    userId,
    anonymousId: 'anon-1',
    timestamp: NOW - 1_000,
  });

  it('returns user_token_required for each event naming a userId from a browser without a token', async () => {
    // Prepare
    const stream = new FakeEventStream();
    const events = [anonymousView('e1'), view('e2'), identify('e3', 'user-1')];

    // Act
    const result = await acceptEvents(body(events), deps(stream), { kind: 'shopper' });

    // Assess
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([
      expect.objectContaining({ index: 1, eventId: 'e2', reason: 'user_token_required', field: 'userId' }),
      expect.objectContaining({ index: 2, eventId: 'e3', reason: 'user_token_required', field: 'userId' }),
    ]);
    expect(stream.written.map((event) => event.eventId)).toEqual(['e1']);
  });

  it("returns user_token_mismatch for events and identifies naming another user than the token's", async () => {
    // Prepare
    const stream = new FakeEventStream();
    const events = [view('e1', { userId: 'victim' }), identify('e2', 'victim'), view('e3')];

    // Act
    const result = await acceptEvents(body(events), deps(stream), { kind: 'shopper', userId: 'user-1' });

    // Assess
    expect(result.rejected.map((rejection) => [rejection.eventId, rejection.reason])).toEqual([
      ['e1', 'user_token_mismatch'],
      ['e2', 'user_token_mismatch'],
    ]);
    expect(stream.written.map((event) => event.eventId)).toEqual(['e3']);
  });

  it("returns every event accepted for a browser with the user's token, identify included", async () => {
    // Prepare
    const stream = new FakeEventStream();
    const events = [view('e1'), identify('e2', 'user-1'), anonymousView('e3')];

    // Act
    const result = await acceptEvents(body(events), deps(stream), { kind: 'shopper', userId: 'user-1' });

    // Assess
    expect(result).toEqual({ accepted: 3, rejected: [] });
  });
});
