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
  const missing = typeof top === 'string' && issue.path.length === 1 && raw[top] === undefined;
  if (missing) {
    const message = issue.code === 'custom' ? issue.message : `${field} is required`;
    return { reason: 'missing_field', field, message };
  }
  return { reason: 'invalid_field', field, message: `${field}: ${issue.message}` };
}

/** Keys that reach an object's prototype machinery when code copies or merges what was sent. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Why one entry of a batch was rejected before validation: it uses a key in {@link FORBIDDEN_KEYS}.
 * `field` is the dotted path of that key inside the entry, e.g. `properties.constructor`.
 */
export interface ForbiddenKeyRejection {
  readonly reason: 'forbidden_key';
  readonly field: string;
  readonly message: string;
}

/**
 * Deepest nesting of objects and arrays a request body may have. Every body the API takes nests
 * at most four levels (`{"events": [{"properties": {...}}]}`); recursive code further on (schema
 * validation, `JSON.stringify`) overflows the stack on bodies nested thousands deep.
 */
export const MAX_BODY_DEPTH = 16;

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

export interface JsonObjectBodyOptions {
  /** What the body should look like, quoted in the messages, e.g. `{"events": [...]}`. */
  readonly shape: string;
  /** The reason when the body is JSON but not an object. @default 'invalid_body' */
  readonly notObjectReason?: string;
}

/**
 * Parses a request body that must be one JSON object. Anything wrong with the body as a whole is
 * an {@link InvalidRequestError} or {@link PayloadTooLargeError} with a machine-readable reason:
 * `empty_body`, `body_too_large`, `invalid_encoding` (a byte order mark, which RFC 8259 §8.1
 * forbids senders to add), `invalid_json`, `invalid_body` (or `notObjectReason`), `too_deep`
 * (over {@link MAX_BODY_DEPTH}) and `forbidden_key` (`__proto__`, `constructor` or `prototype`
 * anywhere in it).
 *
 * @example
 * const json = parseJsonObjectBody(body, { shape: '{"userId": "...", "itemIds": [...]}' });
 */
export function parseJsonObjectBody(
  body: string | null | undefined,
  options: JsonObjectBodyOptions,
): Record<string, unknown> {
  const json = parseJsonObject(body, options);
  const key = firstForbiddenKey(json, [])?.at(-1);
  if (key !== undefined) throw forbiddenKeyError(key);
  return json;
}

/** Every whole-body check of {@link parseJsonObjectBody} but the forbidden keys. */
function parseJsonObject(body: string | null | undefined, options: JsonObjectBodyOptions): Record<string, unknown> {
  if (body === null || body === undefined || body.trim() === '') {
    throw new InvalidRequestError('empty_body', `request body is empty; send ${options.shape}`);
  }
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > apiLimits.maxBodyBytes) {
    throw new PayloadTooLargeError('body_too_large', `body is ${bytes} bytes; the limit is ${apiLimits.maxBodyBytes}`);
  }
  if (body.charCodeAt(0) === 0xfeff) {
    throw new InvalidRequestError(
      'invalid_encoding',
      'request body starts with a byte order mark; send UTF-8 without one',
    );
  }
  let parsed: unknown;
  try {
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
  checkDepth(parsed);
  return parsed as Record<string, unknown>;
}

/** Walks the parsed body without recursion, so no nesting can overflow the stack here. */
function checkDepth(root: object): void {
  const stack: { value: object; depth: number }[] = [{ value: root, depth: 1 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value, depth } = next;
    if (depth > MAX_BODY_DEPTH) {
      throw new InvalidRequestError(
        'too_deep',
        `request body nests objects and arrays more than ${MAX_BODY_DEPTH} levels deep`,
      );
    }
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
}

/**
 * The path to the first forbidden key in `value`, in document order, or undefined. Recursion is
 * safe here: it only runs on bodies {@link checkDepth} has bounded to {@link MAX_BODY_DEPTH}.
 */
function firstForbiddenKey(value: unknown, path: readonly string[]): string[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (const [index, child] of value.entries()) {
      const found = firstForbiddenKey(child, [...path, String(index)]);
      if (found) return found;
    }
    return undefined;
  }
  // Object.entries reads own properties only, so an own "__proto__" from JSON.parse is seen as data.
  for (const [key, child] of Object.entries(value)) {
    if (FORBIDDEN_KEYS.has(key)) return [...path, key];
    const found = firstForbiddenKey(child, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

const forbiddenKeyError = (key: string): InvalidRequestError =>
  new InvalidRequestError('forbidden_key', `request body may not use the key "${key}"`);

/**
 * One entry of a batch body. An entry using a forbidden key is rejected here, before any
 * validation copies it; its `raw` is there only to read the entry's id for the rejection.
 */
export type BatchEntry =
  | { readonly ok: true; readonly raw: unknown }
  | ({ readonly ok: false; readonly raw: unknown } & ForbiddenKeyRejection);

/**
 * Parses a batch request body `{"<arrayField>": [...]}`. Any problem with the body as a whole
 * rejects the whole request (400/413) before anything is written; that includes a forbidden key
 * in the envelope. A forbidden key inside an entry rejects only that entry, so the others of the
 * batch still stand or fall on their own.
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
  // The envelope stands or falls as a whole; the entries of the array are checked one by one below.
  for (const [key, value] of Object.entries(json)) {
    if (key === arrayField && Array.isArray(value)) continue;
    const path = FORBIDDEN_KEYS.has(key) ? [key] : firstForbiddenKey(value, [key]);
    if (path) throw forbiddenKeyError(path.at(-1) ?? key);
  }
  const entries = json[arrayField];
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
    const path = firstForbiddenKey(raw, []);
    if (!path) return { ok: true, raw };
    const field = path.join('.');
    const message = `${field}: the key "${path.at(-1) ?? ''}" is not allowed`;
    return { ok: false, raw, reason: 'forbidden_key', field, message };
  });
}
