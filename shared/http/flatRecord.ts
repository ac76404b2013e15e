import * as z from 'zod';

export interface FlatRecordOptions<V> {
  /** The field's name in messages: `properties`, `attributes`. */
  readonly field: string;
  readonly maxKeys: number;
  readonly maxKeyChars: number;
  /** What every value must be: scalars only, so the record is one level deep. */
  readonly value: z.ZodType<V>;
  /** Names refused, each with the sentence that says why. */
  readonly refusedNames?: ReadonlyMap<string, string>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A JSON object whose names the sender picks (event properties, item attributes), each mapped to
 * a scalar. Not `z.record`, which drops a `__proto__` key without a word: every name is data here,
 * `__proto__`, `constructor` and `toString` included, and comes out as an own property of an
 * object built by `Object.fromEntries`, so none reaches a prototype. The number of names is
 * checked before any value, and a nested value fails its value schema without being walked.
 */
export function flatRecord<V>(options: FlatRecordOptions<V>) {
  const { field, maxKeys, maxKeyChars, value, refusedNames } = options;
  return z
    .custom<Record<string, V>>(isObject, { error: `${field} must be an object of names and values` })
    .transform((input, ctx) => {
      const entries = Object.entries(input);
      if (entries.length > maxKeys) {
        ctx.addIssue({ code: 'custom', message: `${field} may have at most ${maxKeys} keys` });
        return z.NEVER;
      }
      const output: [string, V][] = [];
      for (const [name, raw] of entries) {
        const refused =
          name.length > maxKeyChars ? `names must be at most ${maxKeyChars} characters` : refusedNames?.get(name);
        if (refused !== undefined) {
          ctx.addIssue({ code: 'custom', path: [name], message: refused });
          return z.NEVER;
        }
        const parsed = value.safeParse(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          ctx.addIssue({
            code: 'custom',
            path: [name, ...(issue?.path ?? [])],
            message: issue?.message ?? 'invalid value',
          });
          return z.NEVER;
        }
        output.push([name, parsed.data]);
      }
      return Object.fromEntries(output);
    });
}
