import { createHash } from 'node:crypto';
import { featureLimits } from '../config/index.ts';
import type { SeenEvent } from '../ports/index.ts';

function isShortAscii(eventId: string): boolean {
  if (eventId.length > featureLimits.seenEventIdChars) return false;
  for (let i = 0; i < eventId.length; i++) if (eventId.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * How a profile remembers an event id: as it is when it is short ASCII (a UUID), else as `#` and
 * 22 characters of its SHA-256 (132 bits), so 500 ids of 128 three-byte characters still fit in
 * the profile item. A client that sends an id equal to another's hash only confuses its own dedup.
 */
export function seenKeyOf(eventId: string): string {
  if (isShortAscii(eventId)) return eventId;
  return `#${createHash('sha256').update(eventId).digest('base64url').slice(0, 22)}`;
}

/** The keys of a profile's seen events: those applied, and those parked (a replay applies them). */
export interface SeenKeys {
  readonly applied: Set<string>;
  readonly parked: Set<string>;
}

export function seenKeys(seenEvents: readonly SeenEvent[]): SeenKeys {
  const keys: SeenKeys = { applied: new Set(), parked: new Set() };
  addSeenKeys(keys, seenEvents);
  return keys;
}

export function addSeenKeys(keys: SeenKeys, seenEvents: readonly SeenEvent[]): void {
  for (const seen of seenEvents) (seen.parked === undefined ? keys.applied : keys.parked).add(seen.eventId);
}

/** Whether `keys` holds the event: by its key, or by the raw id an entry written before keys kept. */
export function holdsEvent(keys: ReadonlySet<string>, eventId: string, key: string = seenKeyOf(eventId)): boolean {
  return keys.has(key) || (key !== eventId && keys.has(eventId));
}

/** The entry of the event, if the profile remembers it. */
export function findSeen(seenEvents: readonly SeenEvent[], eventId: string): SeenEvent | undefined {
  const key = seenKeyOf(eventId);
  return seenEvents.find((s) => s.eventId === key || s.eventId === eventId);
}

const partnerChars = (entry: SeenEvent): number => {
  let chars = 0;
  for (const id of entry.viewedWith ?? []) chars += id.length;
  for (const id of entry.boughtWith ?? []) chars += id.length;
  return chars;
};

/**
 * Newest first, bounded to `featureLimits.seenEventsPerUser`; only the newest entries keep their
 * session partners: at most `seenEventsWithPartners` of them, with `seenEventPartnerChars` of ids.
 */
export function boundSeenEvents(newestFirst: readonly SeenEvent[]): SeenEvent[] {
  const kept = newestFirst.slice(0, featureLimits.seenEventsPerUser);
  let chars = 0;
  let withPartners = true;
  for (let i = 0; i < kept.length; i++) {
    const entry = kept[i] as SeenEvent;
    if (entry.viewedWith === undefined && entry.boughtWith === undefined) continue;
    if (withPartners) {
      chars += partnerChars(entry);
      withPartners = i < featureLimits.seenEventsWithPartners && chars <= featureLimits.seenEventPartnerChars;
    }
    if (!withPartners) kept[i] = stripPartners(entry);
  }
  return kept;
}

const stripPartners = (entry: SeenEvent): SeenEvent =>
  entry.parked === undefined
    ? { eventId: entry.eventId, recordId: entry.recordId }
    : { eventId: entry.eventId, recordId: entry.recordId, parked: entry.parked };

/**
 * `added` (oldest first) in front of `seen`, bounded. With `replacingParked`, an entry of `seen`
 * parked under a key that `added` applies now is dropped: the event is no longer parked.
 */
export function rememberEvents(
  seen: readonly SeenEvent[],
  added: readonly SeenEvent[],
  replacingParked = false,
): SeenEvent[] {
  let older = seen;
  if (replacingParked) {
    const applied = new Set(added.filter((s) => s.parked === undefined).map((s) => s.eventId));
    older = seen.filter((s) => s.parked === undefined || !applied.has(s.eventId));
  }
  return boundSeenEvents([...added.slice().reverse(), ...older]);
}
