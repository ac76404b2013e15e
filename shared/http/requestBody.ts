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

/**
 * Parses a batch request body `{"<arrayField>": [...]}`. Any problem with the body as a whole
 * rejects the whole request (400/413) before anything is written.
 */
export function parseBatchBody(body: string | null | undefined, arrayField: string, maxEntries: number): unknown[] {
  if (body === null || body === undefined || body.trim() === '') {
    throw new InvalidRequestError('empty_body', `request body is empty; send {"${arrayField}": [...]}`);
  }
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > apiLimits.maxBodyBytes) {
    throw new PayloadTooLargeError('body_too_large', `body is ${bytes} bytes; the limit is ${apiLimits.maxBodyBytes}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidRequestError('invalid_json', 'request body is not valid JSON');
  }
  const entries = (parsed as Record<string, unknown> | null)?.[arrayField];
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Array.isArray(entries)) {
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
  return entries;
}
