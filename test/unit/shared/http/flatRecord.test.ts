import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { flatRecord } from '#shared/http/flatRecord.ts';

const schema = flatRecord({
  field: 'tags',
  maxKeys: 3,
  maxKeyChars: 16,
  value: z.union([z.string().max(4, { error: 'at most 4 characters' }), z.number()], { error: 'a string or number' }),
  refusedNames: new Map([['secret', 'secret is reserved']]),
});

const issues = (input: unknown) => {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error('expected a validation failure');
  return parsed.error.issues.map(({ path, message }) => ({ path, message }));
};

describe('Function: flatRecord', () => {
  it.each([
    ['__proto__', '{"__proto__": "x", "a": 1}', ['__proto__', 'a']],
    ['constructor', '{"constructor": "x"}', ['constructor']],
    [
      'toString, hasOwnProperty and valueOf',
      '{"toString": 1, "hasOwnProperty": 2, "valueOf": 3}',
      ['toString', 'hasOwnProperty', 'valueOf'],
    ],
  ])('returns %s kept as own properties of a plain object, no prototype touched', (_name, json, keys) => {
    // Act
    const parsed = schema.parse(JSON.parse(json));

    // Assess
    expect(Object.keys(parsed)).toEqual(keys);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(parsed))).toEqual(JSON.parse(json));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('returns the values parsed by the value schema', () => {
    // Act
    const parsed = schema.parse({ a: 'ab', b: 2 });

    // Assess
    expect(parsed).toEqual({ a: 'ab', b: 2 });
  });

  it.each([
    ['an array', [1]],
    ['a string', 'a=1'],
    ['null', null],
  ])('rejects %s as not an object', (_name, input) => {
    // Act
    const found = issues(input);

    // Assess
    expect(found).toEqual([{ path: [], message: 'tags must be an object of names and values' }]);
  });

  it.each([
    ['too many names', { a: 1, b: 2, c: 3, d: 4 }, [], 'tags may have at most 3 keys'],
    ['a name too long', { abcdefghijklmnopq: 1 }, ['abcdefghijklmnopq'], 'names must be at most 16 characters'],
    ['a refused name', { secret: 1 }, ['secret'], 'secret is reserved'],
    ['a nested object', { a: { b: 1 } }, ['a'], 'a string or number'],
    ['a nested array', { a: [1] }, ['a'], 'a string or number'],
    ['a value the schema refuses', { a: 'abcde' }, ['a'], 'at most 4 characters'],
  ])('rejects %s with one issue naming the path', (_name, input, path, message) => {
    // Act
    const found = issues(input);

    // Assess
    expect(found).toEqual([{ path, message }]);
  });

  it('returns the first issue under the field of an enclosing object', () => {
    // Prepare
    const outer = z.strictObject({ tags: z.optional(schema) });

    // Act
    const parsed = outer.safeParse({ tags: { constructor: { polluted: true } } });

    // Assess
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['tags', 'constructor']);
  });
});
