import { describe, expect, it } from 'vitest';
import { featureLimits } from '#shared/config/index.ts';
import { foldShopperEvents, emptyProfile, replayedOutcome, type ShopperEventInput } from '#shared/features/profile.ts';
import { boundSeenEvents, seenKeyOf } from '#shared/features/seenEvents.ts';
import type { StreamEvent } from '#shared/events/schema.ts';
import type { SeenEvent, ShopperProfile } from '#shared/ports/index.ts';

const T = Date.parse('2026-06-15T12:00:00.000Z');
let counter = 0;
function input(event: Partial<StreamEvent>, recordId = `shard-0:${(counter += 1)}`): ShopperEventInput {
  const full: StreamEvent = {
    eventId: `e${counter}`,
    type: 'view',
    userId: 'alice',
    itemId: 'sku',
    timestamp: T,
    receivedAt: T,
    ...event,
  };
  return { recordId, event: full, categories: [] };
}

describe('Function: seenKeyOf', () => {
  it('returns a UUID as it is', () => {
    // Act
    const key = seenKeyOf('0b5c8f0e-3d4e-4a8b-9a51-6f1f3c2a7b90');
    // Assess
    expect(key).toBe('0b5c8f0e-3d4e-4a8b-9a51-6f1f3c2a7b90');
  });

  it('returns a 23-character hash for an id longer than featureLimits.seenEventIdChars or not ASCII', () => {
    // Act
    const keys = ['x'.repeat(featureLimits.seenEventIdChars + 1), 'é', '語'.repeat(128)].map(seenKeyOf);
    // Assess
    for (const key of keys) expect(key).toMatch(/^#[\w-]{22}$/);
    expect(new Set(keys).size).toBe(3);
    expect(seenKeyOf('語'.repeat(128))).toBe(keys[2]);
  });
});

describe('Function: foldShopperEvents (seen event ids)', () => {
  it('returns a repeat of a long event id as a duplicate, in the same fold and in a later one', () => {
    // Prepare
    const eventId = '語'.repeat(128);
    const first = foldShopperEvents(emptyProfile, [input({ eventId }), input({ eventId })]);
    // Act
    const later = foldShopperEvents(first.profile, [input({ eventId })]);
    // Assess
    expect(first.outcomes.map((o) => o.status)).toEqual(['new', 'duplicate']);
    expect(later.outcomes.map((o) => o.status)).toEqual(['duplicate']);
    expect(first.profile.seenEvents[0]?.eventId).toBe(seenKeyOf(eventId));
  });

  it('returns a repeat of a long event id a profile remembered raw (written before hashing) as a duplicate', () => {
    // Prepare
    const eventId = 'x'.repeat(100);
    const profile: ShopperProfile = {
      ...emptyProfile,
      seenEvents: [{ eventId, recordId: 'shard-0:1', viewedWith: [] }],
    };
    // Act
    const { outcomes } = foldShopperEvents(profile, [input({ eventId })]);
    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['duplicate']);
  });

  it('returns a parked record remembered as parked, applied by a later record of the same event', () => {
    // Prepare
    const eventId = 'e-parked';
    const parked = input({ eventId, itemId: 'sku-1' }, 'shard-0:10');
    const folded = foldShopperEvents(
      emptyProfile,
      [parked],
      new Map(),
      new Set(),
      new Map([['shard-0:10', 'item_rejected']]),
    );
    // Act
    const redelivered = replayedOutcome(folded.profile, parked);
    const replay = foldShopperEvents(folded.profile, [input({ eventId, itemId: 'sku-1' }, 'shard-0:99')]);
    // Assess
    expect(folded.outcomes.map((o) => o.status)).toEqual(['parked']);
    expect(folded.profile.recentItems).toEqual([]);
    expect(folded.profile.seenEvents).toEqual([{ eventId, recordId: 'shard-0:10', parked: 'item_rejected' }]);
    expect(redelivered.status).toBe('parked');
    expect(replay.outcomes.map((o) => o.status)).toEqual(['new']);
    expect(replay.profile.seenEvents).toEqual([{ eventId, recordId: 'shard-0:99', viewedWith: [] }]);
    expect(replay.profile.recentItems.map((r) => r.itemId)).toEqual(['sku-1']);
  });
});

describe('Function: boundSeenEvents', () => {
  const entry = (n: number, partner: string): SeenEvent => ({
    eventId: `e${n}`,
    recordId: `shard-0:${n}`,
    viewedWith: Array.from({ length: 10 }, (_, i) => `${partner}${i}`),
    boughtWith: Array.from({ length: 10 }, (_, i) => `${partner}${i}`),
  });

  it('returns partners kept on the newest entries only while their ids stay within seenEventPartnerChars', () => {
    // Prepare: 20 partners of 128 characters each: 2,560 characters per entry.
    const entries = Array.from({ length: 50 }, (_, i) => entry(i, 'p'.repeat(127)));
    // Act
    const bounded = boundSeenEvents(entries);
    // Assess
    const kept = Math.floor(featureLimits.seenEventPartnerChars / 2_560);
    expect(bounded.filter((s) => s.viewedWith !== undefined)).toEqual(entries.slice(0, kept));
    expect(bounded[kept]).toEqual({ eventId: `e${kept}`, recordId: `shard-0:${kept}` });
  });

  it('returns partners kept on the newest seenEventsWithPartners entries when ids are short', () => {
    // Prepare
    const entries = Array.from({ length: featureLimits.seenEventsPerUser + 5 }, (_, i) => entry(i, 'p'));
    // Act
    const bounded = boundSeenEvents(entries);
    // Assess
    expect(bounded).toHaveLength(featureLimits.seenEventsPerUser);
    expect(bounded.filter((s) => s.viewedWith !== undefined)).toHaveLength(featureLimits.seenEventsWithPartners);
  });
});
