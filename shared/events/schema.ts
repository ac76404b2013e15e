import * as z from 'zod/mini';
import '../http/zodLocale.ts';
import { apiLimits, EVENT_TYPES, ITEM_EVENT_TYPES, type EventType } from '../config/index.ts';
import { flatRecord } from '../http/flatRecord.ts';
import { unaddressableId } from './ids.ts';

const id = (field: string) =>
  z.string({ error: `${field} must be a string` }).check(
    z.minLength(1, { error: `${field} must not be empty` }),
    z.maxLength(apiLimits.maxIdChars, {
      error: `${field} must be at most ${apiLimits.maxIdChars} characters`,
    }),
  );

/**
 * An id the API accepts: also one a URL can address, so a shopper the API accepted can always
 * be erased through `DELETE /v1/users/{userId}` (and an item deleted through its route).
 */
const addressableId = (field: string) =>
  id(field).check(
    z.superRefine((value, ctx) => {
      const problem = unaddressableId(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${field} ${problem}` });
    }),
  );

/*
 * The schemas below are built by calls marked pure (they only build objects), so a bundle that
 * takes nothing but `shopperKey` from this module leaves them out and never builds them at cold
 * start. `test/infra/bundles.test.ts` holds this.
 */
const propertyValue = /* @__PURE__ */ z.union(
  [
    z.string().check(
      z.maxLength(apiLimits.maxPropertyValueChars, {
        error: `property values must be at most ${apiLimits.maxPropertyValueChars} characters`,
      }),
    ),
    z.number(),
    z.boolean(),
    z.null(),
  ],
  { error: 'property values must be a string, number, boolean or null' },
);

/** One level of names the shop picks: any name is data, and no value nests. */
const properties = /* @__PURE__ */ flatRecord({
  field: 'properties',
  maxKeys: apiLimits.maxPropertyKeys,
  maxKeyChars: 64,
  value: propertyValue,
});

/** ISO 8601 with an offset, or epoch milliseconds; normalised to epoch milliseconds. */
const timestamp = /* @__PURE__ */ z
  .union([
    z.pipe(
      z.iso.datetime({ offset: true }),
      z.transform((iso: string) => Date.parse(iso)),
    ),
    z.int().check(z.positive(), z.maximum(8.64e15)),
  ])
  .check(
    z.refine((ms) => Number.isFinite(ms), {
      error: 'timestamp must be ISO 8601 or epoch milliseconds',
    }),
  );

const itemEventTypes: ReadonlySet<string> = /* @__PURE__ */ new Set(ITEM_EVENT_TYPES);

/**
 * A storefront event as the SDK sends it. Unknown fields are rejected (`strict`), so a typo
 * such as `itemID` fails loudly instead of silently losing the item. `idRule` is
 * {@link addressableId} at the API; the stream keeps the plain rule, so records written before
 * the API refused unaddressable ids (in the stream, in the lake) still read.
 */
const eventShapeWith = (idRule: typeof id) => ({
  eventId: idRule('eventId'),
  type: z.enum(EVENT_TYPES, {
    error: `type must be one of ${EVENT_TYPES.join(', ')}`,
  }),
  userId: z.optional(idRule('userId')),
  anonymousId: z.optional(idRule('anonymousId')),
  sessionId: z.optional(idRule('sessionId')),
  itemId: z.optional(idRule('itemId')),
  quantity: z.optional(z.int().check(z.minimum(1), z.maximum(10_000))),
  price: z.optional(z.number().check(z.minimum(0), z.maximum(1e9))),
  currency: z.optional(
    z.string().check(
      z.regex(/^[A-Z]{3}$/, {
        error: 'currency must be an ISO 4217 code such as EUR',
      }),
    ),
  ),
  query: z.optional(z.string().check(z.minLength(1), z.maxLength(apiLimits.maxQueryChars))),
  recommendationId: z.optional(idRule('recommendationId')),
  /** The items of a list that were shown: `impression` events only. */
  itemIds: z.optional(
    z.array(idRule('itemIds[]'), { error: 'itemIds must be an array of item ids' }).check(
      z.minLength(1, { error: 'itemIds must not be empty' }),
      z.maxLength(apiLimits.maxImpressionItems, {
        error: `itemIds may name at most ${apiLimits.maxImpressionItems} items; send several impression events`,
      }),
    ),
  ),
  timestamp,
  properties: z.optional(properties),
});

const eventShape = /* @__PURE__ */ eventShapeWith(id);

type EventShape = z.output<z.ZodMiniObject<typeof eventShape>>;

/** Cross-field rules shared by the API schema and the stream schema. */
function checkEventRules(event: Omit<EventShape, 'timestamp'>, ctx: z.core.$RefinementCtx): void {
  if (event.userId === undefined && event.anonymousId === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['userId'],
      message: 'userId or anonymousId is required',
    });
  }
  if (itemEventTypes.has(event.type) && event.itemId === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['itemId'],
      message: `itemId is required for ${event.type} events`,
    });
  }
  if (event.type === 'search' && event.query === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['query'],
      message: 'query is required for search events',
    });
  }
  if (event.type === 'identify' && (event.userId === undefined || event.anonymousId === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [event.userId === undefined ? 'userId' : 'anonymousId'],
      message: 'identify events need both userId and anonymousId',
    });
  }
  if (event.type === 'impression') {
    if (event.itemIds === undefined) {
      ctx.addIssue({ code: 'custom', path: ['itemIds'], message: 'itemIds is required for impression events' });
    }
    if (event.recommendationId === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['recommendationId'],
        message: 'recommendationId is required for impression events: the list whose items were shown',
      });
    }
  } else if (event.itemIds !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['itemIds'], message: 'itemIds is for impression events only' });
  }
  if (event.price !== undefined && event.currency === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['currency'],
      message: 'currency is required when price is given',
    });
  }
}

export const storefrontEventSchema = /* @__PURE__ */ z
  .strictObject(eventShapeWith(addressableId))
  .check(z.superRefine(checkEventRules));

export type StorefrontEventInput = z.input<typeof storefrontEventSchema>;
export type StorefrontEvent = z.output<typeof storefrontEventSchema>;

/**
 * The record written to the stream: the validated event, its timestamp in epoch ms,
 * and the server's receive time beside the client's.
 */
export const streamEventSchema = /* @__PURE__ */ z
  .strictObject({
    ...eventShape,
    timestamp: z.int(),
    receivedAt: z.int(),
  })
  .check(z.superRefine(checkEventRules));
export type StreamEvent = z.output<typeof streamEventSchema> & {
  type: EventType;
};

/** The identity features are keyed by: a signed-in user wins over an anonymous id. */
export function shopperKey(event: Pick<StreamEvent, 'userId' | 'anonymousId'>): string {
  if (event.userId !== undefined) return `u:${event.userId}`;
  if (event.anonymousId !== undefined) return `a:${event.anonymousId}`;
  throw new Error('event has neither userId nor anonymousId');
}
