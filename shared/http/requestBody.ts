import type { z } from 'zod';
import { apiLimits } from '../config/index.ts';
import { InvalidRequestError, PayloadTooLargeError } from '../errors.ts';

/** Why one entry of a batch was rejected, naming the field at fault. */
export interface FieldRejection {
  readonly reason: 'missing_field' | 'unknown_field' | 'invalid_field';
  readonly field?: string;
  readonly message: string;
}

/** Turns the first zod issue of an entry into a machine-readable rejection naming the field. */
export function fieldRejection(raw: Record<string, unknown>, issue: z.core.$ZodIssue): FieldRejection {
  if (issue.code === 'unrecognized_keys') {
    const parent = issue.path.map(String).join('.');
    const field = parent ? `${parent}.${issue.keys[0]}` : issue.keys[0];
    return { reason: 'unknown_field', field, message: `unknown field(s): ${issue.keys.join(', ')}` };
  }
  const field = issue.path.map(String).join('.');
  const top = issue.path[0];
  const missing =
    typeof top === 'string' && issue.path.length === 1 && (!Object.hasOwn(raw, top) || raw[top] === undefined);
  if (missing) {
    const message = issue.code === 'custom' ? issue.message : `${field} is required`;
    return { reason: 'missing_field', field, message };
  }
  return { reason: 'invalid_field', field, message: `${field}: ${issue.message}` };
}

/**
 * Deepest nesting of objects and arrays a whole JSON body may have (`POST /v1/rankings`, the
 * admin bodies): they nest at most three levels, and recursive code further on (schema
 * validation, `JSON.stringify`) would overflow the stack on bodies nested thousands deep.
 */
export const MAX_BODY_DEPTH = 16;

/**
 * Deepest nesting of objects and arrays one entry of a batch may have, the entry itself level 1.
 * Events and items nest two levels (`properties`, `attributes`, `categories`); deeper values are
 * refused by the schemas, and an entry past this bound never reaches them.
 */
export const MAX_ENTRY_DEPTH = 8;

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The request body as text, decoding API Gateway's base64 form. Bytes that are not UTF-8 are a
 * 400 `invalid_encoding` rather than replacement characters quietly written to the stream.
 */
export function requestBodyText(body: string | null | undefined, isBase64Encoded: boolean): string | null | undefined {
  if (!isBase64Encoded || !body) return body;
  try {
    return fatalUtf8.decode(Buffer.from(body, 'base64'));
  } catch {
    throw new InvalidRequestError('invalid_encoding', 'request body is not UTF-8 text');
  }
}

/**
 * Throws 413 `body_too_large` when a request body is over `apiLimits.maxBodyBytes`. The bytes are
 * counted only when the length alone does not decide (a UTF-16 code unit is 1 to 3 UTF-8 bytes),
 * so a body of megabytes is refused without a pass over it. A base64 body counts as the bytes it
 * stands for.
 */
export function checkBodySize(body: string | null | undefined, isBase64Encoded = false): void {
  if (!body) return;
  const max = apiLimits.maxBodyBytes;
  let bytes: number;
  let exact = true;
  if (isBase64Encoded) {
    const padding = body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0;
    bytes = Math.floor((body.length * 3) / 4) - padding;
  } else if (body.length * 3 <= max) {
    return;
  } else if (body.length > max) {
    bytes = body.length;
    exact = false;
  } else {
    bytes = Buffer.byteLength(body, 'utf8');
  }
  if (bytes > max) {
    throw new PayloadTooLargeError(
      'body_too_large',
      `body is ${exact ? '' : 'about '}${bytes} bytes; the limit is ${max}`,
    );
  }
}

export interface JsonObjectBodyOptions {
  /** What the body should look like, quoted in the messages, e.g. `{"events": [...]}`. */
  readonly shape: string;
  /** The reason when the body is JSON but not an object. @default 'invalid_body' */
  readonly notObjectReason?: string;
}

/**
 * Parses a request body that must be one JSON object. Anything wrong with the body as a whole is
 * an {@link InvalidRequestError} or {@link PayloadTooLargeError} with a machine-readable reason:
 * `body_too_large` (checked first, so a large body is never trimmed or parsed), `empty_body`,
 * `invalid_encoding` (a byte order mark, which RFC 8259 §8.1 forbids senders to add),
 * `invalid_json`, `invalid_body` (or `notObjectReason`) and `too_deep` (over
 * {@link MAX_BODY_DEPTH}). Keys are data: `JSON.parse` makes every key, `__proto__` included, an
 * own property, and the schemas refuse the names they do not know.
 *
 * @example
 * const json = parseJsonObjectBody(body, { shape: '{"userId": "...", "itemIds": [...]}' });
 */
export function parseJsonObjectBody(
  body: string | null | undefined,
  options: JsonObjectBodyOptions,
): Record<string, unknown> {
  const json = parseJsonObject(body, options);
  const tooDeep = tooDeepAt(json, MAX_BODY_DEPTH);
  if (tooDeep !== undefined) {
    throw new InvalidRequestError(
      'too_deep',
      `request body nests objects and arrays more than ${MAX_BODY_DEPTH} levels deep`,
    );
  }
  return json;
}

/** Every whole-body check of {@link parseJsonObjectBody} but the depth. */
function parseJsonObject(body: string | null | undefined, options: JsonObjectBodyOptions): Record<string, unknown> {
  checkBodySize(body);
  if (body === null || body === undefined || body.trim() === '') {
    throw new InvalidRequestError('empty_body', `request body is empty; send ${options.shape}`);
  }
  if (body.charCodeAt(0) === 0xfeff) {
    throw new InvalidRequestError(
      'invalid_encoding',
      'request body starts with a byte order mark; send UTF-8 without one',
    );
  }
  let parsed: unknown;
  try {
    // V8 parses without recursion, so nesting cannot overflow the stack here.
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidRequestError('invalid_json', 'request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidRequestError(
      options.notObjectReason ?? 'invalid_body',
      `request body must be a JSON object: ${options.shape}`,
    );
  }
  return parsed as Record<string, unknown>;
}

/**
 * The path (keys and indexes) to the first object or array of `root` deeper than `maxDepth`,
 * `root` itself at depth 1, or undefined. Walks with a stack of its own, not recursion, so no
 * nesting can overflow the call stack, and stops at the bound, so a deep value costs no more than
 * a shallow one.
 */
export function tooDeepAt(root: unknown, maxDepth: number): (string | number)[] | undefined {
  if (typeof root !== 'object' || root === null) return undefined;
  const stack: { value: object; path: (string | number)[] }[] = [{ value: root, path: [] }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value, path } = next;
    if (path.length >= maxDepth) return path;
    // Pushed in reverse, so the first too-deep value found is the first in document order.
    const children: [string | number, unknown][] = Array.isArray(value)
      ? value.map((child, index) => [index, child])
      : Object.entries(value);
    for (let i = children.length - 1; i >= 0; i--) {
      const [key, child] = children[i] as [string | number, unknown];
      if (typeof child === 'object' && child !== null) stack.push({ value: child, path: [...path, key] });
    }
  }
  return undefined;
}

/** Why one entry of a batch was rejected before validation: it nests deeper than {@link MAX_ENTRY_DEPTH}. */
export interface TooDeepRejection {
  readonly reason: 'too_deep';
  /** The dotted path of the first value past the bound, e.g. `properties.a.a.a.a.a.a.a`. */
  readonly field: string;
  readonly message: string;
}

/**
 * One entry of a batch body. An entry nested too deep is rejected here, before any validation
 * or serialisation walks it; its `raw` is there only to read the entry's id for the rejection.
 */
export type BatchEntry =
  { readonly ok: true; readonly raw: unknown } | ({ readonly ok: false; readonly raw: unknown } & TooDeepRejection);

/**
 * Parses a batch request body `{"<arrayField>": [...]}`. Any problem with the body as a whole
 * rejects the whole request (400/413) before anything is written. An entry nested deeper than
 * {@link MAX_ENTRY_DEPTH} rejects only that entry, so the others of the batch still stand or fall
 * on their own. Other fields beside the array are not read.
 *
 * @example
 * const entries = parseBatchBody(body, 'events', 100);
 * entries.forEach((entry, index) => {
 *   if (!entry.ok) return reject(index, entry);
 *   validate(entry.raw);
 * });
 */
export function parseBatchBody(body: string | null | undefined, arrayField: string, maxEntries: number): BatchEntry[] {
  const json = parseJsonObject(body, {
    shape: `{"${arrayField}": [...]}`,
    notObjectReason: `missing_${arrayField}`,
  });
  const entries = Object.hasOwn(json, arrayField) ? json[arrayField] : undefined;
  if (!Array.isArray(entries)) {
    throw new InvalidRequestError(
      `missing_${arrayField}`,
      `request body must be an object with an "${arrayField}" array`,
    );
  }
  if (entries.length === 0) {
    throw new InvalidRequestError(`no_${arrayField}`, `"${arrayField}" is empty`);
  }
  if (entries.length > maxEntries) {
    throw new PayloadTooLargeError(
      `too_many_${arrayField}`,
      `${entries.length} ${arrayField} in one request; the limit is ${maxEntries}`,
    );
  }
  return entries.map((raw: unknown): BatchEntry => {
    const path = tooDeepAt(raw, MAX_ENTRY_DEPTH);
    if (path === undefined) return { ok: true, raw };
    const field = path.join('.');
    const message = `${field}: nests objects and arrays more than ${MAX_ENTRY_DEPTH} levels deep`;
    return { ok: false, raw, reason: 'too_deep', field, message };
  });
}
