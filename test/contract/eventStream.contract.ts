import { beforeEach, describe, expect, it } from 'vitest';
import type { StreamEvent } from '#shared/events/schema.ts';
import type { EventStream } from '#shared/ports/index.ts';

/** A record as a consumer of the stream sees it. */
export interface ReadRecord {
  readonly partitionKey: string;
  readonly event: unknown;
}

export interface EventStreamUnderTest {
  readonly stream: EventStream;
  /** Every record the stream holds; one partition key's records in stream order. */
  readBack(): Promise<ReadRecord[]>;
}

/** Faults the stream injects, as Kinesis refuses single records of a PutRecords call. */
export interface EventStreamFaults {
  /** Whether the stream refuses the event on this attempt (the first is 1). */
  readonly refuse: (eventId: string, attempt: number) => boolean;
}

export interface EventStreamContractOptions {
  /** A stream that takes nothing (not there, or down). */
  readonly unavailable: () => Promise<EventStream>;
}

const T0 = 1_765_000_000_000;

/** A valid stream event of one shopper, as `acceptEvents` writes it. */
export const streamEvent = (
  eventId: string,
  shopper: { readonly userId?: string; readonly anonymousId?: string },
  n = 0,
): StreamEvent => ({
  eventId,
  type: 'view',
  itemId: `sku-${n}`,
  timestamp: T0 + n,
  receivedAt: T0 + n + 500,
  ...shopper,
});

/** Event ids per partition key, in stream order. */
function idsByKey(records: readonly ReadRecord[]): Record<string, string[]> {
  const byKey: Record<string, string[]> = {};
  for (const { partitionKey, event } of records) {
    (byKey[partitionKey] ??= []).push((event as StreamEvent).eventId);
  }
  return byKey;
}

/**
 * What every EventStream must do, run against the in-memory stream (unit) and Kinesis on
 * kinesalite (integration). `acceptEvents` relies on it: an event not listed in `failed` is on
 * the stream exactly once and one listed is not, `failed` indexes point into the input, a stream
 * that takes nothing lists every event, and one shopper's events keep their order (the processor
 * folds a shopper's events into the profile in stream order).
 */
export function eventStreamContract(
  name: string,
  create: (faults?: EventStreamFaults) => Promise<EventStreamUnderTest>,
  options: EventStreamContractOptions,
): void {
  describe(`Contract: EventStream (${name})`, () => {
    let prefix: string;
    beforeEach(() => {
      prefix = `t${Math.random().toString(36).slice(2, 10)}`;
    });

    describe('Method: putEvents', () => {
      it('returns no failures for no events and writes nothing', async () => {
        // Prepare
        const { stream, readBack } = await create();

        // Act
        const result = await stream.putEvents([]);

        // Assess
        expect(result).toEqual({ failed: [] });
        expect(await readBack()).toEqual([]);
      });

      it('returns no failures and writes every event as sent, keyed by its shopper, the user id winning', async () => {
        // Prepare
        const { stream, readBack } = await create();
        const events: StreamEvent[] = [
          streamEvent(`${prefix}-1`, { userId: `${prefix}-alice` }, 1),
          streamEvent(`${prefix}-2`, { anonymousId: `${prefix}-anon` }, 2),
          {
            ...streamEvent(`${prefix}-3`, { userId: `${prefix}-bob`, anonymousId: `${prefix}-anon` }, 3),
            sessionId: 's',
          },
          { ...streamEvent(`${prefix}-4`, { userId: `${prefix}-alice` }, 4), properties: { note: 'Crème ✓ "q"\n' } },
        ];

        // Act
        const result = await stream.putEvents(events);

        // Assess
        expect(result).toEqual({ failed: [] });
        const records = await readBack();
        expect(records).toHaveLength(4);
        expect(records).toEqual(
          expect.arrayContaining([
            { partitionKey: `u:${prefix}-alice`, event: events[0] },
            { partitionKey: `a:${prefix}-anon`, event: events[1] },
            { partitionKey: `u:${prefix}-bob`, event: events[2] },
            { partitionKey: `u:${prefix}-alice`, event: events[3] },
          ]),
        );
      });

      it("returns each shopper's events in the order sent, within a call and across calls", async () => {
        // Prepare: three shoppers interleaved over two calls.
        const { stream, readBack } = await create();
        const shoppers = ['a', 'b', 'c'].map((s) => `${prefix}-${s}`);
        const events = Array.from({ length: 30 }, (_, n) =>
          streamEvent(`${prefix}-e${n}`, { userId: shoppers[n % 3] }, n),
        );

        // Act
        const results = [await stream.putEvents(events.slice(0, 17)), await stream.putEvents(events.slice(17))];

        // Assess
        expect(results).toEqual([{ failed: [] }, { failed: [] }]);
        expect(idsByKey(await readBack())).toEqual(
          Object.fromEntries(
            shoppers.map((s) => [`u:${s}`, events.filter((e) => e.userId === s).map((e) => e.eventId)]),
          ),
        );
      });

      it('returns no failures for 600 events, more than one Kinesis call takes, each written once in order', async () => {
        // Prepare
        const { stream, readBack } = await create();
        const events = Array.from({ length: 600 }, (_, n) =>
          streamEvent(`${prefix}-e${n}`, { anonymousId: `${prefix}-${n % 7}` }, n),
        );

        // Act
        const result = await stream.putEvents(events);

        // Assess
        expect(result).toEqual({ failed: [] });
        const byKey = idsByKey(await readBack());
        for (let k = 0; k < 7; k++) {
          const sent = events.filter((e) => e.anonymousId === `${prefix}-${k}`).map((e) => e.eventId);
          expect(byKey[`a:${prefix}-${k}`]).toEqual(sent);
        }
      });

      it('returns every index as failed, each with a message, when the stream takes nothing', async () => {
        // Prepare
        const stream = await options.unavailable();
        const events = Array.from({ length: 3 }, (_, n) => streamEvent(`${prefix}-e${n}`, { userId: prefix }, n));

        // Act
        const result = await stream.putEvents(events);

        // Assess
        expect(result.failed.map((f) => f.index)).toEqual([0, 1, 2]);
        expect(result.failed.every((f) => f.message.length > 0)).toBe(true);
      });

      it('returns the input indexes of the events it refused and writes exactly the others', async () => {
        // Prepare: events 1 and 4 are refused on every attempt.
        const refused = new Set([`${prefix}-e1`, `${prefix}-e4`]);
        const { stream, readBack } = await create({ refuse: (eventId) => refused.has(eventId) });
        const events = Array.from({ length: 6 }, (_, n) =>
          streamEvent(`${prefix}-e${n}`, { userId: `${prefix}-${n % 2}` }, n),
        );

        // Act
        const result = await stream.putEvents(events);

        // Assess
        expect(result.failed.map((f) => f.index)).toEqual([1, 4]);
        expect(result.failed.every((f) => f.message.length > 0)).toBe(true);
        const written = (await readBack()).map((r) => (r.event as StreamEvent).eventId).sort();
        expect(written).toEqual([0, 2, 3, 5].map((n) => `${prefix}-e${n}`).sort());
      });

      it('returns, after a refusal on the first attempt, each event either failed or written exactly once', async () => {
        // Prepare
        const refusedOnce = new Set([`${prefix}-e0`, `${prefix}-e3`]);
        const { stream, readBack } = await create({
          refuse: (eventId, attempt) => attempt === 1 && refusedOnce.has(eventId),
        });
        const events = Array.from({ length: 5 }, (_, n) => streamEvent(`${prefix}-e${n}`, { userId: prefix }, n));

        // Act
        const result = await stream.putEvents(events);

        // Assess
        const failed = new Set(result.failed.map((f) => events[f.index]?.eventId));
        const written = (await readBack()).map((r) => (r.event as StreamEvent).eventId);
        expect(new Set(written).size).toBe(written.length);
        expect([...failed, ...written].sort()).toEqual(events.map((e) => e.eventId).sort());
      });
    });
  });
}
