import { eventWeights, featureLimits, ITEM_EVENT_TYPES, type ItemEventType } from '../config/index.ts';
import type { StreamEvent } from '../events/schema.ts';
import type { DecayedScore, RecentItem, SeenEvent, ShopperProfile } from '../ports/index.ts';
import { addDecayed, affinityMap, affinityRecord, noAffinities } from './affinities.ts';
import type { PermanentFailureReason } from './errors.ts';
import { addRecentItem, isOrderedRecentItems, mergeRecentItems } from './recentItems.ts';
import {
  addSeenKeys,
  boundSeenEvents,
  findSeen,
  holdsEvent,
  rememberEvents,
  seenKeyOf,
  seenKeys,
} from './seenEvents.ts';

export { addDecayed };

export const emptyProfile: ShopperProfile = {
  recentItems: [],
  recentQueries: [],
  categoryAffinities: noAffinities,
  seenEvents: [],
};

const itemEventTypes: ReadonlySet<string> = new Set(ITEM_EVENT_TYPES);

/** One stream record for a shopper, with the item's categories looked up from the catalogue. */
export interface ShopperEventInput {
  /** `<shardId>:<sequenceNumber>` */
  readonly recordId: string;
  readonly event: StreamEvent;
  readonly categories: readonly string[];
}

/**
 * What became of one event for its shopper:
 * - `new`: applied now;
 * - `replayed`: applied by an earlier delivery of the same record;
 * - `duplicate`: another record with the same `eventId` came first (a client retry);
 * - `erased`: received before the shopper's erasure, so it no longer counts for them;
 * - `refused`: an `identify` naming an anonymous id already linked to someone else, or erased:
 *   the first link wins, so it changes nothing;
 * - `parked`: the record fails deterministically, so it went to the poison sink and changes nothing.
 * `viewedWith`/`boughtWith` are the items of the same session folded before it (for co-occurrence counts).
 */
export interface EventOutcome {
  readonly recordId: string;
  readonly status: 'new' | 'replayed' | 'duplicate' | 'erased' | 'refused' | 'parked';
  readonly viewedWith: readonly string[];
  readonly boughtWith: readonly string[];
}

/**
 * The items of the event's session already in the profile, most recent first (viewed-together /
 * bought-together). Fold order, not the events' timestamps, decides which of two events names the
 * other: an event folded later (an anonymous view redirected after the sign-in, a client clock
 * behind) still pairs with what is there, and each pair is named once.
 */
function partnersAmong(
  recentItems: readonly RecentItem[],
  event: StreamEvent,
): { viewedWith: string[]; boughtWith: string[] } {
  const viewedWith: string[] = [];
  const boughtWith: string[] = [];
  const { sessionId, itemId } = event;
  if (sessionId === undefined || itemId === undefined) return { viewedWith, boughtWith };
  const limit = featureLimits.sessionPartners;
  const purchase = event.type === 'purchase';
  for (const r of recentItems) {
    if (!(r.sessionId === sessionId && r.itemId !== itemId)) continue;
    if (viewedWith.length < limit) viewedWith.push(r.itemId);
    if (purchase && r.purchased && boughtWith.length < limit) boughtWith.push(r.itemId);
    if (viewedWith.length >= limit && (!purchase || boughtWith.length >= limit)) break;
  }
  return { viewedWith, boughtWith };
}

/**
 * What an already-applied (or parked) record's outcome was, from the profile's memory of it, else
 * from `alsoSeen` (a linked anonymous id's own memory, for its records applied before the link).
 */
export function replayedOutcome(
  profile: ShopperProfile,
  input: ShopperEventInput,
  alsoSeen: readonly SeenEvent[] = [],
): EventOutcome {
  const seen = findSeen(profile.seenEvents, input.event.eventId) ?? findSeen(alsoSeen, input.event.eventId);
  if (seen && seen.recordId !== input.recordId) {
    return { recordId: input.recordId, status: 'duplicate', viewedWith: [], boughtWith: [] };
  }
  if (seen?.parked !== undefined) return { recordId: input.recordId, status: 'parked', viewedWith: [], boughtWith: [] };
  // Partners are kept for the newest entries only. Recomputed from the profile as it is now, they
  // would pair the item with events folded since, which named the pair themselves: a replay that
  // far behind adds no pairs rather than count one twice.
  return {
    recordId: input.recordId,
    status: 'replayed',
    viewedWith: seen?.viewedWith ?? [],
    boughtWith: seen?.boughtWith ?? [],
  };
}

/**
 * Merges an anonymous history into a signed-in one (identity stitching). The link itself is an
 * alias item (see `AliasStore`), not part of the profile.
 */
export function absorbProfile(into: ShopperProfile, from: ShopperProfile): ShopperProfile {
  const affinities = affinityMap(into.categoryAffinities);
  for (const [category, score] of Object.entries(from.categoryAffinities)) {
    const previous = affinities.get(category);
    affinities.set(category, addDecayed(previous, score.score, score.at, featureLimits.affinityHalfLifeSeconds * 1000));
  }
  return {
    ...into,
    recentItems: mergeRecentItems(into.recentItems, from.recentItems),
    recentQueries: [...into.recentQueries, ...from.recentQueries]
      .sort((a, b) => b.at - a.at)
      .slice(0, featureLimits.recentQueriesPerUser),
    categoryAffinities: affinityRecord(affinities),
    // The signed-in history's own events stay newest, so their replays keep exact partners.
    seenEvents: boundSeenEvents([...into.seenEvents, ...from.seenEvents]),
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Folds new events into a shopper's profile, in stream order. Pure: the same inputs give the
 * same profile in every store. `absorbed` holds the anonymous histories that `identify` events
 * in this batch merge in, keyed by their shopper key (each merged once); `refused` the anonymous
 * keys whose link was refused (linked to someone else first, or erased); `parked` the records
 * (by record id) that are parked instead, with the reason: each is only remembered as parked.
 */
export function foldShopperEvents(
  profile: ShopperProfile,
  inputs: readonly ShopperEventInput[],
  absorbed: ReadonlyMap<string, ShopperProfile> = new Map(),
  refused: ReadonlySet<string> = new Set(),
  parked: ReadonlyMap<string, PermanentFailureReason> = new Map(),
): { profile: ShopperProfile; outcomes: EventOutcome[] } {
  const outcomes: EventOutcome[] = [];
  const affinityHalfLifeMs = featureLimits.affinityHalfLifeSeconds * 1000;
  // Seen event ids are checked in a set and appended once at the end: copying the bounded list
  // for every event made this fold the processor's hot spot.
  const seen = seenKeys(profile.seenEvents);
  let newlySeen: SeenEvent[] = [];
  let replacingParked = false;
  // The profile as last built, and this fold's own copies of the parts events have changed since:
  // they are updated in place, and the profile is built once (or before an identity merge) rather
  // than copied for every event.
  let base = profile;
  let recentItems: RecentItem[] | undefined;
  let recentItemsOrdered = false;
  let affinities: Map<string, DecayedScore> | undefined;
  let recentQueries: { query: string; at: number }[] | undefined;
  // Absorbed in this fold; a profile written before aliases became items lists its own.
  const merged = new Set<string>(profile.aliases ?? []);
  const build = (): ShopperProfile => {
    const unchanged = recentItems === undefined && affinities === undefined && recentQueries === undefined;
    if (unchanged && newlySeen.length === 0) return base;
    const next: Mutable<ShopperProfile> = { ...base };
    if (recentItems !== undefined) next.recentItems = recentItems;
    if (affinities !== undefined) next.categoryAffinities = affinityRecord(affinities);
    if (recentQueries !== undefined) next.recentQueries = recentQueries;
    if (newlySeen.length > 0) next.seenEvents = rememberEvents(base.seenEvents, newlySeen, replacingParked);
    base = next;
    recentItems = undefined;
    affinities = undefined;
    recentQueries = undefined;
    newlySeen = [];
    replacingParked = false;
    return next;
  };
  for (const input of inputs) {
    const { event, recordId } = input;
    const key = seenKeyOf(event.eventId);
    const parkedFor = parked.get(recordId);
    if (parkedFor !== undefined) {
      newlySeen.push({ eventId: key, recordId, parked: parkedFor });
      outcomes.push({ recordId, status: 'parked', viewedWith: [], boughtWith: [] });
      continue;
    }
    if (base.erasedAt !== undefined && event.receivedAt <= base.erasedAt) {
      outcomes.push({ recordId, status: 'erased', viewedWith: [], boughtWith: [] });
      continue;
    }
    if (holdsEvent(seen.applied, event.eventId, key)) {
      outcomes.push({ recordId, status: 'duplicate', viewedWith: [], boughtWith: [] });
      continue;
    }
    if (event.type === 'identify' && event.anonymousId !== undefined && refused.has(`a:${event.anonymousId}`)) {
      outcomes.push({ recordId, status: 'refused', viewedWith: [], boughtWith: [] });
      continue;
    }
    const { viewedWith, boughtWith } = partnersAmong(recentItems ?? base.recentItems, event);
    seen.applied.add(key);
    // A replay of a parked event: applied now, so its parked entry goes.
    if (holdsEvent(seen.parked, event.eventId, key)) replacingParked = true;
    // Always present on recent entries (even empty): it marks the partners as recorded.
    newlySeen.push(
      boughtWith.length > 0
        ? { eventId: key, recordId, viewedWith, boughtWith }
        : { eventId: key, recordId, viewedWith },
    );
    if (itemEventTypes.has(event.type) && event.itemId !== undefined) {
      const type = event.type as ItemEventType;
      const weight = eventWeights[type];
      const entry: RecentItem =
        event.sessionId === undefined
          ? { itemId: event.itemId, type, at: event.timestamp, weight, purchased: type === 'purchase' }
          : {
              itemId: event.itemId,
              type,
              at: event.timestamp,
              weight,
              purchased: type === 'purchase',
              sessionId: event.sessionId,
            };
      if (recentItems === undefined) {
        recentItems = base.recentItems.slice();
        recentItemsOrdered = isOrderedRecentItems(recentItems);
      }
      if (!recentItemsOrdered || !addRecentItem(recentItems, entry)) {
        recentItems = mergeRecentItems(recentItems, [entry]);
        recentItemsOrdered = isOrderedRecentItems(recentItems);
      }
      affinities ??= affinityMap(base.categoryAffinities);
      for (const category of input.categories) {
        affinities.set(category, addDecayed(affinities.get(category), weight, event.timestamp, affinityHalfLifeMs));
      }
    } else if (event.type === 'search' && event.query !== undefined) {
      recentQueries ??= base.recentQueries.slice();
      recentQueries.unshift({ query: event.query, at: event.timestamp });
      if (recentQueries.length > featureLimits.recentQueriesPerUser) {
        recentQueries.length = featureLimits.recentQueriesPerUser;
      }
    } else if (event.type === 'identify' && event.anonymousId !== undefined) {
      const anonymousKey = `a:${event.anonymousId}`;
      const anonymous = absorbed.get(anonymousKey);
      if (anonymous && !merged.has(anonymousKey)) {
        merged.add(anonymousKey);
        base = absorbProfile(build(), anonymous);
        addSeenKeys(seen, anonymous.seenEvents);
      }
    }
    outcomes.push({ recordId, status: 'new', viewedWith, boughtWith });
  }
  return { profile: build(), outcomes };
}

/** The profile left after erasure: no personal data, only what keeps later processing correct. */
export function erasedProfile(erasedAt: number): ShopperProfile {
  return { ...emptyProfile, erasedAt };
}
