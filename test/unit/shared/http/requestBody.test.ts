import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { apiLimits } from '#shared/config/index.ts';
import { InvalidRequestError, PayloadTooLargeError } from '#shared/errors.ts';
import { storefrontEventSchema } from '#shared/events/schema.ts';
import {
  checkBodySize,
  fieldRejection,
  MAX_BODY_DEPTH,
  MAX_ENTRY_DEPTH,
  parseBatchBody,
  parseJsonObjectBody,
  requestBodyText,
  tooDeepAt,
} from '#shared/http/requestBody.ts';

/** The first issue zod reports for `raw`, and `raw` itself, as the handlers pass them. */
function firstIssue(schema: z.core.$ZodType, raw: Record<string, unknown>): z.core.$ZodIssue {
  const parsed = z.safeParse(schema, raw);
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
    expect(entries).toEqual([
      { ok: true, raw: 1 },
      { ok: true, raw: { a: 2 } },
      { ok: true, raw: null },
    ]);
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
    expect(entries).toEqual([{ ok: true, raw: 1 }]);
  });

  it('returns a body of 5 MB of whitespace rejected as 413 body_too_large, not empty_body', () => {
    // Act
    const parse = () => parseBatchBody(' '.repeat(5 * 1024 * 1024), 'widgets', 3);

    // Assess
    expect(parse).toThrow(PayloadTooLargeError);
    expect(parse).toThrow(expect.objectContaining({ reason: 'body_too_large', status: 413 }));
  });

  describe('names of Object.prototype members', () => {
    it.each([
      ['__proto__', '{"__proto__": {"polluted": true}, "a": 1}', ['__proto__', 'a']],
      ['__proto__ written with an escape', '{"\\u005f_proto__": {"polluted": true}}', ['__proto__']],
      ['constructor', '{"constructor": {"prototype": {"polluted": true}}}', ['constructor']],
      ['toString and hasOwnProperty', '{"toString": 1, "hasOwnProperty": 2}', ['toString', 'hasOwnProperty']],
    ])('returns an entry with %s as it was sent, every key an own property', (_name, entry, keys) => {
      // Act
      const [parsed] = parseBatchBody(`{"widgets": [${entry}]}`, 'widgets', 3);

      // Assess
      expect(parsed?.ok).toBe(true);
      expect(Object.keys(parsed?.raw as object)).toEqual(keys);
      expect(Object.getPrototypeOf(parsed?.raw)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it.each([
      ['__proto__ beside the array', '{"__proto__": {"polluted": true}, "widgets": [1]}'],
      ['constructor beside the array', '{"widgets": [1], "constructor": {"prototype": {"polluted": true}}}'],
    ])('returns the entries of a body with %s, reading no other field', (_name, input) => {
      // Act
      const entries = parseBatchBody(input, 'widgets', 3);

      // Assess
      expect(entries).toEqual([{ ok: true, raw: 1 }]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('returns a body whose array is only under __proto__ rejected as missing the field', () => {
      // Act
      const parse = () => parseBatchBody('{"__proto__": {"widgets": [1]}}', 'widgets', 3);

      // Assess
      expect(parse).toThrow(expect.objectContaining({ reason: 'missing_widgets', status: 400 }));
    });
  });

  describe('entries nested too deep', () => {
    /** `{"a": {"a": ... 1 ... }}` with `depth` objects. */
    const nested = (depth: number): string => '{"a": '.repeat(depth) + '1' + '}'.repeat(depth);

    it(`returns an entry nested exactly MAX_ENTRY_DEPTH (${MAX_ENTRY_DEPTH}) levels accepted`, () => {
      // Act
      const [entry] = parseBatchBody(`{"widgets": [${nested(MAX_ENTRY_DEPTH)}]}`, 'widgets', 3);

      // Assess
      expect(entry?.ok).toBe(true);
    });

    it.each([
      ['one level too many', nested(MAX_ENTRY_DEPTH + 1), 'a.a.a.a.a.a.a.a'],
      ['objects 5,000 deep', nested(5_000), 'a.a.a.a.a.a.a.a'],
      ['arrays 100,000 deep', `{"tags": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 'tags.0.0.0.0.0.0.0'],
      ['a deep value after shallow ones', `{"x": {"y": 1}, "list": [1, [2, ${nested(10)}]]}`, 'list.1.1.a.a.a.a.a'],
    ])('returns the entry with %s rejected alone as too_deep, naming the path', (_name, entry, field) => {
      // Act
      const entries = parseBatchBody(`{"widgets": [{"a": 1}, ${entry}, {"a": 3}]}`, 'widgets', 3);

      // Assess
      expect(entries.map((e) => e.ok)).toEqual([true, false, true]);
      expect(entries[1]).toMatchObject({
        ok: false,
        reason: 'too_deep',
        field,
        message: `${field}: nests objects and arrays more than ${MAX_ENTRY_DEPTH} levels deep`,
      });
    });
  });
});

describe('Function: tooDeepAt', () => {
  it('returns undefined for a scalar or a value within the bound', () => {
    // Act
    const found = [tooDeepAt(1, 1), tooDeepAt(null, 1), tooDeepAt({ a: [1] }, 2)];

    // Assess
    expect(found).toEqual([undefined, undefined, undefined]);
  });

  it('returns the path of the first value past the bound, in document order', () => {
    // Act
    const path = tooDeepAt({ a: 1, b: [{ c: 1 }, [[1]]], d: { e: { f: {} } } }, 3);

    // Assess
    expect(path).toEqual(['b', 1, 0]);
  });

  it('returns a path for nesting a million deep without overflowing the stack', () => {
    // Prepare
    let value: unknown = [];
    for (let i = 0; i < 1_000_000; i++) value = [value];

    // Act
    const path = tooDeepAt(value, MAX_BODY_DEPTH);

    // Assess
    expect(path).toHaveLength(MAX_BODY_DEPTH);
  });
});

describe('Function: checkBodySize', () => {
  const max = apiLimits.maxBodyBytes;

  it.each([
    ['no body', null, false],
    ['an ASCII body of exactly the limit', 'x'.repeat(max), false],
    ['a body of 3-byte characters of exactly the limit', '€'.repeat(max / 4) + 'x'.repeat(max / 4), false],
    ['a base64 body standing for exactly the limit', Buffer.alloc(max).toString('base64'), true],
  ])('accepts %s', (_name, body, isBase64Encoded) => {
    // Act
    const act = () => checkBodySize(body, isBase64Encoded);

    // Assess
    expect(act).not.toThrow();
  });

  it.each([
    ['an ASCII body one byte over', 'x'.repeat(max + 1), false],
    ['fewer characters than the limit but more bytes', '€'.repeat(max / 3 + 1), false],
    ['5 MB of whitespace', ' '.repeat(5 * 1024 * 1024), false],
    ['a base64 body standing for one byte over', Buffer.alloc(max + 3).toString('base64'), true],
  ])('throws 413 body_too_large for %s', (_name, body, isBase64Encoded) => {
    // Act
    const act = () => checkBodySize(body, isBase64Encoded);

    // Assess
    expect(act).toThrow(PayloadTooLargeError);
    expect(act).toThrow(expect.objectContaining({ reason: 'body_too_large', status: 413 }));
  });
});

describe('Function: parseJsonObjectBody', () => {
  const shape = '{"name": "..."}';
  const parse = (body: string | null | undefined) => () => parseJsonObjectBody(body, { shape });

  /** `{"a": {"a": ... {"a": 1} ... }}` with `depth` objects. */
  const nested = (depth: number): string => '{"a": '.repeat(depth - 1) + '{"a": 1}' + '}'.repeat(depth - 1);

  it('returns the object of a valid body as a plain object', () => {
    // Act
    const json = parseJsonObjectBody('{"name": "a", "tags": [1, {"b": null}]}', { shape });

    // Assess
    expect(json).toEqual({ name: 'a', tags: [1, { b: null }] });
    expect(Object.getPrototypeOf(json)).toBe(Object.prototype);
  });

  it.each([
    ['empty', '', InvalidRequestError, 'empty_body'],
    ['null', null, InvalidRequestError, 'empty_body'],
    ['blank', ' \r\n', InvalidRequestError, 'empty_body'],
    ['not JSON', 'name=a', InvalidRequestError, 'invalid_json'],
    ['JSON null', 'null', InvalidRequestError, 'invalid_body'],
    ['a JSON array', '[{"name": "a"}]', InvalidRequestError, 'invalid_body'],
    ['a JSON number', '7', InvalidRequestError, 'invalid_body'],
    ['over maxBodyBytes', `{"name": "${'x'.repeat(apiLimits.maxBodyBytes)}"}`, PayloadTooLargeError, 'body_too_large'],
  ])('returns a body %s rejected with the matching reason', (_name, input, errorClass, reason) => {
    // Act
    const act = parse(input);

    // Assess
    expect(act).toThrow(errorClass);
    expect(act).toThrow(expect.objectContaining({ reason }));
  });

  it('returns the shape in the message of an empty body and notObjectReason for a body that is not an object', () => {
    // Act
    const empty = () => parseJsonObjectBody('', { shape });
    const notObject = () => parseJsonObjectBody('[]', { shape, notObjectReason: 'missing_name' });

    // Assess
    expect(empty).toThrow(expect.objectContaining({ message: `request body is empty; send ${shape}` }));
    expect(notObject).toThrow(expect.objectContaining({ reason: 'missing_name', status: 400 }));
  });

  describe('hostile bodies', () => {
    it.each([
      ['__proto__ at the top', '{"__proto__": {"polluted": true}}', ['__proto__']],
      ['__proto__ written with an escape', '{"\\u005f_proto__": {"polluted": true}}', ['__proto__']],
      ['constructor', '{"constructor": {"prototype": {"polluted": true}}}', ['constructor']],
      ['prototype and toString', '{"prototype": "x", "toString": 1}', ['prototype', 'toString']],
    ])('returns a body with %s as data, own keys and the prototype untouched', (_name, input, keys) => {
      // Act
      const json = parseJsonObjectBody(input, { shape });

      // Assess
      expect(Object.keys(json)).toEqual(keys);
      expect(Object.getPrototypeOf(json)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('returns a body of 5 MB of whitespace rejected as 413 body_too_large before it is trimmed', () => {
      // Act
      const act = parse(' '.repeat(5 * 1024 * 1024));

      // Assess
      expect(act).toThrow(PayloadTooLargeError);
      expect(act).toThrow(expect.objectContaining({ reason: 'body_too_large', status: 413 }));
    });

    it(`returns a body nested exactly MAX_BODY_DEPTH (${MAX_BODY_DEPTH}) levels accepted`, () => {
      // Act
      const json = parseJsonObjectBody(nested(MAX_BODY_DEPTH), { shape });

      // Assess
      expect(JSON.stringify(json)).toBe(nested(MAX_BODY_DEPTH).replaceAll(' ', ''));
    });

    it.each([
      ['one object level too many', nested(MAX_BODY_DEPTH + 1)],
      ['arrays nested 100,000 deep', `{"a": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
      ['objects nested 30,000 deep', nested(30_000)],
    ])('returns a body with %s rejected as too_deep, not a stack overflow', (_name, input) => {
      // Act
      const act = parse(input);

      // Assess
      expect(act).toThrow(InvalidRequestError);
      expect(act).toThrow(expect.objectContaining({ reason: 'too_deep', status: 400 }));
    });

    it('returns a body starting with a byte order mark rejected as invalid_encoding', () => {
      // Act
      const act = parse('\uFEFF{"name": "a"}');

      // Assess
      expect(act).toThrow(InvalidRequestError);
      expect(act).toThrow(expect.objectContaining({ reason: 'invalid_encoding', status: 400 }));
    });

    it('returns a byte order mark inside a string value kept as it is', () => {
      // Act
      const json = parseJsonObjectBody('{"name": "\uFEFFa"}', { shape });

      // Assess
      expect(json).toEqual({ name: '\uFEFFa' });
    });
  });
});

describe('Function: requestBodyText', () => {
  const base64 = (bytes: readonly number[] | string) =>
    (typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes)).toString('base64');

  it('returns a plain body as it is', () => {
    // Act
    const texts = [requestBodyText('{"a": 1}', false), requestBodyText(null, true), requestBodyText('', true)];

    // Assess
    expect(texts).toEqual(['{"a": 1}', null, '']);
  });

  it('returns a base64 body decoded as UTF-8', () => {
    // Act
    const text = requestBodyText(base64('{"title": "Crème brûlée ✓"}'), true);

    // Assess
    expect(text).toBe('{"title": "Crème brûlée ✓"}');
  });

  it.each([
    ['a lone continuation byte', [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x80, 0x22, 0x7d]],
    ['a truncated two-byte sequence', [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x22, 0x7d]],
    ['an overlong encoding of "/"', [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]],
    ['an encoded UTF-16 surrogate', [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]],
  ])('returns a base64 body with %s rejected as invalid_encoding', (_name, bytes) => {
    // Act
    const act = () => requestBodyText(base64(bytes), true);

    // Assess
    expect(act).toThrow(InvalidRequestError);
    expect(act).toThrow(expect.objectContaining({ reason: 'invalid_encoding', status: 400 }));
  });

  it('returns a base64 body with a UTF-8 byte order mark decoded without it', () => {
    // Act: TextDecoder drops a leading BOM, as the WHATWG Encoding standard says.
    const text = requestBodyText(base64([0xef, 0xbb, 0xbf, ...Buffer.from('{"a": 1}')]), true);

    // Assess
    expect(text).toBe('{"a": 1}');
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
