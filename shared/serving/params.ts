import * as z from 'zod/mini';
import '../http/zodLocale.ts';
import { apiLimits, serving } from '../config/index.ts';
import { InvalidRequestError } from '../errors.ts';
import { unaddressableId } from '../events/ids.ts';
import { fieldRejection, parseJsonObjectBody } from '../http/requestBody.ts';

/** What `exclude=` may name. */
export const EXCLUSIONS = ['purchased', 'viewed'] as const;
export type Exclusion = (typeof EXCLUSIONS)[number];

export const TRENDING_WINDOWS = ['1h', '24h'] as const;
export type TrendingWindow = (typeof TRENDING_WINDOWS)[number];

export interface ListOptions {
  readonly count: number;
  readonly category?: string;
  readonly exclude: readonly Exclusion[];
  readonly minPrice?: number;
  readonly maxPrice?: number;
  readonly inStockOnly: boolean;
}

type Query = Readonly<Record<string, string | undefined>> | null | undefined;

/** A parameter the client sent: own properties only, so a name such as `constructor` is never inherited. */
const param = (query: Query, name: string): string | undefined =>
  query !== null && query !== undefined && Object.hasOwn(query, name) ? query[name] : undefined;

function rejectUnknown(query: Query, allowed: readonly string[]): void {
  const unknown = Object.keys(query ?? {}).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    throw new InvalidRequestError(
      'unknown_parameter',
      allowed.length === 0
        ? `this route takes no query parameters; got ${unknown.join(', ')}`
        : `unknown query parameter(s): ${unknown.join(', ')}; allowed: ${allowed.join(', ')}`,
    );
  }
}

/** `count`: an integer in 1..max, default from the config. */
export function parseCount(raw: string | undefined): number {
  if (raw === undefined || raw === '') return apiLimits.defaultRecommendationCount;
  const count = Number(raw);
  if (!/^\d+$/.test(raw) || count < 1 || count > apiLimits.maxRecommendationCount) {
    throw new InvalidRequestError(
      'invalid_count',
      `count must be an integer from 1 to ${apiLimits.maxRecommendationCount}, got "${raw}"`,
    );
  }
  return count;
}

function parsePrice(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const price = Number(raw);
  if (!Number.isFinite(price) || price < 0 || !/^\d+(\.\d+)?$/.test(raw)) {
    throw new InvalidRequestError(
      `invalid_${name.replace(/[A-Z]/g, (l) => `_${l.toLowerCase()}`)}`,
      `${name} must be a non-negative number, got "${raw}"`,
    );
  }
  return price;
}

function parseCategory(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length > 64) throw new InvalidRequestError('invalid_category', 'category must be at most 64 characters');
  return raw;
}

/** The options of a request without a query string, per list of allowed parameters. */
const defaultOptions = new WeakMap<readonly string[], ListOptions>();

/** Query parameters of the list routes (`count`, `category`, `exclude`, prices, `inStock`). */
export function parseListOptions(query: Query, allowed: readonly string[]): ListOptions {
  // No query string (API Gateway's `null`): always the same options, so worked out once and shared.
  if (query === null || query === undefined) {
    let defaults = defaultOptions.get(allowed);
    if (defaults === undefined) {
      const parsed = parseQuery(undefined, allowed);
      defaults = Object.freeze({ ...parsed, exclude: Object.freeze([...parsed.exclude]) });
      defaultOptions.set(allowed, defaults);
    }
    return defaults;
  }
  return parseQuery(query, allowed);
}

function parseQuery(query: Query, allowed: readonly string[]): ListOptions {
  rejectUnknown(query, allowed);
  // Without `exclude`, what the shopper bought is left out; `exclude=` (empty) keeps everything.
  const exclude = (param(query, 'exclude') ?? (allowed.includes('exclude') ? 'purchased' : ''))
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');
  const wrong = exclude.filter((value) => !(EXCLUSIONS as readonly string[]).includes(value));
  if (wrong.length > 0) {
    throw new InvalidRequestError(
      'invalid_exclude',
      `exclude may list ${EXCLUSIONS.join(', ')}; got "${wrong.join(', ')}"`,
    );
  }
  const minPrice = parsePrice('minPrice', param(query, 'minPrice'));
  const maxPrice = parsePrice('maxPrice', param(query, 'maxPrice'));
  if (minPrice !== undefined && maxPrice !== undefined && minPrice > maxPrice) {
    throw new InvalidRequestError('invalid_price_range', `minPrice ${minPrice} is above maxPrice ${maxPrice}`);
  }
  const inStock = param(query, 'inStock');
  if (inStock !== undefined && inStock !== 'true' && inStock !== 'false') {
    throw new InvalidRequestError('invalid_in_stock', `inStock must be true or false, got "${inStock}"`);
  }
  const category = parseCategory(param(query, 'category'));
  return {
    count: parseCount(param(query, 'count')),
    exclude: [...new Set(exclude as Exclusion[])],
    inStockOnly: inStock === 'true',
    ...(category === undefined ? {} : { category }),
    ...(minPrice === undefined ? {} : { minPrice }),
    ...(maxPrice === undefined ? {} : { maxPrice }),
  };
}

export const USER_LIST_PARAMETERS = ['count', 'category', 'exclude', 'minPrice', 'maxPrice', 'inStock'] as const;
export const SIMILAR_PARAMETERS = ['count', 'category', 'minPrice', 'maxPrice', 'inStock'] as const;
export const TRENDING_PARAMETERS = ['count', 'category', 'window', 'minPrice', 'maxPrice', 'inStock'] as const;

export function parseTrendingWindow(query: Query): TrendingWindow {
  const window = param(query, 'window') ?? '24h';
  if (!(TRENDING_WINDOWS as readonly string[]).includes(window)) {
    throw new InvalidRequestError(
      'invalid_window',
      `window must be one of ${TRENDING_WINDOWS.join(', ')}, got "${window}"`,
    );
  }
  return window as TrendingWindow;
}

/** An id as events and items must have it, so a ranking names the same shopper and items they do. */
const rankingId = (field: string) =>
  z.string().check(
    z.minLength(1),
    z.maxLength(apiLimits.maxIdChars),
    z.superRefine((value, ctx) => {
      const problem = unaddressableId(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${field} ${problem}` });
    }),
  );

const rankingSchema = z.strictObject({
  userId: rankingId('userId'),
  itemIds: z
    .array(rankingId('itemId'), { error: 'itemIds must be an array of item ids' })
    .check(
      z.minLength(1, { error: 'itemIds must not be empty' }),
      z.maxLength(serving.maxRankingItems, { error: `at most ${serving.maxRankingItems} itemIds` }),
    ),
});
export type RankingRequest = z.output<typeof rankingSchema>;

/** Body of `POST /v1/rankings`. */
export function parseRankingRequest(body: string | null | undefined, query?: Query): RankingRequest {
  // Everything a ranking takes is in its body; a query parameter (`?count=`) would be silently ignored.
  rejectUnknown(query, []);
  const json = parseJsonObjectBody(body, { shape: '{"userId": "...", "itemIds": [...]}' });
  const parsed = rankingSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const rejection = issue ? fieldRejection(json, issue) : undefined;
    const tooMany = issue?.code === 'too_big' && issue.path.length === 1 && issue.path[0] === 'itemIds';
    throw new InvalidRequestError(
      tooMany ? 'too_many_items' : (rejection?.reason ?? 'invalid_field'),
      rejection?.message ?? 'invalid ranking request',
    );
  }
  return parsed.data;
}
