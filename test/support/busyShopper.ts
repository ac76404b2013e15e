import { apiLimits, featureLimits } from '#shared/config/index.ts';
import type { StreamEvent } from '#shared/events/schema.ts';
import type { StreamRecord } from '#shared/features/applyEvents.ts';

/**
 * The largest profile the API lets one shopper build: every id at `apiLimits.maxIdChars` of a
 * 3-byte UTF-8 character (the most bytes a UTF-16 code unit takes), 500 `identify` events, then
 * 600 purchases of distinct items in one session (so each carries its full share of session
 * partners), each item in 10 categories of 64 such characters, and searches of the longest query.
 * Records are spread over `shards` shards, as resharding leaves a mark per shard on the profile;
 * sequence numbers have Kinesis's 129 digits.
 */
export interface BusyShopper {
  readonly userId: string;
  readonly events: readonly StreamEvent[];
  /** Categories of each item, for the catalogue. */
  readonly categories: ReadonlyMap<string, readonly string[]>;
}

const WIDE = '語';

/** `length` characters of 3 UTF-8 bytes each, ending in `n` so that each is distinct. */
export const wideId = (n: number | string, length: number = apiLimits.maxIdChars): string =>
  `${String(n)}${WIDE.repeat(length)}`.slice(0, length);

export function busyShopper(now: number): BusyShopper {
  const userId = wideId('user');
  const sessionId = wideId('session');
  const events: StreamEvent[] = [];
  const categories = new Map<string, string[]>();
  let n = 0;
  const base = { userId, receivedAt: now };
  for (let i = 0; i < 500; i++) {
    events.push({
      ...base,
      eventId: wideId(`e${n++}`),
      type: 'identify',
      anonymousId: wideId(`anon${i}`),
      timestamp: now + n,
    });
  }
  for (let i = 0; i < 600; i++) {
    const itemId = wideId(`item${i}`);
    categories.set(
      itemId,
      Array.from({ length: apiLimits.maxCategoriesPerItem }, (_, c) => wideId(`c${i}-${c}`, 64)),
    );
    events.push({
      ...base,
      eventId: wideId(`e${n++}`),
      type: 'purchase',
      itemId,
      sessionId,
      quantity: 10_000,
      price: 999_999_999.99,
      currency: 'EUR',
      timestamp: now + n,
    });
  }
  for (let i = 0; i < featureLimits.recentQueriesPerUser * 2; i++) {
    events.push({
      ...base,
      eventId: wideId(`e${n++}`),
      type: 'search',
      query: `${i}${WIDE.repeat(apiLimits.maxQueryChars)}`.slice(0, apiLimits.maxQueryChars),
      timestamp: now + n,
    });
  }
  return { userId, events, categories };
}

/** 129-digit sequence numbers, increasing. */
export const longSequenceNumber = (n: number): string => (10n ** 128n + BigInt(n)).toString();

/** The events as Kinesis records, `shards` shards in turn. */
export function asRecords(events: readonly StreamEvent[], shards: number): StreamRecord[] {
  return events.map((event, i) => ({
    shardId: `shardId-${String(i % shards).padStart(12, '0')}`,
    sequenceNumber: longSequenceNumber(i),
    data: Buffer.from(JSON.stringify(event)).toString('base64'),
  }));
}
