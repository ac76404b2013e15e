import { eventWeights, featureLimits, ITEM_EVENT_TYPES, type ItemEventType } from '../config/index.ts';
import type { StreamEvent } from '../events/schema.ts';
import type { DecayedScore, RecentItem, SeenEvent, ShopperProfile } from '../ports/index.ts';
import { mergeRecentItems } from './recentItems.ts';

export const emptyProfile: ShopperProfile = {
  recentItems: [],
  recentQueries: [],
  categoryAffinities: {},
  seenEvents: [],
  aliases: [],
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
 * - `erased`: received before the shopper's erasure, so it no longer counts for them.
 * `partners` are the earlier items of the same session (for co-occurrence counts).
 */
export interface EventOutcome {
  readonly recordId: string;
  readonly status: 'new' | 'replayed' | 'duplicate' | 'erased';
  readonly viewedWith: readonly string[];
  readonly boughtWith: readonly string[];
}

/** Brings a decayed score to time `at` and adds `weight`; never below zero. */
export function addDecayed(
  previous: DecayedScore | undefined,
  weight: number,
  at: number,
  halfLifeMs: number,
): DecayedScore {
  if (!previous) return { score: Math.max(0, weight), at };
  const latest = Math.max(previous.at, at);
  const decayedPrevious = previous.score * 2 ** (-(latest - previous.at) / halfLifeMs);
  const decayedWeight = weight * 2 ** (-(latest - at) / halfLifeMs);
  return { score: Math.max(0, decayedPrevious + decayedWeight), at: latest };
}

/** Earlier items of the event's session, most recent first (viewed-together / bought-together). */
export function sessionPartners(
  profile: ShopperProfile,
  event: StreamEvent,
): Pick<EventOutcome, 'viewedWith' | 'boughtWith'> {
  if (event.sessionId === undefined || event.itemId === undefined) return { viewedWith: [], boughtWith: [] };
  const sameSession = profile.recentItems.filter(
    (r) => r.sessionId === event.sessionId && r.itemId !== event.itemId && r.at <= event.timestamp,
  );
  const viewedWith = sameSession.slice(0, featureLimits.sessionPartners).map((r) => r.itemId);
  const boughtWith =
    event.type === 'purchase'
      ? sameSession
          .filter((r) => r.purchased)
          .slice(0, featureLimits.sessionPartners)
          .map((r) => r.itemId)
      : [];
  return { viewedWith, boughtWith };
}

/** Newest first, bounded; only the newest entries keep their session partners. */
function boundSeenEvents(newestFirst: readonly SeenEvent[]): SeenEvent[] {
  return newestFirst
    .slice(0, featureLimits.seenEventsPerUser)
    .map((entry, i) =>
      i < featureLimits.seenEventsWithPartners ? entry : { eventId: entry.eventId, recordId: entry.recordId },
    );
}

function rememberEvents(seen: readonly SeenEvent[], added: readonly SeenEvent[]): SeenEvent[] {
  return boundSeenEvents([...added.slice().reverse(), ...seen]);
}

/** What an already-applied record's outcome was, recomputed from the stored profile. */
export function replayedOutcome(profile: ShopperProfile, input: ShopperEventInput): EventOutcome {
  const seen = profile.seenEvents.find((s) => s.eventId === input.event.eventId);
  if (seen && seen.recordId !== input.recordId) {
    return { recordId: input.recordId, status: 'duplicate', viewedWith: [], boughtWith: [] };
  }
  if (seen?.viewedWith !== undefined) {
    return {
      recordId: input.recordId,
      status: 'replayed',
      viewedWith: seen.viewedWith,
      boughtWith: seen.boughtWith ?? [],
    };
  }
  // Too old to have its partners kept: recompute them from the profile as it is now.
  return { recordId: input.recordId, status: 'replayed', ...sessionPartners(profile, input.event) };
}

/** Merges an anonymous history into a signed-in one (identity stitching). */
export function absorbProfile(into: ShopperProfile, from: ShopperProfile, fromKey: string): ShopperProfile {
  const affinities: Record<string, DecayedScore> = { ...into.categoryAffinities };
  for (const [category, score] of Object.entries(from.categoryAffinities)) {
    affinities[category] = addDecayed(
      affinities[category],
      score.score,
      score.at,
      featureLimits.affinityHalfLifeSeconds * 1000,
    );
  }
  return {
    ...into,
    recentItems: mergeRecentItems(into.recentItems, from.recentItems),
    recentQueries: [...into.recentQueries, ...from.recentQueries]
      .sort((a, b) => b.at - a.at)
      .slice(0, featureLimits.recentQueriesPerUser),
    categoryAffinities: affinities,
    // The signed-in history's own events stay newest, so their replays keep exact partners.
    seenEvents: boundSeenEvents([...into.seenEvents, ...from.seenEvents]),
    aliases: [...new Set([...into.aliases, fromKey, ...from.aliases])],
  };
}

/**
 * Folds new events into a shopper's profile, in stream order. Pure: the same inputs give the
 * same profile in every store. `absorbed` holds the anonymous profiles that `identify` events
 * in this batch merge in, keyed by their shopper key.
 */
export function foldShopperEvents(
  profile: ShopperProfile,
  inputs: readonly ShopperEventInput[],
  absorbed: ReadonlyMap<string, ShopperProfile> = new Map(),
): { profile: ShopperProfile; outcomes: EventOutcome[] } {
  let current = profile;
  const outcomes: EventOutcome[] = [];
  const affinityHalfLifeMs = featureLimits.affinityHalfLifeSeconds * 1000;
  // Seen event ids are checked in a set and appended once at the end: copying the bounded list
  // for every event made this fold the processor's hot spot.
  const seenIds = new Set(current.seenEvents.map((s) => s.eventId));
  let newlySeen: SeenEvent[] = [];
  const withSeen = (p: ShopperProfile): ShopperProfile => {
    if (newlySeen.length === 0) return p;
    const merged = { ...p, seenEvents: rememberEvents(p.seenEvents, newlySeen) };
    newlySeen = [];
    return merged;
  };
  for (const input of inputs) {
    const { event, recordId } = input;
    if (current.erasedAt !== undefined && event.receivedAt <= current.erasedAt) {
      outcomes.push({ recordId, status: 'erased', viewedWith: [], boughtWith: [] });
      continue;
    }
    if (seenIds.has(event.eventId)) {
      outcomes.push({ recordId, status: 'duplicate', viewedWith: [], boughtWith: [] });
      continue;
    }
    const partners = sessionPartners(current, event);
    seenIds.add(event.eventId);
    newlySeen.push({
      eventId: event.eventId,
      recordId,
      // Always present on recent entries (even empty): it marks the partners as recorded.
      viewedWith: partners.viewedWith,
      ...(partners.boughtWith.length > 0 ? { boughtWith: partners.boughtWith } : {}),
    });
    let next: ShopperProfile = current;
    if (itemEventTypes.has(event.type) && event.itemId !== undefined) {
      const type = event.type as ItemEventType;
      const weight = eventWeights[type];
      const entry: RecentItem = {
        itemId: event.itemId,
        type,
        at: event.timestamp,
        weight,
        purchased: type === 'purchase',
        ...(event.sessionId === undefined ? {} : { sessionId: event.sessionId }),
      };
      const affinities: Record<string, DecayedScore> = { ...next.categoryAffinities };
      for (const category of input.categories) {
        affinities[category] = addDecayed(affinities[category], weight, event.timestamp, affinityHalfLifeMs);
      }
      next = { ...next, recentItems: mergeRecentItems(next.recentItems, [entry]), categoryAffinities: affinities };
    } else if (event.type === 'search' && event.query !== undefined) {
      next = {
        ...next,
        recentQueries: [{ query: event.query, at: event.timestamp }, ...next.recentQueries].slice(
          0,
          featureLimits.recentQueriesPerUser,
        ),
      };
    } else if (event.type === 'identify' && event.anonymousId !== undefined) {
      const anonymousKey = `a:${event.anonymousId}`;
      const anonymous = absorbed.get(anonymousKey);
      if (anonymous && !next.aliases.includes(anonymousKey)) {
        next = absorbProfile(withSeen(next), anonymous, anonymousKey);
        for (const seen of anonymous.seenEvents) seenIds.add(seen.eventId);
      } else if (!next.aliases.includes(anonymousKey)) next = { ...next, aliases: [...next.aliases, anonymousKey] };
    }
    current = next;
    outcomes.push({ recordId, status: 'new', ...partners });
  }
  return { profile: withSeen(current), outcomes };
}

/** The profile left after erasure: no personal data, only what keeps later processing correct. */
export function erasedProfile(erasedAt: number): ShopperProfile {
  return { ...emptyProfile, erasedAt };
}
