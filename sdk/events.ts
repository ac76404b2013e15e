import { limits } from './apiConstants.ts';
import { RecoValidationError } from './errors.ts';

/** The event types the storefront API takes. */
export type EventType =
  | 'view'
  | 'click'
  | 'add_to_cart'
  | 'remove_from_cart'
  | 'purchase'
  | 'search'
  | 'identify'
  | 'page_view'
  | 'impression';

/** A flat property value, as the API takes it. `undefined` values are left out of the event. */
export type PropertyValue = string | number | boolean | null | undefined;

/** Optional fields every event may carry. */
export interface EventExtra {
  /**
   * The `recommendationId` of the list the shopper acted on: attributes the event to that list.
   * @default the id of the last list read that held the item, if any
   */
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

/** Optional fields of a page view. */
export interface PageViewExtra extends EventExtra {
  /** The item a product page shows. */
  readonly itemId?: string;
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
  /** The items shown, on `impression` events. */
  readonly itemIds?: readonly string[];
  readonly quantity?: number;
  readonly price?: number;
  readonly currency?: string;
  readonly query?: string;
  readonly recommendationId?: string;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly properties?: Readonly<Record<string, string | number | boolean | null>>;
}

const EXTRA_KEYS = ['recommendationId', 'properties', 'sessionId', 'timestamp'];
/** The option names each kind of tracking call takes. */
export const EXTRA = {
  plain: EXTRA_KEYS,
  item: [...EXTRA_KEYS, 'quantity', 'price', 'currency'],
  page: [...EXTRA_KEYS, 'itemId'],
} as const;

/** Throws on an option name the call does not know, as the API rejects unknown fields. */
export function checkKeys(operation: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new RecoValidationError(operation, 'options', 'must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new RecoValidationError(operation, key, `is not an option (known: ${known.join(', ')})`);
    }
  }
}

/** A non-blank string of at most `max` characters: an id (`maxIdChars`), a search query (`maxQueryChars`). */
export function checkId(operation: string, field: string, value: unknown, max: number = limits.maxIdChars): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new RecoValidationError(
      operation,
      field,
      `must be a non-blank string of at most ${max} characters, got ${typeof value}`,
    );
  }
  return value;
}

/**
 * The properties without their `undefined` values; throws on a value that is not flat. Counts and lengths are the
 * API's to check: it rejects such an event through `onRejected`.
 */
function checkProperties(operation: string, properties: unknown): Record<string, string | number | boolean | null> {
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
    throw new RecoValidationError(operation, 'properties', 'must be a plain object');
  }
  const out: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(properties)) {
    if (value === undefined) continue;
    if (value !== null && !/^[sbn]/.test(typeof value)) {
      throw new RecoValidationError(operation, `properties.${key}`, 'must be a string, number, boolean or null');
    }
    out[key] = value as string | number | boolean | null;
  }
  return out;
}

export function wholeNumber(operation: string, field: string, value: unknown, min = 1, max = 9e15): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RecoValidationError(operation, field, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** The fields an event builder produces before identity, id and time are added. */
export type EventBody = Omit<RecoEvent, 'eventId' | 'anonymousId' | 'userId' | 'timestamp'> & {
  readonly timestamp?: number;
};

/**
 * Checks the optional fields (names included) and returns them in wire form; throws {@link RecoValidationError}.
 * `undefined` values count as absent. Ranges (quantity, price) and the currency code are the API's to check: it
 * rejects such an event through `onRejected`.
 */
export function checkExtra(
  operation: string,
  extra: ItemEventExtra | undefined,
  known: readonly string[],
): Omit<EventBody, 'type'> {
  checkKeys(operation, extra, known);
  const out: { -readonly [K in keyof EventBody]?: EventBody[K] } = {};
  if (extra === undefined) return out;
  const { recommendationId, sessionId, properties, timestamp, quantity, price, currency } = extra;
  if (recommendationId !== undefined) out.recommendationId = checkId(operation, 'recommendationId', recommendationId);
  if (sessionId !== undefined) out.sessionId = checkId(operation, 'sessionId', sessionId);
  if (properties !== undefined) out.properties = checkProperties(operation, properties);
  if (timestamp !== undefined) {
    out.timestamp = wholeNumber(operation, 'timestamp', timestamp instanceof Date ? timestamp.getTime() : timestamp);
  }
  if (quantity !== undefined) out.quantity = wholeNumber(operation, 'quantity', quantity);
  if (price !== undefined) {
    if (typeof price !== 'number') throw new RecoValidationError(operation, 'price', 'must be a number');
    out.price = price;
  }
  if (currency !== undefined) out.currency = checkId(operation, 'currency', currency);
  if (out.price !== undefined && out.currency === undefined) {
    throw new RecoValidationError(operation, 'currency', 'is required with price');
  }
  return out;
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
  const webCrypto = (
    globalThis as { crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array } }
  ).crypto;
  if (webCrypto?.randomUUID) return webCrypto.randomUUID();
  if (!webCrypto?.getRandomValues) throw new Error('reco: no crypto.getRandomValues');
  const bytes = webCrypto.getRandomValues(new Uint8Array(16));
  // The version (4) and variant (10) bits overwrite 6 of the 128 random bits.
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return Array.from(
    bytes,
    (b, i) => (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + (b + 256).toString(16).slice(1),
  ).join('');
}
