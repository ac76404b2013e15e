import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { apiLimits } from '#shared/config/index.ts';
import { InvalidRequestError, PayloadTooLargeError } from '#shared/errors.ts';
import { storefrontEventSchema } from '#shared/events/schema.ts';
import { fieldRejection, parseBatchBody } from '#shared/http/requestBody.ts';

/** The first issue zod reports for `raw`, and `raw` itself, as the handlers pass them. */
function firstIssue(schema: z.ZodType, raw: Record<string, unknown>): z.core.$ZodIssue {
  const parsed = schema.safeParse(raw);
  if (parsed.success) throw new Error('expected a validation failure');
  const issue = parsed.error.issues[0];
  if (!issue) throw new Error('expected an issue');
  return issue;
}

describe('Function: parseBatchBody', () => {
  it('returns the entries of the named array field', () => {
    // Act
    const entries = parseBatchBody('{"widgets": [1, {"a": 2}, null]}', 'widgets', 5);

    // Assess
    expect(entries).toEqual([1, { a: 2 }, null]);
  });

  it('returns exactly maxEntries entries without complaint', () => {
    // Act
    const entries = parseBatchBody(JSON.stringify({ widgets: [1, 2, 3] }), 'widgets', 3);

    // Assess
    expect(entries).toHaveLength(3);
  });

  it.each([
    ['empty', '', InvalidRequestError, 'empty_body'],
    ['blank', ' \t\n', InvalidRequestError, 'empty_body'],
    ['not JSON', 'widgets=1', InvalidRequestError, 'invalid_json'],
    ['JSON null', 'null', InvalidRequestError, 'missing_widgets'],
    ['a JSON string', '"widgets"', InvalidRequestError, 'missing_widgets'],
    ['a JSON array', '[]', InvalidRequestError, 'missing_widgets'],
    ['an object without the field', '{"items": [1]}', InvalidRequestError, 'missing_widgets'],
    ['the field not an array', '{"widgets": "1,2"}', InvalidRequestError, 'missing_widgets'],
    ['the field empty', '{"widgets": []}', InvalidRequestError, 'no_widgets'],
    ['one entry over the limit', '{"widgets": [1, 2, 3, 4]}', PayloadTooLargeError, 'too_many_widgets'],
  ])('returns %s rejected with the matching reason', (_name, input, errorClass, reason) => {
    // Act
    const parse = () => parseBatchBody(input, 'widgets', 3);

    // Assess
    expect(parse).toThrow(errorClass);
    expect(parse).toThrow(expect.objectContaining({ reason }));
  });

  it('returns null and undefined bodies rejected as empty_body with a hint naming the field', () => {
    // Act
    const errors = [null, undefined].map((input) => {
      try {
        parseBatchBody(input, 'widgets', 3);
        return undefined;
      } catch (error) {
        return error as InvalidRequestError;
      }
    });

    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error).toMatchObject({ reason: 'empty_body', status: 400 });
      expect(error?.message).toContain('{"widgets": [...]}');
    }
  });

  it('returns a body over maxBodyBytes rejected as 413 before it is parsed', () => {
    // Prepare: not even valid JSON, so only the size check can reject it.
    const input = '{' + 'x'.repeat(apiLimits.maxBodyBytes);

    // Act
    const parse = () => parseBatchBody(input, 'widgets', 3);

    // Assess
    expect(parse).toThrow(PayloadTooLargeError);
    expect(parse).toThrow(expect.objectContaining({ reason: 'body_too_large', status: 413 }));
  });

  it('returns a body of exactly maxBodyBytes accepted', () => {
    // Prepare
    const prefix = '{"widgets": [1], "pad": "';
    const input = prefix + 'x'.repeat(apiLimits.maxBodyBytes - prefix.length - 2) + '"}';

    // Act
    const entries = parseBatchBody(input, 'widgets', 3);

    // Assess
    expect(Buffer.byteLength(input, 'utf8')).toBe(apiLimits.maxBodyBytes);
    expect(entries).toEqual([1]);
  });
});

describe('Function: fieldRejection', () => {
  const schema = z.strictObject({
    name: z.string(),
    size: z.number().min(1),
    tags: z.array(z.string()).optional(),
    meta: z.object({ colour: z.string() }).optional(),
  });

  it('returns unknown_field naming the first unknown key and listing them all', () => {
    // Prepare
    const raw = { name: 'a', size: 1, colour: 'red', weight: 3 };

    // Act
    const rejection = fieldRejection(raw, firstIssue(schema, raw));

    // Assess
    expect(rejection).toEqual({
      reason: 'unknown_field',
      field: 'colour',
      message: 'unknown field(s): colour, weight',
    });
  });

  it('returns missing_field for an absent top-level field', () => {
    // Prepare
    const raw = { size: 1 };

    // Act
    const rejection = fieldRejection(raw, firstIssue(schema, raw));

    // Assess
    expect(rejection).toEqual({ reason: 'missing_field', field: 'name', message: 'name is required' });
  });

  it('returns invalid_field for a present field of the wrong type or range', () => {
    // Prepare
    const raw = { name: 'a', size: 0 };

    // Act
    const rejection = fieldRejection(raw, firstIssue(schema, raw));

    // Assess
    expect(rejection).toMatchObject({ reason: 'invalid_field', field: 'size' });
    expect(rejection.message).toMatch(/^size: /);
  });

  it('returns invalid_field with a dotted path for a nested field, even when the nested value is missing', () => {
    // Prepare
    const raw = { name: 'a', size: 1, meta: {} };

    // Act
    const rejection = fieldRejection(raw, firstIssue(schema, raw));

    // Assess
    expect(rejection).toMatchObject({ reason: 'invalid_field', field: 'meta.colour' });
  });

  it('returns invalid_field with the index in the path for a bad array entry', () => {
    // Prepare
    const raw = { name: 'a', size: 1, tags: ['ok', 7] };

    // Act
    const rejection = fieldRejection(raw, firstIssue(schema, raw));

    // Assess
    expect(rejection).toMatchObject({ reason: 'invalid_field', field: 'tags.1' });
  });

  it('returns the custom message for a missing field reported by a custom rule', () => {
    // Prepare
    const raw = { eventId: 'e1', type: 'view', itemId: 'sku-1', timestamp: 1_700_000_000_000 };

    // Act
    const rejection = fieldRejection(raw, firstIssue(storefrontEventSchema, raw));

    // Assess
    expect(rejection).toEqual({
      reason: 'missing_field',
      field: 'userId',
      message: 'userId or anonymousId is required',
    });
  });

  it('returns invalid_field when the field is present but null', () => {
    // Prepare
    const raw = { name: null, size: 1 };

    // Act
    const rejection = fieldRejection(raw, firstIssue(schema, raw));

    // Assess
    expect(rejection).toMatchObject({ reason: 'invalid_field', field: 'name' });
  });
});
