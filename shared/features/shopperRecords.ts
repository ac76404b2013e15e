import { ttls } from '../config/index.ts';
import type { ShopperProfile } from '../ports/index.ts';
import type { FeatureDeps, ValidRecord } from './deps.ts';
import { FoldFailedError, PermanentFailureError, ShopperConflictError, type PermanentFailureReason } from './errors.ts';
import { anonymousKeyOf, claimLinks, finishLink, linkExpiry, type Link } from './identityLinks.ts';
import {
  emptyProfile,
  foldShopperEvents,
  replayedOutcome,
  type EventOutcome,
  type ShopperEventInput,
} from './profile.ts';
import { findSeen } from './seenEvents.ts';
import { sequenceKey } from './sequence.ts';

/** One shopper's records of a batch, in stream order (`inputs[i]` is built from `records[i]`). */
export interface ShopperGroup {
  readonly shardId: string;
  readonly key: string;
  readonly inputs: readonly ShopperEventInput[];
  readonly records: readonly ValidRecord[];
}

/** What became of a shopper's records: each one's outcome, by position, and how many were parked now. */
export interface ShopperResult {
  readonly outcomes: readonly EventOutcome[];
  readonly parked: number;
}

const MAX_ATTEMPTS = 8;
const MAX_REDIRECTS = 3;
const nothingParked: ReadonlyMap<string, PermanentFailureReason> = new Map();

/**
 * One shopper's records, in order, folded into their profile exactly once. A failure that retrying
 * cannot help (a {@link PermanentFailureError}) is narrowed down by halves to the records that
 * cause it; each of those is parked (sent to the poison sink with its data and reason, then
 * remembered as parked in the profile) and the others are applied. Any other failure rejects, and
 * Lambda retries the records.
 */
export async function applyShopperRecords(group: ShopperGroup, deps: FeatureDeps): Promise<ShopperResult> {
  return applyRange(group, deps, 0, group.inputs.length);
}

async function applyRange(group: ShopperGroup, deps: FeatureDeps, from: number, to: number): Promise<ShopperResult> {
  const whole = from === 0 && to === group.inputs.length;
  const part: ShopperGroup = whole
    ? group
    : { ...group, inputs: group.inputs.slice(from, to), records: group.records.slice(from, to) };
  try {
    return { outcomes: await applyOnce(part, deps, nothingParked), parked: 0 };
  } catch (error) {
    if (!(error instanceof PermanentFailureError)) throw error;
    if (to - from === 1) return park(part, deps, error);
    // Kinesis order within the shopper is kept: the earlier half is applied (or parked) first.
    const middle = from + Math.floor((to - from) / 2);
    const earlier = await applyRange(group, deps, from, middle);
    const later = await applyRange(group, deps, middle, to);
    return { outcomes: [...earlier.outcomes, ...later.outcomes], parked: earlier.parked + later.parked };
  }
}

/**
 * Parks the one record of `part`: first on the poison sink (a failure there rejects, so the record
 * is retried rather than lost), then in the profile, whose high-water mark moves past it so a
 * redelivery does not park it again. When even that write is refused (the stored profile itself
 * cannot be written), the record stays unmarked, and a redelivery parks it once more.
 */
async function park(part: ShopperGroup, deps: FeatureDeps, failure: PermanentFailureError): Promise<ShopperResult> {
  const { record, recordId } = part.records[0] as ValidRecord;
  await deps.poisonSink.send([
    {
      shardId: record.shardId,
      sequenceNumber: record.sequenceNumber,
      reason: failure.reason,
      message: failure.message,
      data: record.data,
    },
  ]);
  try {
    await applyOnce(part, deps, new Map([[recordId, failure.reason]]));
  } catch (error) {
    if (!(error instanceof PermanentFailureError)) throw error;
  }
  return { outcomes: [{ recordId, status: 'parked', viewedWith: [], boughtWith: [] }], parked: 1 };
}

/**
 * One attempt at a shopper's records, in one conditional profile write. Records at or below the
 * profile's high-water mark for this shard were applied (or parked) before; their outcome is
 * recomputed from the stored profile so phase 2 can finish what a failed attempt left undone.
 * Returns the outcome of each input, by position.
 */
async function applyOnce(
  group: ShopperGroup,
  deps: FeatureDeps,
  parked: ReadonlyMap<string, PermanentFailureReason>,
): Promise<EventOutcome[]> {
  const { shardId, inputs, records } = group;
  let key = group.key;
  let redirects = 0;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await deps.shoppers.readShopper(key);
    if (stored?.profile.mergedInto !== undefined && redirects < MAX_REDIRECTS) {
      key = stored.profile.mergedInto;
      redirects += 1;
      attempt -= 1;
      continue;
    }
    const profile: ShopperProfile = stored?.profile ?? emptyProfile;
    // The shard's high-water mark covers only the shopper's own records: records redirected from
    // a linked anonymous id come on their own partition key, so they can be processed before or
    // after the shopper's own records of the same shard. They are recognised by record id instead.
    const redirected = key !== group.key;
    const replayed = redirected ? replayedByRecordId(profile) : replayedBelowMark(stored?.marks[shardId]);
    // Without replays every record is new; otherwise the replayed ones are recomputed.
    let pending: readonly ShopperEventInput[] = inputs;
    let lastPending = records.at(-1);
    let outcomes: (EventOutcome | undefined)[] | undefined;
    if (replayed !== undefined) {
      const stillPending: ShopperEventInput[] = [];
      outcomes = new Array<EventOutcome | undefined>(inputs.length);
      lastPending = undefined;
      for (let i = 0; i < inputs.length; i++) {
        const input = inputs[i] as ShopperEventInput;
        const record = records[i] as ValidRecord;
        if (!replayed(input, record)) {
          stillPending.push(input);
          lastPending = record;
        } else {
          outcomes[i] = replayedOutcome(profile, input);
          // An earlier attempt absorbed this link's history and may have failed before finishing
          // it: finish it now, before a later identify of the same id could absorb it again.
          const anonymousKey = anonymousKeyOf(input.event);
          if (anonymousKey !== undefined) await finishLink(deps, anonymousKey, key);
        }
      }
      pending = stillPending;
    }

    let links = new Map<string, Link>();
    if (pending.length > 0) {
      links = await claimLinks(deps, key, profile, pending, parked);
      const absorbed = new Map<string, ShopperProfile>();
      const refused = new Set<string>();
      for (const [anonymousKey, link] of links) {
        if (link.status === 'refused') refused.add(anonymousKey);
        else if (link.history) absorbed.set(anonymousKey, link.history);
      }
      let folded: ReturnType<typeof foldShopperEvents>;
      try {
        folded = foldShopperEvents(profile, pending, absorbed, refused, parked);
      } catch (error) {
        throw new FoldFailedError(key, { cause: error });
      }
      const written = await deps.shoppers.writeShopper(key, {
        profile: folded.profile,
        expectedVersion: stored?.featureVersion ?? 0,
        ...(redirected
          ? {}
          : { mark: { shardId, sequenceKey: sequenceKey(lastPending?.record.sequenceNumber ?? '0') } }),
        expiresAt: Math.floor(deps.clock.now() / 1000) + ttls.userFeaturesSeconds,
      });
      if (!written) continue;
      if (outcomes === undefined) outcomes = folded.outcomes;
      else {
        // Pending inputs fill the gaps between replays, in order.
        let next = 0;
        for (let i = 0; i < outcomes.length; i++) {
          if (outcomes[i] === undefined) outcomes[i] = folded.outcomes[next++];
        }
      }
    }
    for (const [anonymousKey, link] of links) {
      if (link.status === 'linked') await finishLink(deps, anonymousKey, key);
    }
    // Events of a linked anonymous id keep its alias item alive as long as the lake keeps them.
    if (key !== group.key) await deps.shoppers.putAlias(key, group.key, linkExpiry(deps.clock));
    return outcomes as EventOutcome[];
  }
  throw new ShopperConflictError(key);
}

type ReplayTest = (input: ShopperEventInput, record: ValidRecord) => boolean;

/** The shopper's own records: those at or below the shard's high-water mark were applied before. */
const replayedBelowMark = (mark: string | undefined): ReplayTest | undefined =>
  mark === undefined ? undefined : (_input, record) => sequenceKey(record.record.sequenceNumber) <= mark;

/**
 * Records redirected from a linked anonymous id: applied before when the profile remembers the
 * event from this very record (the same event id in another record is a client retry).
 */
function replayedByRecordId(profile: ShopperProfile): ReplayTest | undefined {
  if (profile.seenEvents.length === 0) return undefined;
  return (input) => findSeen(profile.seenEvents, input.event.eventId)?.recordId === input.recordId;
}
