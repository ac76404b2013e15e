import * as z from 'zod/mini';
import './zodLocale.ts';

export interface FlatRecordOptions<V> {
  /** The field's name in messages: `properties`, `attributes`. */
  readonly field: string;
  readonly maxKeys: number;
  readonly maxKeyChars: number;
  /** What every value must be: scalars only, so the record is one level deep. */
  readonly value: z.core.$ZodType<V>;
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
  return z.pipe(
    z.custom<Record<string, V>>(isObject, { error: `${field} must be an object of names and values` }),
    z.transform((input: Record<string, V>, ctx) => {
      // The first issue is the only one: the rest of a refused record is not looked at.
      const refuse = (issue: { readonly path?: PropertyKey[]; readonly message: string }) => {
        ctx.issues.push({ code: 'custom', input, ...issue });
        return z.NEVER;
      };
      const entries = Object.entries(input);
      if (entries.length > maxKeys) return refuse({ message: `${field} may have at most ${maxKeys} keys` });
      const output: [string, V][] = [];
      for (const [name, raw] of entries) {
        const refused =
          name.length > maxKeyChars ? `names must be at most ${maxKeyChars} characters` : refusedNames?.get(name);
        if (refused !== undefined) return refuse({ path: [name], message: refused });
        const parsed = z.safeParse(value, raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return refuse({ path: [name, ...(issue?.path ?? [])], message: issue?.message ?? 'invalid value' });
        }
        output.push([name, parsed.data]);
      }
      return Object.fromEntries(output);
    }),
  );
}
