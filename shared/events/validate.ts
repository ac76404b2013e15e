import { apiLimits } from '../config/index.ts';
import { fieldRejection } from '../http/requestBody.ts';
import { storefrontEventSchema, type StreamEvent } from './schema.ts';

/** Machine-readable reasons an event is rejected. */
export type RejectionReason =
  | 'not_an_object'
  | 'event_too_large'
  | 'missing_field'
  | 'unknown_field'
  | 'invalid_field'
  | 'timestamp_in_future'
  | 'timestamp_too_old'
  | 'duplicate_in_batch';

export interface EventRejection {
  readonly reason: RejectionReason;
  /** The offending field (dotted path), when one field is to blame. */
  readonly field?: string;
  /** A sentence a person can act on. */
  readonly message: string;
}

export type EventValidation =
  { readonly ok: true; readonly event: StreamEvent } | ({ readonly ok: false } & EventRejection);

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * Validate one raw event from an API request against the schema, the size limit and the
 * clock window. Returns the normalised stream record on success.
 *
 * @param raw - one element of the request's `events` array
 * @param receivedAt - server receive time in epoch ms (the clock is injected for tests)
 */
export function validateEvent(raw: unknown, receivedAt: number): EventValidation {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: 'not_an_object', message: 'each event must be a JSON object' };
  }
  const size = byteLength(JSON.stringify(raw));
  if (size > apiLimits.maxEventBytes) {
    return {
      ok: false,
      reason: 'event_too_large',
      message: `event is ${size} bytes; the limit is ${apiLimits.maxEventBytes}`,
    };
  }
  const parsed = storefrontEventSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const rejection: EventRejection = first
      ? fieldRejection(raw as Record<string, unknown>, first)
      : { reason: 'invalid_field', message: 'invalid event' };
    return { ok: false, ...rejection };
  }
  const event = parsed.data;
  if (event.timestamp > receivedAt + apiLimits.maxClockSkewFutureMs) {
    return {
      ok: false,
      reason: 'timestamp_in_future',
      field: 'timestamp',
      message: `timestamp is more than ${apiLimits.maxClockSkewFutureMs / 1000} s ahead of the server clock`,
    };
  }
  if (event.timestamp < receivedAt - apiLimits.maxEventAgeMs) {
    return {
      ok: false,
      reason: 'timestamp_too_old',
      field: 'timestamp',
      message: `timestamp is more than ${apiLimits.maxEventAgeMs / 3_600_000} h in the past`,
    };
  }
  return { ok: true, event: { ...event, receivedAt } };
}
