import { featureLimits, ttls } from '../config/index.ts';
import type { ShopperProfile } from '../ports/index.ts';
import type { FeatureDeps, ValidRecord } from './deps.ts';
import { FoldFailedError, PermanentFailureError, ShopperConflictError, type PermanentFailureReason } from './errors.ts';
import { anonymousKeyOf, claimLinks, finishLink, type Link } from './identityLinks.ts';
import { advanceSourceMark, findTarget, type RedirectSource } from './redirects.ts';
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
/**
 * Records folded per profile write, well within the event ids a profile remembers: a redirected
 * write whose anonymous mark did not land is still recognised by them on a redelivery.
 */
const RECORDS_PER_WRITE = featureLimits.seenEventsPerUser / 2;
const nothingParked: ReadonlyMap<string, PermanentFailureReason> = new Map();

/**
 * One shopper's records, in order, folded into their profile exactly once. A failure that retrying
 * cannot help (a {@link PermanentFailureError}) is narrowed down by halves to the records that
 * cause it; each of those is parked (sent to the poison sink with its data and reason, then
 * remembered as parked in the profile) and the others are applied. Any other failure rejects, and
 * Lambda retries the records.
 */
export async function applyShopperRecords(group: ShopperGroup, deps: FeatureDeps): Promise<ShopperResult> {
  const total = group.inputs.length;
  if (total <= RECORDS_PER_WRITE) return applyRange(group, deps, 0, total);
  const outcomes: EventOutcome[] = [];
  let parked = 0;
  for (let from = 0; from < total; from += RECORDS_PER_WRITE) {
    const result = await applyRange(group, deps, from, Math.min(total, from + RECORDS_PER_WRITE));
    outcomes.push(...result.outcomes);
    parked += result.parked;
  }
  return { outcomes, parked };
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
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const { key, stored, source } = await findTarget(deps, group.key, shardId);
    const profile: ShopperProfile = stored?.profile ?? emptyProfile;
    // The shard's high-water mark of a profile covers its own partition key only: records
    // redirected from a linked anonymous id are ordered among themselves, not with the signed-in
    // shopper's own records, so they are checked against the anonymous id's own mark.
    const replayed = source ? replayedRedirect(source, profile) : replayedBelowMark(stored?.marks[shardId]);
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
          outcomes[i] = replayedOutcome(profile, input, source?.seenEvents);
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
        ...(source ? {} : { mark: { shardId, sequenceKey: sequenceKey(lastPending?.record.sequenceNumber ?? '0') } }),
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
    const last = records.at(-1);
    if (source && last) {
      await advanceSourceMark(deps, source, { shardId, sequenceKey: sequenceKey(last.record.sequenceNumber) });
    }
    return outcomes as EventOutcome[];
  }
  throw new ShopperConflictError(group.key);
}

type ReplayTest = (input: ShopperEventInput, record: ValidRecord) => boolean;

/** The shopper's own records: those at or below the shard's high-water mark were applied before. */
const replayedBelowMark = (mark: string | undefined): ReplayTest | undefined =>
  mark === undefined ? undefined : (_input, record) => sequenceKey(record.record.sequenceNumber) <= mark;

/**
 * Records redirected from a linked anonymous id: applied before when at or below that id's own
 * mark (applied there before the link, or redirected by an attempt that finished), or when the
 * profile remembers the event from this very record (redirected by an attempt that failed before
 * moving that mark; the same event id in another record is a client retry).
 */
function replayedRedirect(source: RedirectSource, profile: ShopperProfile): ReplayTest {
  const { mark } = source;
  return (input, record) =>
    (mark !== undefined && sequenceKey(record.record.sequenceNumber) <= mark) ||
    findSeen(profile.seenEvents, input.event.eventId)?.recordId === input.recordId;
}
