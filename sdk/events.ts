import { apiLimits, type EventType } from '#shared/config/index.ts';
import { RecoValidationError } from './errors.ts';

/** A flat property value, as the API takes it. */
export type PropertyValue = string | number | boolean | null;

/** Optional fields every event may carry. */
export interface EventExtra {
  /** The `recommendationId` of the list the shopper acted on: attributes the event to that list. */
  readonly recommendationId?: string;
  /** At most 32 flat keys (names ≤ 64 characters, string values ≤ 256 characters). */
  readonly properties?: Readonly<Record<string, PropertyValue>>;
  /** Overrides the SDK's session id for this event. */
  readonly sessionId?: string;
  /** When it happened (defaults to now): within 5 minutes ahead of and 7 days behind the server clock. */
  readonly timestamp?: number | Date;
}

/** Optional fields of item events (`view`, `click`, `addToCart`, `purchase`). */
export interface ItemEventExtra extends EventExtra {
  /** Whole units, 1..10,000. */
  readonly quantity?: number;
  /** Price of one unit; needs `currency`. */
  readonly price?: number;
  /** ISO 4217 code such as `EUR`. */
  readonly currency?: string;
}

/** One line of an order, for {@link RecoTracker.purchaseOrder}. */
export interface OrderLine {
  readonly itemId: string;
  readonly quantity?: number;
  /** Price of one unit, in the order's currency. */
  readonly price?: number;
  readonly recommendationId?: string;
}

/** An event as the SDK sends it (the wire shape of `POST /v1/events`). */
export interface RecoEvent {
  readonly eventId: string;
  readonly type: EventType;
  readonly userId?: string;
  readonly anonymousId: string;
  readonly sessionId?: string;
  readonly itemId?: string;
  readonly quantity?: number;
  readonly price?: number;
  readonly currency?: string;
  readonly query?: string;
  readonly recommendationId?: string;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly properties?: Readonly<Record<string, PropertyValue>>;
}

const PROPERTY_KEY_CHARS = 64;
const MAX_QUANTITY = 10_000;
const MAX_PRICE = 1e9;

const describe = (value: unknown): string =>
  value === undefined ? 'undefined' : typeof value === 'string' ? JSON.stringify(value) : typeof value;

/** A non-empty id of at most `apiLimits.maxIdChars` characters. */
export function checkId(operation: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new RecoValidationError(operation, field, `is required (a non-empty string), got ${describe(value)}`);
  }
  if (value.length > apiLimits.maxIdChars) {
    throw new RecoValidationError(operation, field, `must be at most ${apiLimits.maxIdChars} characters`);
  }
  return value;
}

function checkProperties(operation: string, properties: unknown): Readonly<Record<string, PropertyValue>> {
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
    throw new RecoValidationError(operation, 'properties', 'must be a plain object of flat values');
  }
  const entries = Object.entries(properties);
  if (entries.length > apiLimits.maxPropertyKeys) {
    throw new RecoValidationError(operation, 'properties', `may have at most ${apiLimits.maxPropertyKeys} keys`);
  }
  for (const [key, value] of entries) {
    if (key.length > PROPERTY_KEY_CHARS) {
      throw new RecoValidationError(
        operation,
        `properties.${key}`,
        `name must be at most ${PROPERTY_KEY_CHARS} characters`,
      );
    }
    const ok =
      value === null ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (typeof value === 'string' && value.length <= apiLimits.maxPropertyValueChars);
    if (!ok) {
      throw new RecoValidationError(
        operation,
        `properties.${key}`,
        `must be a finite number, a boolean, null or a string of at most ${apiLimits.maxPropertyValueChars} characters`,
      );
    }
  }
  return properties as Readonly<Record<string, PropertyValue>>;
}

function checkTimestamp(operation: string, value: number | Date): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms <= 0) {
    throw new RecoValidationError(operation, 'timestamp', 'must be a Date or positive integer epoch milliseconds');
  }
  return ms;
}

/** The fields an event builder produces before identity, id and time are added. */
export type EventBody = Omit<RecoEvent, 'eventId' | 'anonymousId' | 'userId' | 'timestamp'> & {
  readonly timestamp?: number;
};

/** Checks the optional fields and returns them in wire form; throws {@link RecoValidationError}. */
export function checkExtra(operation: string, extra: ItemEventExtra | undefined): Omit<EventBody, 'type'> {
  if (extra === undefined) return {};
  if (typeof extra !== 'object' || extra === null) {
    throw new RecoValidationError(operation, 'options', 'must be an object');
  }
  const out: { -readonly [K in keyof EventBody]?: EventBody[K] } = {};
  if (extra.recommendationId !== undefined) {
    out.recommendationId = checkId(operation, 'recommendationId', extra.recommendationId);
  }
  if (extra.sessionId !== undefined) out.sessionId = checkId(operation, 'sessionId', extra.sessionId);
  if (extra.properties !== undefined) out.properties = checkProperties(operation, extra.properties);
  if (extra.timestamp !== undefined) out.timestamp = checkTimestamp(operation, extra.timestamp);
  if (extra.quantity !== undefined) {
    const q = extra.quantity;
    if (typeof q !== 'number' || !Number.isInteger(q) || q < 1 || q > MAX_QUANTITY) {
      throw new RecoValidationError(operation, 'quantity', `must be a whole number from 1 to ${MAX_QUANTITY}`);
    }
    out.quantity = q;
  }
  if (extra.price !== undefined) {
    const p = extra.price;
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > MAX_PRICE) {
      throw new RecoValidationError(operation, 'price', `must be a number from 0 to ${MAX_PRICE}`);
    }
    out.price = p;
  }
  if (extra.currency !== undefined) {
    if (typeof extra.currency !== 'string' || !/^[A-Z]{3}$/.test(extra.currency)) {
      throw new RecoValidationError(operation, 'currency', 'must be an ISO 4217 code such as EUR');
    }
    out.currency = extra.currency;
  }
  if (out.price !== undefined && out.currency === undefined) {
    throw new RecoValidationError(operation, 'currency', 'is required when price is given');
  }
  return out;
}

/** A search query: non-empty, at most `apiLimits.maxQueryChars` characters. */
export function checkQuery(operation: string, query: unknown): string {
  if (typeof query !== 'string' || query.trim() === '') {
    throw new RecoValidationError(operation, 'query', `is required (a non-empty string), got ${describe(query)}`);
  }
  if (query.length > apiLimits.maxQueryChars) {
    throw new RecoValidationError(operation, 'query', `must be at most ${apiLimits.maxQueryChars} characters`);
  }
  return query;
}

const encoder = new TextEncoder();

/** UTF-8 size of a string, as the API measures bodies and events. */
export const utf8Bytes = (text: string): number => encoder.encode(text).length;

/**
 * A random v4 UUID (122 random bits), for anonymous ids, session ids and event ids. The storefront API lets anyone
 * who knows an anonymous id act as it, so the ids must be unguessable: `crypto.randomUUID` where the runtime has it,
 * otherwise the same layout built from `crypto.getRandomValues` (`randomUUID` exists only in secure contexts, so a
 * plain-HTTP page lacks it). There is no weaker fallback: without Web Crypto this throws.
 */
export function randomId(): string {
  const webCrypto = (globalThis as { crypto?: { randomUUID?: () => string; getRandomValues?: <T>(a: T) => T } }).crypto;
  if (typeof webCrypto?.randomUUID === 'function') return webCrypto.randomUUID();
  if (typeof webCrypto?.getRandomValues !== 'function') {
    throw new Error('reco: this runtime has no crypto.getRandomValues, which unguessable anonymous ids need');
  }
  const bytes = webCrypto.getRandomValues(new Uint8Array(16));
  // The version (4) and variant (10) bits overwrite 6 of the 128 random bits.
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
