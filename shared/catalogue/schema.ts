import * as z from 'zod/mini';
import '../http/zodLocale.ts';
import { apiLimits } from '../config/index.ts';
import { unaddressableId } from '../events/ids.ts';
import { flatRecord } from '../http/flatRecord.ts';

const text = (field: string, max: number) =>
  z
    .string({ error: `${field} must be a string` })
    .check(z.maxLength(max, { error: `${field} must be at most ${max} characters` }));

/**
 * Attribute names the catalogue store cannot keep, refused with a reason rather than lost. The
 * AWS SDK's DynamoDB marshalling takes an object for a map only if its `constructor` is Object's,
 * so a `constructor` attribute makes the write throw, and it builds maps by assignment, so a
 * `__proto__` attribute is dropped. Every other name, `toString` and `hasOwnProperty` included, is
 * stored and read back as it is.
 */
const UNSTORABLE_NAMES: ReadonlyMap<string, string> = new Map(
  ['constructor', '__proto__'].map((name) => [
    name,
    `the catalogue cannot store an attribute named ${name}; rename it`,
  ]),
);

const attributes = flatRecord({
  field: 'attributes',
  maxKeys: apiLimits.maxPropertyKeys,
  maxKeyChars: 64,
  value: z.union(
    [
      z.string().check(
        z.maxLength(apiLimits.maxPropertyValueChars, {
          error: `attribute values must be at most ${apiLimits.maxPropertyValueChars} characters`,
        }),
      ),
      z.number(),
      z.boolean(),
    ],
    { error: 'attribute values must be a string, number or boolean' },
  ),
  refusedNames: UNSTORABLE_NAMES,
});

/** A catalogue item as the shop sends it in `PUT /v1/items`; unknown fields are rejected. */
export const catalogueItemSchema = z.strictObject({
  itemId: text('itemId', apiLimits.maxIdChars).check(
    z.minLength(1, { error: 'itemId must not be empty' }),
    z.superRefine((value, ctx) => {
      // An item the API accepted can always be deleted through DELETE /v1/items/{itemId}.
      const problem = unaddressableId(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `itemId ${problem}` });
    }),
  ),
  title: z.optional(text('title', apiLimits.maxTitleChars)),
  description: z.optional(text('description', apiLimits.maxDescriptionChars)),
  categories: z._default(
    z
      .array(text('category', 64).check(z.minLength(1)), { error: 'categories must be an array of strings' })
      .check(
        z.maxLength(apiLimits.maxCategoriesPerItem, { error: `at most ${apiLimits.maxCategoriesPerItem} categories` }),
      ),
    [],
  ),
  price: z.optional(z.number().check(z.minimum(0), z.maximum(1e9))),
  currency: z.optional(
    z.string().check(z.regex(/^[A-Z]{3}$/, { error: 'currency must be an ISO 4217 code such as EUR' })),
  ),
  inStock: z._default(z.boolean({ error: 'inStock must be true or false' }), true),
  recommendable: z.optional(z.boolean({ error: 'recommendable must be true or false' })),
  attributes: z.optional(attributes),
});

export type CatalogueItemInput = z.input<typeof catalogueItemSchema>;
