import { dataLake } from '../config/index.ts';
import type { StreamEvent } from '../events/schema.ts';
import type { Clock, ShopperProfile } from '../ports/index.ts';
import type { FeatureDeps } from './deps.ts';
import { ShopperConflictError } from './errors.ts';
import { emptyProfile, type ShopperEventInput } from './profile.ts';
import { holdsEvent, seenKeyOf, seenKeys } from './seenEvents.ts';

const MAX_ATTEMPTS = 8;

/**
 * Links and their merge markers live as long as the raw events in the data lake that show the
 * link: erasure must find every alias whose events training could still read.
 */
export const linkExpiry = (clock: Clock): number =>
  Math.floor(clock.now() / 1000) + dataLake.retentionDays * 24 * 60 * 60;

/** Whether a profile still holds a history to absorb: a claimed profile keeps it until absorbed. */
const hasHistory = (profile: ShopperProfile): boolean =>
  profile.recentItems.length > 0 ||
  profile.recentQueries.length > 0 ||
  Object.keys(profile.categoryAffinities).length > 0;

/** What became of one `identify` link: made for this shopper, with the history still to absorb, or refused. */
export type Link = { readonly status: 'linked'; readonly history?: ShopperProfile } | { readonly status: 'refused' };

export const anonymousKeyOf = (event: StreamEvent): string | undefined =>
  event.type === 'identify' && event.anonymousId !== undefined ? `a:${event.anonymousId}` : undefined;

/**
 * Claims an anonymous id for `intoKey`: sets its profile's `mergedInto` unless it is set already
 * (the first link wins) or the id was erased. The history stays on the anonymous profile until the
 * shopper's profile has absorbed it (see {@link finishLink}), so a failure in between loses nothing.
 */
async function claimLink(deps: FeatureDeps, anonymousKey: string, intoKey: string): Promise<Link> {
  let erasedBefore: boolean | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await deps.shoppers.readShopper(anonymousKey);
    const profile = stored?.profile;
    if (profile?.mergedInto === intoKey)
      return { status: 'linked', ...(hasHistory(profile) ? { history: profile } : {}) };
    // Linked before, or erased (an erased alias's link is gone, but it was made): never again.
    if (profile?.mergedInto !== undefined || profile?.erasedAt !== undefined) return { status: 'refused' };
    if (erasedBefore === undefined && deps.erasures) {
      const { log, hasher } = deps.erasures;
      erasedBefore = (await log.erasedAt(await hasher.hash(anonymousKey))) !== undefined;
    }
    if (erasedBefore === true) return { status: 'refused' };
    const written = await deps.shoppers.writeShopper(anonymousKey, {
      profile: { ...(profile ?? emptyProfile), mergedInto: intoKey, mergedAt: deps.clock.now() },
      expectedVersion: stored?.featureVersion ?? 0,
      expiresAt: linkExpiry(deps.clock),
    });
    if (written) return { status: 'linked', ...(profile && hasHistory(profile) ? { history: profile } : {}) };
  }
  throw new ShopperConflictError(anonymousKey);
}

/**
 * After the shopper's profile absorbed an anonymous history: drops that history from the
 * anonymous profile, keeping the link and the seen event ids (a late client retry of an anonymous
 * event is still recognised). Does nothing for a link that is not `intoKey`'s or already finished.
 */
export async function finishLink(deps: FeatureDeps, anonymousKey: string, intoKey: string): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await deps.shoppers.readShopper(anonymousKey);
    if (stored === undefined || stored.profile.mergedInto !== intoKey || !hasHistory(stored.profile)) return;
    const written = await deps.shoppers.writeShopper(anonymousKey, {
      profile: {
        ...emptyProfile,
        seenEvents: stored.profile.seenEvents,
        mergedInto: intoKey,
        ...(stored.profile.mergedAt === undefined ? {} : { mergedAt: stored.profile.mergedAt }),
      },
      expectedVersion: stored.featureVersion,
      expiresAt: linkExpiry(deps.clock),
    });
    if (written) return;
  }
  throw new ShopperConflictError(anonymousKey);
}

/**
 * The links the pending `identify` events make, claimed before the fold so it knows what to
 * absorb and what was refused. Skipped, as the fold skips them: records being parked, events
 * received before the shopper's erasure, and client retries (an event id seen before).
 */
export async function claimLinks(
  deps: FeatureDeps,
  key: string,
  profile: ShopperProfile,
  pending: readonly ShopperEventInput[],
  parked: ReadonlyMap<string, unknown>,
): Promise<Map<string, Link>> {
  const links = new Map<string, Link>();
  if (!pending.some((input) => anonymousKeyOf(input.event) !== undefined)) return links;
  const seen = seenKeys(profile.seenEvents).applied;
  for (const { event, recordId } of pending) {
    if (parked.has(recordId)) continue;
    if (profile.erasedAt !== undefined && event.receivedAt <= profile.erasedAt) continue;
    const anonymousKey = anonymousKeyOf(event);
    const eventKey = seenKeyOf(event.eventId);
    if (holdsEvent(seen, event.eventId, eventKey)) continue;
    seen.add(eventKey);
    if (anonymousKey === undefined || links.has(anonymousKey)) continue;
    const link = await claimLink(deps, anonymousKey, key);
    // The alias item before the profile absorbs the history: an erasure from then on finds it.
    if (link.status === 'linked') await deps.shoppers.putAlias(key, anonymousKey, linkExpiry(deps.clock));
    links.set(anonymousKey, link);
  }
  return links;
}
