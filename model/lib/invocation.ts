/**
 * The body of `POST /invocations`: what a caller may ask the model, checked field by field, and
 * the answer. Every rejection names the field at fault (`recentItems[2].timestamp`), so the
 * recommend Lambda's logs say exactly which part of a request was wrong.
 */
import * as z from 'zod';
import { apiLimits } from '#shared/config/index.ts';
import { InvalidRequestError } from '#shared/errors.ts';
import { MAX_TIMESTAMP } from '#shared/recommender/io/dataset.ts';
import { similarItemsFromText } from '#shared/recommender/algorithms/content.ts';
import type { AlgorithmName, Model, RecommendationQuery, ScoredItem } from '#shared/recommender/model.ts';

export const invocationLimits = {
  /** Largest request body, bytes. */
  maxBodyBytes: 1024 * 1024,
  maxIdChars: apiLimits.maxIdChars,
  maxRecentItems: 100,
  maxCandidates: 500,
  maxExcludedItems: 500,
  maxCategoryChars: 128,
  maxEventTypeChars: 64,
  maxTitleChars: apiLimits.maxTitleChars,
  maxDescriptionChars: apiLimits.maxDescriptionChars,
  maxCategories: apiLimits.maxCategoriesPerItem,
  maxAttributes: apiLimits.maxPropertyKeys,
  maxAttributeValueChars: apiLimits.maxPropertyValueChars,
  defaultCount: apiLimits.defaultRecommendationCount,
  /**
   * Items a request may ask for: as many as a ranking may name, since the serving path asks for
   * more than a list holds and filters them against the live catalogue.
   */
  maxCount: 500,
} as const;

/** A 400 that names the field at fault; the response body carries `field` next to `reason` and `message`. */
export class InvalidFieldError extends InvalidRequestError {
  readonly field: string;
  constructor(reason: 'invalid_field' | 'unknown_field', field: string, message: string) {
    super(reason, message);
    this.field = field;
  }
}

/** `must be a string`, or a hint to leave the field out when the caller sent `null`. */
const expected =
  (what: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === null ? 'must not be null; leave the field out instead' : `must be ${what}`;

const id = (max: number) =>
  z
    .string({ error: expected('a string') })
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

const flag = z.boolean({ error: expected('true or false') }).optional();

const price = z
  .number({ error: expected('a number') })
  .min(0, { error: 'must not be negative' })
  .optional();

const recentItemSchema = z.strictObject({
  itemId: id(invocationLimits.maxIdChars),
  eventType: id(invocationLimits.maxEventTypeChars).optional(),
  timestamp: z
    .number({ error: expected('a number of epoch seconds') })
    .int({ error: 'must be a whole number of epoch seconds' })
    .min(0, { error: 'must not be negative' })
    .max(MAX_TIMESTAMP, { error: `must be epoch seconds up to ${MAX_TIMESTAMP} (milliseconds? divide by 1000)` })
    .optional(),
  weight: z.number({ error: expected('a number') }).optional(),
});

const text = (max: number) =>
  z.string({ error: expected('a string') }).max(max, { error: `must be at most ${max} characters` });

/** The text of the `similarTo` item as the live catalogue holds it, for an item the model was not trained on. */
const itemTextSchema = z.strictObject({
  title: text(invocationLimits.maxTitleChars).optional(),
  description: text(invocationLimits.maxDescriptionChars).optional(),
  categories: z
    .array(id(invocationLimits.maxCategoryChars), { error: expected('an array of categories') })
    .max(invocationLimits.maxCategories, { error: `must hold at most ${invocationLimits.maxCategories} categories` })
    .default([]),
  attributes: z
    .record(
      z.string().max(invocationLimits.maxCategoryChars, { error: 'names at most 128 characters long' }),
      z.union([text(invocationLimits.maxAttributeValueChars), z.number(), z.boolean()], {
        error: expected('a string, number or boolean'),
      }),
      { error: expected('an object of attribute values') },
    )
    .refine((attributes) => Object.keys(attributes).length <= invocationLimits.maxAttributes, {
      error: `must hold at most ${invocationLimits.maxAttributes} attributes`,
    })
    .optional(),
});

const filtersSchema = z
  .strictObject({
    excludeSeen: flag,
    excludePurchased: flag,
    category: id(invocationLimits.maxCategoryChars).optional(),
    inStockOnly: flag,
    minPrice: price,
    maxPrice: price,
    excludeItemIds: z
      .array(id(invocationLimits.maxIdChars), { error: expected('an array of item ids') })
      .max(invocationLimits.maxExcludedItems, { error: `must hold at most ${invocationLimits.maxExcludedItems} ids` })
      .optional(),
  })
  .refine((f) => f.minPrice === undefined || f.maxPrice === undefined || f.minPrice <= f.maxPrice, {
    path: ['maxPrice'],
    error: 'must not be below minPrice',
  });

/** Fields that say whose history to use; `similarTo` asks about an item instead. */
const SHOPPER_FIELDS = ['userId', 'recentItems', 'candidates'] as const;

export const invocationSchema = z
  .strictObject({
    userId: id(invocationLimits.maxIdChars).optional(),
    recentItems: z
      .array(recentItemSchema, { error: expected('an array of {itemId, eventType?, timestamp?, weight?}') })
      .max(invocationLimits.maxRecentItems, { error: `must hold at most ${invocationLimits.maxRecentItems} items` })
      .optional(),
    count: z
      .number({ error: expected(`an integer from 1 to ${invocationLimits.maxCount}`) })
      .int({ error: `must be an integer from 1 to ${invocationLimits.maxCount}` })
      .min(1, { error: `must be an integer from 1 to ${invocationLimits.maxCount}` })
      .max(invocationLimits.maxCount, { error: `must be an integer from 1 to ${invocationLimits.maxCount}` })
      .default(invocationLimits.defaultCount),
    filters: filtersSchema.optional(),
    candidates: z
      .array(id(invocationLimits.maxIdChars), { error: expected('an array of item ids') })
      .max(invocationLimits.maxCandidates, { error: `must hold at most ${invocationLimits.maxCandidates} ids` })
      .optional(),
    similarTo: id(invocationLimits.maxIdChars).optional(),
    similarToText: itemTextSchema.optional(),
  })
  .superRefine((request, context) => {
    if (request.similarTo === undefined) {
      if (request.similarToText !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['similarToText'],
          message: 'needs similarTo, the item it describes',
        });
      }
      return;
    }
    for (const field of SHOPPER_FIELDS) {
      if (request[field] !== undefined) {
        context.addIssue({ code: 'custom', path: [field], message: 'cannot be combined with similarTo' });
      }
    }
    for (const field of ['excludeSeen', 'excludePurchased'] as const) {
      if (request.filters?.[field] !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['filters', field],
          message: 'cannot be combined with similarTo (similar items know no shopper)',
        });
      }
    }
  });

export type InvocationRequest = z.output<typeof invocationSchema>;

const FIELDS = Object.keys(invocationSchema.shape).join(', ');

/** `recentItems[2].timestamp` from zod's `['recentItems', 2, 'timestamp']`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`),
    '',
  );
}

/** The first zod issue as a 400 naming its field. */
function rejection(issue: z.core.$ZodIssue): InvalidFieldError {
  if (issue.code === 'unrecognized_keys') {
    const field = fieldPath([...issue.path, issue.keys[0] ?? '']);
    const valid = issue.path.length === 0 ? `; valid fields: ${FIELDS}` : '';
    return new InvalidFieldError('unknown_field', field, `unknown field ${field}${valid}`);
  }
  const field = fieldPath(issue.path);
  return new InvalidFieldError('invalid_field', field, `${field}: ${issue.message}`);
}

/** Parses and checks a request body; throws an `InvalidRequestError` (400) on anything wrong. */
export function parseInvocation(body: string): InvocationRequest {
  if (body.trim() === '') {
    throw new InvalidRequestError('empty_body', 'request body is empty; send a JSON object such as {"userId": "u1"}');
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidRequestError('invalid_json', 'request body is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidRequestError('invalid_body', `request body must be a JSON object with the fields ${FIELDS}`);
  }
  const parsed = invocationSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue === undefined) throw new InvalidRequestError('invalid_body', 'request body is invalid');
  throw rejection(issue);
}

/** A loaded model and how responses name it. */
export interface ServingModel {
  readonly model: Model;
  readonly algorithm: AlgorithmName;
  readonly modelVersion: string;
}

/**
 * A {@link ScoredItem} as JSON carries it: the reason is null, not left out, when the model has
 * none (a candidate it does not know), so every item has the same keys.
 */
export type ScoredItemJson = Omit<ScoredItem, 'reason'> & { readonly reason: string | null };

export interface InvocationResponse {
  readonly modelVersion: string;
  readonly algorithm: AlgorithmName;
  readonly items: readonly ScoredItemJson[];
}

/** The model's query for a checked request (without `similarTo`). */
export function recommendationQuery(request: InvocationRequest): RecommendationQuery {
  return {
    ...(request.userId === undefined ? {} : { userId: request.userId }),
    ...(request.recentItems === undefined ? {} : { recentItems: request.recentItems }),
    count: request.count,
    ...(request.filters === undefined ? {} : { filters: request.filters }),
    ...(request.candidates === undefined ? {} : { candidates: request.candidates }),
  };
}

/**
 * Similar items of `similarTo`: from its text when the model was not trained on it and the
 * request carries the text, else the model's own (popular items for an item it knows nothing of).
 */
function similarItems(model: Model, request: InvocationRequest & { similarTo: string }): ScoredItem[] {
  const fromText =
    request.similarToText === undefined
      ? undefined
      : similarItemsFromText(model, request.similarTo, request.similarToText, request.count, request.filters);
  return fromText ?? model.similarItems(request.similarTo, request.count, request.filters);
}

/** Answers a checked request: similar items for `similarTo`, personalized ranking otherwise. */
export function invoke(serving: ServingModel, request: InvocationRequest): InvocationResponse {
  const items =
    request.similarTo === undefined
      ? serving.model.recommend(recommendationQuery(request))
      : similarItems(serving.model, { ...request, similarTo: request.similarTo });
  return {
    modelVersion: serving.modelVersion,
    algorithm: serving.algorithm,
    items: items.map((item) => ({ itemId: item.itemId, score: item.score, reason: item.reason ?? null })),
  };
}
