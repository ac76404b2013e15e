import { describe, expect, it } from 'vitest';
import { eventWeights, featureLimits } from '#shared/config/index.ts';
import type { StreamEvent } from '#shared/events/schema.ts';
import {
  addDecayed,
  emptyProfile,
  erasedProfile,
  foldShopperEvents,
  replayedOutcome,
  type ShopperEventInput,
} from '#shared/features/profile.ts';
import { mergeRecentItems } from '#shared/features/recentItems.ts';
import type { RecentItem, SeenEvent, ShopperProfile } from '#shared/ports/index.ts';

const T = Date.parse('2026-06-15T12:00:00.000Z');
const HALF_LIFE = featureLimits.affinityHalfLifeSeconds * 1000;

let counter = 0;
/** One stream record of alice; `recordId` follows the event id unless given. */
function input(event: Partial<StreamEvent>, categories: readonly string[] = [], recordId?: string): ShopperEventInput {
  counter += 1;
  const full: StreamEvent = {
    eventId: `e${counter}`,
    type: 'view',
    userId: 'alice',
    timestamp: T,
    receivedAt: T,
    ...event,
  };
  return { recordId: recordId ?? `shard-0:${counter}`, event: full, categories };
}

const view = (itemId: string, at: number, sessionId?: string, categories: readonly string[] = []) =>
  input({ type: 'view', itemId, timestamp: at, ...(sessionId ? { sessionId } : {}) }, categories);
const purchase = (itemId: string, at: number, sessionId?: string) =>
  input({ type: 'purchase', itemId, timestamp: at, quantity: 1, ...(sessionId ? { sessionId } : {}) });
const search = (query: string, at: number) => input({ type: 'search', query, timestamp: at });

const fold = (inputs: readonly ShopperEventInput[], profile: ShopperProfile = emptyProfile) =>
  foldShopperEvents(profile, inputs);

describe('Function: addDecayed', () => {
  it('returns the weight at its own time when there is no previous score', () => {
    // Act
    const score = addDecayed(undefined, 4, T, HALF_LIFE);

    // Assess
    expect(score).toEqual({ score: 4, at: T });
  });

  it('returns zero, not a negative score, for a negative first weight', () => {
    // Act
    const score = addDecayed(undefined, -2, T, HALF_LIFE);

    // Assess
    expect(score).toEqual({ score: 0, at: T });
  });

  it('returns the previous score halved after one half-life, plus the new weight', () => {
    // Act
    const score = addDecayed({ score: 8, at: T }, 2, T + HALF_LIFE, HALF_LIFE);

    // Assess
    expect(score).toEqual({ score: 6, at: T + HALF_LIFE });
  });

  it('returns the previous score quartered after two half-lives', () => {
    // Act
    const score = addDecayed({ score: 8, at: T }, 0, T + 2 * HALF_LIFE, HALF_LIFE);

    // Assess
    expect(score).toEqual({ score: 2, at: T + 2 * HALF_LIFE });
  });

  it('returns a plain sum for a weight at the same time', () => {
    // Act
    const score = addDecayed({ score: 3, at: T }, 4, T, HALF_LIFE);

    // Assess
    expect(score).toEqual({ score: 7, at: T });
  });

  it('returns an older weight decayed to the newer time, without moving the time back', () => {
    // Act
    const score = addDecayed({ score: 4, at: T + HALF_LIFE }, 8, T, HALF_LIFE);

    // Assess
    expect(score).toEqual({ score: 8, at: T + HALF_LIFE });
  });

  it('returns the same score whatever order two weights arrive in', () => {
    // Act
    const inOrder = addDecayed(addDecayed(undefined, 2, T, HALF_LIFE), 5, T + HALF_LIFE / 3, HALF_LIFE);
    const reversed = addDecayed(addDecayed(undefined, 5, T + HALF_LIFE / 3, HALF_LIFE), 2, T, HALF_LIFE);

    // Assess
    expect(reversed.at).toBe(inOrder.at);
    expect(reversed.score).toBeCloseTo(inOrder.score, 12);
  });

  it('returns zero when a negative weight outweighs the decayed score', () => {
    // Act
    const score = addDecayed({ score: 4, at: T }, -2, T + 2 * HALF_LIFE, HALF_LIFE);

    // Assess
    expect(score).toEqual({ score: 0, at: T + 2 * HALF_LIFE });
  });
});

describe('Function: foldShopperEvents', () => {
  describe('item events', () => {
    it('returns a new view applied to recent items, affinities and seen events', () => {
      // Prepare
      const v = input({ type: 'view', itemId: 'sku-1', sessionId: 's1' }, ['shoes', 'outdoor']);

      // Act
      const { profile, outcomes } = fold([v]);

      // Assess
      expect(outcomes).toEqual([{ recordId: v.recordId, status: 'new', viewedWith: [], boughtWith: [] }]);
      expect(profile.recentItems).toEqual([
        { itemId: 'sku-1', type: 'view', at: T, weight: eventWeights.view, purchased: false, sessionId: 's1' },
      ]);
      expect(profile.categoryAffinities).toEqual({
        shoes: { score: eventWeights.view, at: T },
        outdoor: { score: eventWeights.view, at: T },
      });
      expect(profile.seenEvents).toEqual([{ eventId: v.event.eventId, recordId: v.recordId, viewedWith: [] }]);
    });

    it('returns repeated interactions with one item merged: weights summed, purchased sticky, latest type', () => {
      // Act
      const { profile } = fold([purchase('sku-1', T), view('sku-1', T + 1_000)]);

      // Assess
      expect(profile.recentItems).toEqual([
        {
          itemId: 'sku-1',
          type: 'view',
          at: T + 1_000,
          weight: eventWeights.purchase + eventWeights.view,
          purchased: true,
        },
      ]);
    });

    it('returns recent items bounded to recentItemsPerUser, newest first', () => {
      // Prepare
      const count = featureLimits.recentItemsPerUser + 5;
      const inputs = Array.from({ length: count }, (_, i) => view(`sku-${i}`, T + i));

      // Act
      const { profile } = fold(inputs);

      // Assess
      expect(profile.recentItems).toHaveLength(featureLimits.recentItemsPerUser);
      expect(profile.recentItems[0]?.itemId).toBe(`sku-${count - 1}`);
      expect(profile.recentItems.at(-1)?.itemId).toBe(`sku-5`);
    });
  });

  describe('idempotency', () => {
    it('returns a second event with the same eventId in one fold as a duplicate, counted once', () => {
      // Prepare
      const first = view('sku-1', T);
      const retry = input({ ...first.event });

      // Act
      const { profile, outcomes } = fold([first, retry]);

      // Assess
      expect(outcomes.map((o) => o.status)).toEqual(['new', 'duplicate']);
      expect(profile.recentItems[0]?.weight).toBe(eventWeights.view);
      expect(profile.seenEvents).toHaveLength(1);
    });

    it('returns a client retry in a later fold as a duplicate, leaving the profile as it was', () => {
      // Prepare
      const first = view('sku-1', T, 's1', ['shoes']);
      const once = fold([first]).profile;
      const retry = input({ ...first.event }, ['shoes']);

      // Act
      const { profile, outcomes } = fold([retry], once);

      // Assess
      expect(outcomes).toEqual([{ recordId: retry.recordId, status: 'duplicate', viewedWith: [], boughtWith: [] }]);
      expect(profile).toEqual(once);
    });
  });

  describe('erasure', () => {
    it('returns events received up to erasedAt as erased, and later events applied normally', () => {
      // Prepare
      const tombstone = erasedProfile(T);
      const before = input({ type: 'view', itemId: 'old', receivedAt: T - 1 });
      const at = input({ type: 'view', itemId: 'at', receivedAt: T });
      const after = input({ type: 'view', itemId: 'new', receivedAt: T + 1 });

      // Act
      const { profile, outcomes } = fold([before, at, after], tombstone);

      // Assess
      expect(outcomes.map((o) => o.status)).toEqual(['erased', 'erased', 'new']);
      expect(profile.recentItems.map((r) => r.itemId)).toEqual(['new']);
      expect(profile.seenEvents.map((s) => s.eventId)).toEqual([after.event.eventId]);
      expect(profile.erasedAt).toBe(T);
    });
  });

  describe('searches', () => {
    it('returns recent queries newest first, bounded to recentQueriesPerUser, without touching recent items', () => {
      // Prepare
      const count = featureLimits.recentQueriesPerUser + 2;
      const inputs = Array.from({ length: count }, (_, i) => search(`q${i}`, T + i));

      // Act
      const { profile, outcomes } = fold(inputs);

      // Assess
      expect(outcomes.every((o) => o.status === 'new')).toBe(true);
      expect(profile.recentQueries).toHaveLength(featureLimits.recentQueriesPerUser);
      expect(profile.recentQueries[0]).toEqual({ query: `q${count - 1}`, at: T + count - 1 });
      expect(profile.recentQueries.at(-1)?.query).toBe('q2');
      expect(profile.recentItems).toEqual([]);
    });
  });

  describe('seen events', () => {
    it('returns seen events bounded to seenEventsPerUser, newest first, partners kept only on the newest', () => {
      // Prepare
      const count = featureLimits.seenEventsPerUser + 7;
      const inputs = Array.from({ length: count }, (_, i) => search(`q${i}`, T + i));

      // Act
      const { profile } = fold(inputs);

      // Assess
      expect(profile.seenEvents).toHaveLength(featureLimits.seenEventsPerUser);
      expect(profile.seenEvents[0]?.eventId).toBe(inputs.at(-1)?.event.eventId);
      expect(profile.seenEvents.at(-1)?.eventId).toBe(inputs[7]?.event.eventId);
      const withPartners = profile.seenEvents.filter((s) => s.viewedWith !== undefined);
      expect(withPartners).toEqual(profile.seenEvents.slice(0, featureLimits.seenEventsWithPartners));
    });

    it('returns the oldest event forgotten once over the bound, so its retry is applied again', () => {
      // Prepare
      const oldest = search('first', T);
      const rest = Array.from({ length: featureLimits.seenEventsPerUser }, (_, i) => search(`q${i}`, T + 1 + i));
      const { profile } = fold([oldest, ...rest]);

      // Act
      const { outcomes } = fold([input({ ...oldest.event })], profile);

      // Assess
      expect(outcomes[0]?.status).toBe('new');
    });
  });

  describe('session partners', () => {
    it('returns earlier items of the same session as viewedWith, most recent first', () => {
      // Prepare
      const inputs = [
        view('a', T, 's1'),
        view('b', T + 1, 's1'),
        view('other-session', T + 2, 's2'),
        view('no-session', T + 3),
        view('c', T + 4, 's1'),
      ];

      // Act
      const { outcomes, profile } = fold([...inputs, view('d', T + 5, 's1')]);

      // Assess
      expect(outcomes.map((o) => o.viewedWith)).toEqual([[], ['a'], [], [], ['b', 'a'], ['c', 'b', 'a']]);
      expect(outcomes.every((o) => o.boughtWith.length === 0)).toBe(true);
      expect(profile.seenEvents[0]).toEqual({
        eventId: expect.any(String),
        recordId: expect.any(String),
        viewedWith: ['c', 'b', 'a'],
      });
    });

    it('returns the items of the session folded before, whatever their timestamps, and never the item itself', () => {
      // Prepare: an anonymous view redirected after the sign-in is folded after a later-stamped one.
      const { profile } = fold([view('a', T, 's1'), view('later', T + 10_000, 's1')]);

      // Act
      const { outcomes } = fold([view('a', T + 5, 's1')], profile);

      // Assess
      expect(outcomes[0]?.viewedWith).toEqual(['later']);
    });

    it('returns no partners for an event without a session', () => {
      // Prepare
      const { profile } = fold([view('a', T, 's1')]);

      // Act
      const { outcomes } = fold([view('b', T + 1)], profile);

      // Assess
      expect(outcomes[0]).toMatchObject({ viewedWith: [], boughtWith: [] });
    });

    it('returns boughtWith only for a purchase, listing the purchased partners', () => {
      // Prepare
      const inputs = [purchase('p1', T, 's1'), view('v1', T + 1, 's1'), view('v2', T + 2, 's1')];

      // Act
      const { outcomes, profile } = fold([...inputs, purchase('p2', T + 3, 's1'), view('v3', T + 4, 's1')]);

      // Assess
      expect(outcomes[3]).toMatchObject({ viewedWith: ['v2', 'v1', 'p1'], boughtWith: ['p1'] });
      expect(outcomes[4]).toMatchObject({ viewedWith: ['p2', 'v2', 'v1', 'p1'], boughtWith: [] });
      expect(profile.seenEvents[1]).toMatchObject({ boughtWith: ['p1'] });
      expect(profile.seenEvents[0]).not.toHaveProperty('boughtWith');
    });

    it('returns an empty boughtWith for a purchase when nothing else in the session was bought', () => {
      // Act
      const { outcomes } = fold([view('v1', T, 's1'), purchase('p1', T + 1, 's1')]);

      // Assess
      expect(outcomes[1]).toMatchObject({ viewedWith: ['v1'], boughtWith: [] });
    });

    it('returns at most sessionPartners partners of each kind', () => {
      // Prepare
      const count = featureLimits.sessionPartners + 3;
      const inputs = Array.from({ length: count }, (_, i) => purchase(`p${i}`, T + i, 's1'));

      // Act
      const { outcomes } = fold([...inputs, purchase('last', T + count, 's1')]);

      // Assess
      const expected = Array.from({ length: featureLimits.sessionPartners }, (_, i) => `p${count - 1 - i}`);
      expect(outcomes.at(-1)).toMatchObject({ viewedWith: expected, boughtWith: expected });
    });
  });

  describe('identify', () => {
    const anonymous: ShopperProfile = {
      recentItems: [{ itemId: 'anon-item', type: 'add_to_cart', at: T - 2_000, weight: 4, purchased: false }],
      recentQueries: [{ query: 'anon query', at: T - 3_000 }],
      categoryAffinities: { shoes: { score: 2, at: T }, bags: { score: 1, at: T } },
      seenEvents: [{ eventId: 'anon-e1', recordId: 'shard-1:1', viewedWith: [] }],
    };
    const identify = () => input({ type: 'identify', anonymousId: 'anon-1', timestamp: T + 1_000 });

    it('returns the anonymous profile absorbed: recent items merged, affinities combined, no alias list', () => {
      // Prepare
      const { profile: before } = fold([view('user-item', T, undefined, ['shoes'])]);
      const id = identify();

      // Act
      const { profile, outcomes } = foldShopperEvents(before, [id], new Map([['a:anon-1', anonymous]]));

      // Assess
      expect(outcomes[0]?.status).toBe('new');
      expect(profile.recentItems.map((r) => r.itemId)).toEqual(['user-item', 'anon-item']);
      expect(profile.categoryAffinities).toEqual({
        shoes: { score: eventWeights.view + 2, at: T },
        bags: { score: 1, at: T },
      });
      expect(profile.recentQueries).toEqual([{ query: 'anon query', at: T - 3_000 }]);
      expect(profile).not.toHaveProperty('aliases');
      expect(profile.seenEvents.map((s) => s.eventId)).toEqual(
        expect.arrayContaining(['anon-e1', id.event.eventId, before.seenEvents[0]?.eventId]),
      );
    });

    it('returns a retry of an anonymous event recognised as a duplicate after the absorb', () => {
      // Prepare
      const { profile } = foldShopperEvents(emptyProfile, [identify()], new Map([['a:anon-1', anonymous]]));

      // Act
      const { outcomes } = fold([input({ type: 'view', itemId: 'x', eventId: 'anon-e1' })], profile);

      // Assess
      expect(outcomes[0]?.status).toBe('duplicate');
    });

    it('returns the anonymous profile absorbed once when identify comes twice in one fold', () => {
      // Prepare
      const absorbed = new Map([['a:anon-1', anonymous]]);
      const once = foldShopperEvents(emptyProfile, [identify()], absorbed).profile;

      // Act
      const { profile, outcomes } = foldShopperEvents(emptyProfile, [identify(), identify()], absorbed);

      // Assess
      expect(outcomes.map((o) => o.status)).toEqual(['new', 'new']);
      expect(profile.recentItems).toEqual(once.recentItems);
      expect(profile.categoryAffinities).toEqual(once.categoryAffinities);
    });

    it('returns a profile written with an alias list not absorbing that alias again', () => {
      // Prepare: profiles written before aliases became items list the ones they absorbed.
      const legacy: ShopperProfile = { ...emptyProfile, aliases: ['a:anon-1'] };

      // Act
      const { profile } = foldShopperEvents(legacy, [identify()], new Map([['a:anon-1', anonymous]]));

      // Assess
      expect(profile.recentItems).toEqual([]);
      expect(profile.categoryAffinities).toEqual({});
      expect(profile.aliases).toEqual(['a:anon-1']);
    });

    it('returns nothing absorbed when there is no anonymous history to absorb', () => {
      // Act
      const { profile, outcomes } = fold([identify(), identify()]);

      // Assess
      expect(outcomes.map((o) => o.status)).toEqual(['new', 'new']);
      expect(profile.recentItems).toEqual([]);
      expect(profile).not.toHaveProperty('aliases');
    });

    it('returns a refused identify as refused, changing nothing in the profile', () => {
      // Prepare
      const { profile: before } = fold([view('user-item', T)]);

      // Act
      const { profile, outcomes } = foldShopperEvents(
        before,
        [identify()],
        new Map([['a:anon-1', anonymous]]),
        new Set(['a:anon-1']),
      );

      // Assess
      expect(outcomes.map((o) => o.status)).toEqual(['refused']);
      expect(profile).toEqual(before);
    });

    it('returns the same partners on replay as on first delivery after absorbing a long anonymous history', () => {
      // Prepare: a batch views a then b in session s1, then identify absorbs an anonymous history of
      // seenEventsWithPartners - 1 events that also viewed z in s1 (before a).
      const anonymousHistory: ShopperProfile = {
        ...emptyProfile,
        recentItems: [{ itemId: 'z', type: 'view', at: T - 10, weight: 1, purchased: false, sessionId: 's1' }],
        seenEvents: Array.from({ length: featureLimits.seenEventsWithPartners - 1 }, (_, i): SeenEvent => ({
          eventId: `anon-${i}`,
          recordId: `shard-1:${i}`,
          viewedWith: [],
        })),
      };
      const b = view('b', T + 1, 's1');
      const batch = [view('a', T, 's1'), b, identify()];
      const first = foldShopperEvents(emptyProfile, batch, new Map([['a:anon-1', anonymousHistory]]));

      // Act: the batch is redelivered after a later phase failed; b is below the high-water mark.
      const replay = replayedOutcome(first.profile, b);

      // Assess: co-occurrence counts must not depend on whether the batch was retried.
      expect(first.outcomes[1]?.viewedWith).toEqual(['a']);
      expect(replay.viewedWith).toEqual(first.outcomes[1]?.viewedWith);
    });
  });

  describe('one event at a time', () => {
    /** What folding the events one by one gives for the lists the fold now updates in place. */
    function reference(start: ShopperProfile, inputs: readonly ShopperEventInput[]) {
      let recentItems = start.recentItems;
      let recentQueries = start.recentQueries;
      for (const { event } of inputs) {
        if (event.type === 'search' && event.query !== undefined) {
          recentQueries = [{ query: event.query, at: event.timestamp }, ...recentQueries].slice(
            0,
            featureLimits.recentQueriesPerUser,
          );
        } else if (event.itemId !== undefined) {
          const entry: RecentItem = {
            itemId: event.itemId,
            type: event.type as RecentItem['type'],
            at: event.timestamp,
            weight: eventWeights[event.type as RecentItem['type']],
            purchased: event.type === 'purchase',
            ...(event.sessionId === undefined ? {} : { sessionId: event.sessionId }),
          };
          recentItems = mergeRecentItems(recentItems, [entry]);
        }
      }
      return { recentItems, recentQueries };
    }

    it('keeps recent items and queries as merging one event at a time would, from any stored list', () => {
      let state = 7;
      const next = (below: number) => {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        return (state >>> 8) % below;
      };
      for (let round = 0; round < 300; round++) {
        // Prepare: stored lists that may be out of order, repeat items or tie; events on few items
        // and few timestamps, so entries merge, move and tie.
        const stored: ShopperProfile = {
          ...emptyProfile,
          recentItems: Array.from({ length: next(60) }, (_, i) => ({
            itemId: `s${next(70)}`,
            type: 'view' as const,
            at: T - next(5) * (i % 2 ? 1 : -1),
            weight: 1,
            purchased: next(5) === 0,
            ...(next(2) ? { sessionId: 'x' } : {}),
          })),
          recentQueries: Array.from({ length: next(14) }, (_, i) => ({ query: `old-${i}`, at: T - i })),
        };
        const inputs = Array.from({ length: 1 + next(30) }, () => {
          const at = T + next(8);
          const itemId = `s${next(70)}`;
          const kind = next(6);
          if (kind === 0) return search(`q${next(5)}`, at);
          return kind === 1 ? purchase(itemId, at, next(2) ? 'x' : undefined) : view(itemId, at, 'x');
        });
        const before = structuredClone(stored);

        // Act
        const { profile } = fold(inputs, stored);

        // Assess
        expect({ recentItems: profile.recentItems, recentQueries: profile.recentQueries }).toEqual(
          reference(stored, inputs),
        );
        expect(stored).toEqual(before);
      }
    });

    it('does not change the profile it folds into, nor share its lists with the result', () => {
      // Prepare
      const stored = fold([view('a', T, 's1', ['tents']), search('stove', T + 1)]).profile;
      const before = structuredClone(stored);

      // Act
      const { profile } = fold([view('b', T + 2, 's1', ['tents']), search('lamp', T + 3)], stored);

      // Assess
      expect(stored).toEqual(before);
      expect(profile.recentItems).not.toBe(stored.recentItems);
      expect(profile.recentQueries).not.toBe(stored.recentQueries);
      expect(profile.categoryAffinities).not.toBe(stored.categoryAffinities);
      expect(profile.recentItems.map((r) => r.itemId)).toEqual(['b', 'a']);
    });

    it('returns the profile itself when every event was already seen', () => {
      // Prepare
      const first = view('a', T, 's1');
      const stored = fold([first]).profile;

      // Act
      const { profile, outcomes } = fold([{ ...first, recordId: 'shard-9:1' }], stored);

      // Assess
      expect(outcomes.map((o) => o.status)).toEqual(['duplicate']);
      expect(profile).toBe(stored);
    });
  });
});

describe('Function: replayedOutcome', () => {
  const recent: RecentItem[] = [
    { itemId: 'now-partner', type: 'view', at: T, weight: 1, purchased: false, sessionId: 's1' },
  ];

  it('returns duplicate when the eventId was applied from another record', () => {
    // Prepare
    const profile: ShopperProfile = {
      ...emptyProfile,
      seenEvents: [{ eventId: 'e-1', recordId: 'shard-0:1', viewedWith: ['x'] }],
    };

    // Act
    const outcome = replayedOutcome(profile, input({ eventId: 'e-1', itemId: 'sku' }, [], 'shard-0:2'));

    // Assess
    expect(outcome).toEqual({ recordId: 'shard-0:2', status: 'duplicate', viewedWith: [], boughtWith: [] });
  });

  it('returns replayed with the stored partners, not ones recomputed from the profile', () => {
    // Prepare
    const profile: ShopperProfile = {
      ...emptyProfile,
      recentItems: recent,
      seenEvents: [{ eventId: 'e-1', recordId: 'shard-0:1', viewedWith: ['then-viewed'], boughtWith: ['then-bought'] }],
    };

    // Act
    const outcome = replayedOutcome(
      profile,
      input({ eventId: 'e-1', type: 'purchase', itemId: 'sku', sessionId: 's1', timestamp: T + 1 }, [], 'shard-0:1'),
    );

    // Assess
    expect(outcome).toEqual({
      recordId: 'shard-0:1',
      status: 'replayed',
      viewedWith: ['then-viewed'],
      boughtWith: ['then-bought'],
    });
  });

  it('returns replayed with an empty boughtWith when only viewedWith was stored', () => {
    // Prepare
    const profile: ShopperProfile = {
      ...emptyProfile,
      seenEvents: [{ eventId: 'e-1', recordId: 'shard-0:1', viewedWith: [] }],
    };

    // Act
    const outcome = replayedOutcome(profile, input({ eventId: 'e-1', itemId: 'sku' }, [], 'shard-0:1'));

    // Assess
    expect(outcome).toEqual({ recordId: 'shard-0:1', status: 'replayed', viewedWith: [], boughtWith: [] });
  });

  it('returns replayed with no partners when none were kept: the events folded since named their pairs', () => {
    // Prepare
    const profile: ShopperProfile = {
      ...emptyProfile,
      recentItems: recent,
      seenEvents: [{ eventId: 'e-1', recordId: 'shard-0:1' }],
    };

    // Act
    const outcome = replayedOutcome(
      profile,
      input({ eventId: 'e-1', itemId: 'sku', sessionId: 's1', timestamp: T + 1 }, [], 'shard-0:1'),
    );

    // Assess
    expect(outcome).toEqual({ recordId: 'shard-0:1', status: 'replayed', viewedWith: [], boughtWith: [] });
  });

  it("returns the partners a linked anonymous id's own memory kept for a record applied before the link", () => {
    // Prepare
    const anonymousSeen = [{ eventId: 'e-2', recordId: 'shard-0:2', viewedWith: ['sku-x'] }];

    // Act
    const outcome = replayedOutcome(
      emptyProfile,
      input({ eventId: 'e-2', itemId: 'sku', sessionId: 's1', timestamp: T }, [], 'shard-0:2'),
      anonymousSeen,
    );

    // Assess
    expect(outcome).toEqual({ recordId: 'shard-0:2', status: 'replayed', viewedWith: ['sku-x'], boughtWith: [] });
  });
});

describe('Function: erasedProfile', () => {
  it('returns an empty profile carrying only the erasure time', () => {
    // Act
    const profile = erasedProfile(T);

    // Assess
    expect(profile).toEqual({
      recentItems: [],
      recentQueries: [],
      categoryAffinities: {},
      seenEvents: [],
      erasedAt: T,
    });
    expect(profile).not.toHaveProperty('mergedInto');
    expect(profile).not.toHaveProperty('aliases');
  });
});
