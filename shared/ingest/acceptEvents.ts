import type { Caller } from '../auth/caller.ts';
import { api, apiLimits } from '../config/index.ts';
import { DependencyUnavailableError } from '../errors.ts';
import { parseBatchBody, type BatchEntry } from '../http/requestBody.ts';
import type { StreamEvent } from '../events/schema.ts';
import { validateEvent, type RejectionReason } from '../events/validate.ts';
import type { Clock, EventStream } from '../ports/index.ts';

export interface RejectedEvent {
  readonly index: number;
  readonly eventId?: string;
  readonly reason: RejectionReason | 'too_deep' | 'stream_write_failed' | 'user_token_required' | 'user_token_mismatch';
  readonly field?: string;
  readonly message: string;
}

export interface AcceptEventsResult {
  readonly accepted: number;
  readonly rejected: readonly RejectedEvent[];
}

export interface IngestDeps {
  readonly stream: EventStream;
  readonly clock: Clock;
}

/**
 * Parses the request body; any problem with the body as a whole rejects the whole request. An
 * event nested too deep comes back as a rejected entry, so only that event fails.
 */
export function parseEventsBody(body: string | null | undefined): BatchEntry[] {
  return parseBatchBody(body, 'events', apiLimits.maxEventsPerRequest);
}

const eventIdOf = (raw: unknown): string | undefined => {
  if (typeof raw !== 'object' || raw === null || !Object.hasOwn(raw, 'eventId')) return undefined;
  const id = (raw as { eventId?: unknown }).eventId;
  return typeof id === 'string' ? id : undefined;
};

/**
 * Why a caller may not post this event, if they may not: a browser acts as its anonymous id, and
 * as a signed-in user only with that user's token. So nobody can post as another user, nor
 * link another visitor's anonymous history to themselves with `identify`.
 */
function refusedFor(
  caller: Caller,
  event: StreamEvent,
): Pick<RejectedEvent, 'reason' | 'field' | 'message'> | undefined {
  if (caller.kind === 'server' || event.userId === undefined || caller.userId === event.userId) return undefined;
  if (caller.userId === undefined) {
    return {
      reason: 'user_token_required',
      field: 'userId',
      message: `events naming a userId need that user's token in the ${api.userTokenHeader} header`,
    };
  }
  return {
    reason: 'user_token_mismatch',
    field: 'userId',
    message: 'the user token is for another user id',
  };
}

/**
 * Validates a batch of storefront events and writes the valid ones to the stream. Each event
 * stands or falls alone; the response says which were taken and why the others were not.
 */
export async function acceptEvents(
  body: string | null | undefined,
  deps: IngestDeps,
  caller: Caller,
): Promise<AcceptEventsResult> {
  const entries = parseEventsBody(body);
  const receivedAt = deps.clock.now();
  const rejected: RejectedEvent[] = [];
  const valid: { index: number; event: StreamEvent }[] = [];
  const seen = new Set<string>();

  entries.forEach((entry, index) => {
    const eventId = eventIdOf(entry.raw);
    if (!entry.ok) {
      const { reason, field, message } = entry;
      rejected.push({ index, eventId, reason, field, message });
      return;
    }
    const result = validateEvent(entry.raw, receivedAt);
    if (!result.ok) {
      const { reason, field, message } = result;
      rejected.push({ index, eventId, reason, field, message });
      return;
    }
    const refused = refusedFor(caller, result.event);
    if (refused) {
      rejected.push({ index, eventId, ...refused });
      return;
    }
    if (seen.has(result.event.eventId)) {
      rejected.push({
        index,
        eventId,
        reason: 'duplicate_in_batch',
        field: 'eventId',
        message: 'eventId already appears earlier in this request',
      });
      return;
    }
    seen.add(result.event.eventId);
    valid.push({ index, event: result.event });
  });

  let writeFailures: readonly { index: number; message: string }[] = [];
  if (valid.length > 0) {
    writeFailures = (await deps.stream.putEvents(valid.map((v) => v.event))).failed;
    if (writeFailures.length === valid.length) {
      // Nothing was taken: tell the client to retry the whole request rather than 200.
      throw new DependencyUnavailableError(
        'stream_unavailable',
        `the event stream took none of the events; retry later (${writeFailures[0]?.message ?? ''})`,
      );
    }
  }
  for (const failure of writeFailures) {
    const source = valid[failure.index];
    if (!source) continue;
    rejected.push({
      index: source.index,
      eventId: source.event.eventId,
      reason: 'stream_write_failed',
      message: `not accepted, retry it: ${failure.message}`,
    });
  }
  rejected.sort((a, b) => a.index - b.index);
  return { accepted: valid.length - writeFailures.length, rejected };
}
