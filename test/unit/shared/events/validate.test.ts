import { describe, expect, it } from 'vitest';
import { apiLimits } from '#shared/config/index.ts';
import { validateEvent } from '#shared/events/validate.ts';

const RECEIVED_AT = Date.parse('2025-03-10T12:00:00.000Z');

/** A valid `view` event; override or add fields per test. */
const view = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  eventId: 'evt-1',
  type: 'view',
  userId: 'user-1',
  itemId: 'sku-1',
  timestamp: RECEIVED_AT - 1_000,
  ...overrides,
});

/** `view` without one field. */
const viewWithout = (field: string): Record<string, unknown> => {
  const { [field]: _removed, ...rest } = view();
  return rest;
};

describe('Function: validateEvent', () => {
  describe('valid events', () => {
    it.each([
      ['view', { type: 'view', itemId: 'sku-1' }],
      ['click', { type: 'click', itemId: 'sku-1', recommendationId: 'rec-1' }],
      ['add_to_cart', { type: 'add_to_cart', itemId: 'sku-1', quantity: 2 }],
      ['remove_from_cart', { type: 'remove_from_cart', itemId: 'sku-1', quantity: 1 }],
      ['purchase', { type: 'purchase', itemId: 'sku-1', quantity: 3, price: 19.99, currency: 'EUR' }],
      ['search', { type: 'search', query: 'red running shoes' }],
      ['identify', { type: 'identify', userId: 'user-1', anonymousId: 'anon-1' }],
    ])('returns ok with the event for a %s event', (_type, fields) => {
      // Prepare
      const raw = { eventId: 'evt-1', userId: 'user-1', timestamp: RECEIVED_AT - 1_000, ...fields };

      // Act
      const result = validateEvent(raw, RECEIVED_AT);

      // Assess
      expect(result).toEqual({ ok: true, event: { ...raw, receivedAt: RECEIVED_AT } });
    });

    it('returns ok for an anonymous shopper without userId', () => {
      // Prepare
      const raw = { ...viewWithout('userId'), anonymousId: 'anon-1', sessionId: 'sess-1' };

      // Act
      const result = validateEvent(raw, RECEIVED_AT);

      // Assess
      expect(result).toEqual({ ok: true, event: { ...raw, receivedAt: RECEIVED_AT } });
    });

    it('returns ok with properties of every allowed value type', () => {
      // Prepare
      const properties = { color: 'red', size: 42, onSale: true, coupon: null };
      const raw = view({ properties });

      // Act
      const result = validateEvent(raw, RECEIVED_AT);

      // Assess
      expect(result).toEqual({ ok: true, event: { ...raw, receivedAt: RECEIVED_AT } });
    });

    it('returns the server receive time as receivedAt beside the client timestamp', () => {
      // Prepare
      const clientTimestamp = RECEIVED_AT - 60_000;

      // Act
      const result = validateEvent(view({ timestamp: clientTimestamp }), RECEIVED_AT);

      // Assess
      expect(result.ok && result.event.receivedAt).toBe(RECEIVED_AT);
      expect(result.ok && result.event.timestamp).toBe(clientTimestamp);
    });

    it('returns without mutating the input', () => {
      // Prepare
      const raw = view();
      const snapshot = structuredClone(raw);

      // Act
      validateEvent(raw, RECEIVED_AT);

      // Assess
      expect(raw).toEqual(snapshot);
    });
  });

  describe('timestamps', () => {
    it('returns an ISO 8601 UTC timestamp normalised to epoch ms', () => {
      // Act
      const result = validateEvent(view({ timestamp: '2025-03-10T11:59:59.123Z' }), RECEIVED_AT);

      // Assess
      expect(result.ok && result.event.timestamp).toBe(Date.UTC(2025, 2, 10, 11, 59, 59, 123));
    });

    it('returns an ISO 8601 timestamp with an offset normalised to epoch ms in UTC', () => {
      // Act
      const result = validateEvent(view({ timestamp: '2025-03-10T12:30:00+01:00' }), RECEIVED_AT);

      // Assess
      expect(result.ok && result.event.timestamp).toBe(Date.UTC(2025, 2, 10, 11, 30, 0));
    });

    it('returns an epoch-ms timestamp unchanged', () => {
      // Prepare
      const epochMs = RECEIVED_AT - 12_345;

      // Act
      const result = validateEvent(view({ timestamp: epochMs }), RECEIVED_AT);

      // Assess
      expect(result.ok && result.event.timestamp).toBe(epochMs);
    });

    it('returns ok at exactly the allowed future skew', () => {
      // Act
      const result = validateEvent(view({ timestamp: RECEIVED_AT + apiLimits.maxClockSkewFutureMs }), RECEIVED_AT);

      // Assess
      expect(result.ok).toBe(true);
    });

    it('returns timestamp_in_future one ms beyond the allowed future skew', () => {
      // Act
      const result = validateEvent(view({ timestamp: RECEIVED_AT + apiLimits.maxClockSkewFutureMs + 1 }), RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'timestamp_in_future', field: 'timestamp' });
    });

    it('returns timestamp_in_future for an ISO timestamp too far ahead', () => {
      // Prepare
      const ahead = new Date(RECEIVED_AT + 10 * 60 * 1000).toISOString();

      // Act
      const result = validateEvent(view({ timestamp: ahead }), RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'timestamp_in_future', field: 'timestamp' });
    });

    it('returns ok at exactly the maximum event age', () => {
      // Act
      const result = validateEvent(view({ timestamp: RECEIVED_AT - apiLimits.maxEventAgeMs }), RECEIVED_AT);

      // Assess
      expect(result.ok).toBe(true);
    });

    it('returns timestamp_too_old one ms beyond the maximum event age', () => {
      // Act
      const result = validateEvent(view({ timestamp: RECEIVED_AT - apiLimits.maxEventAgeMs - 1 }), RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'timestamp_too_old', field: 'timestamp' });
    });

    it.each([
      ['a word', 'yesterday'],
      ['an ISO string without offset', '2025-03-10T12:00:00'],
      ['a date only', '2025-03-10'],
      ['an impossible date', '2025-02-30T12:00:00Z'],
      ['a fractional epoch', RECEIVED_AT - 0.5],
      ['zero', 0],
      ['a negative epoch', -1],
      ['a boolean', true],
    ])('returns invalid_field timestamp for %s', (_label, timestamp) => {
      // Act
      const result = validateEvent(view({ timestamp }), RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'invalid_field', field: 'timestamp' });
    });

    it('returns missing_field timestamp when it is absent', () => {
      // Act
      const result = validateEvent(viewWithout('timestamp'), RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'missing_field', field: 'timestamp' });
    });
  });

  describe('not an object', () => {
    it.each([
      ['an array', [view()]],
      ['a string', 'view'],
      ['null', null],
      ['a number', 42],
      ['undefined', undefined],
    ])('returns not_an_object for %s', (_label, raw) => {
      // Act
      const result = validateEvent(raw, RECEIVED_AT);

      // Assess
      expect(result).toEqual({ ok: false, reason: 'not_an_object', message: expect.any(String) });
    });
  });

  describe('unknown fields', () => {
    it('returns unknown_field naming a misspelt field', () => {
      // Prepare
      const { itemId, ...rest } = view();
      const raw = { ...rest, itemID: itemId };

      // Act
      const result = validateEvent(raw, RECEIVED_AT);

      // Assess
      expect(result).toEqual({
        ok: false,
        reason: 'unknown_field',
        field: 'itemID',
        message: expect.stringContaining('itemID'),
      });
    });

    it('returns unknown_field for an extra field beside a complete event', () => {
      // Act
      const result = validateEvent(view({ color: 'red' }), RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'unknown_field', field: 'color' });
    });

    it('returns unknown_field for receivedAt sent by the client', () => {
      // Act
      const result = validateEvent(view({ receivedAt: RECEIVED_AT }), RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'unknown_field', field: 'receivedAt' });
    });
  });

  describe('missing fields', () => {
    it.each(['view', 'click', 'add_to_cart', 'remove_from_cart', 'purchase'])(
      'returns missing_field itemId for a %s event without itemId',
      (type) => {
        // Prepare
        const raw = { ...viewWithout('itemId'), type };

        // Act
        const result = validateEvent(raw, RECEIVED_AT);

        // Assess
        expect(result).toEqual({
          ok: false,
          reason: 'missing_field',
          field: 'itemId',
          message: expect.stringContaining('itemId'),
        });
      },
    );

    it('returns missing_field userId when neither userId nor anonymousId is given', () => {
      // Act
      const result = validateEvent(viewWithout('userId'), RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'missing_field', field: 'userId' });
    });

    it('returns missing_field query for a search without query', () => {
      // Prepare
      const raw = { eventId: 'evt-1', type: 'search', userId: 'user-1', timestamp: RECEIVED_AT };

      // Act
      const result = validateEvent(raw, RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'missing_field', field: 'query' });
    });

    it('returns missing_field anonymousId for an identify with only userId', () => {
      // Prepare
      const raw = { eventId: 'evt-1', type: 'identify', userId: 'user-1', timestamp: RECEIVED_AT };

      // Act
      const result = validateEvent(raw, RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'missing_field', field: 'anonymousId' });
    });

    it('returns missing_field userId for an identify with only anonymousId', () => {
      // Prepare
      const raw = { eventId: 'evt-1', type: 'identify', anonymousId: 'anon-1', timestamp: RECEIVED_AT };

      // Act
      const result = validateEvent(raw, RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'missing_field', field: 'userId' });
    });

    it('returns missing_field currency when price is given without currency', () => {
      // Act
      const result = validateEvent(view({ type: 'purchase', price: 10 }), RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'missing_field', field: 'currency' });
    });

    it.each(['eventId', 'type'])('returns missing_field %s when it is absent', (field) => {
      // Act
      const result = validateEvent(viewWithout(field), RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'missing_field', field });
    });
  });

  describe('invalid fields', () => {
    it.each([
      ['a lower-case currency', { type: 'purchase', price: 10, currency: 'eur' }, 'currency'],
      ['a currency of the wrong length', { type: 'purchase', price: 10, currency: 'EURO' }, 'currency'],
      ['an unknown type', { type: 'like' }, 'type'],
      ['a type that is not a string', { type: 3 }, 'type'],
      ['a negative quantity', { type: 'purchase', quantity: -1, price: 1, currency: 'EUR' }, 'quantity'],
      ['a zero quantity', { type: 'add_to_cart', quantity: 0 }, 'quantity'],
      ['a fractional quantity', { type: 'add_to_cart', quantity: 1.5 }, 'quantity'],
      ['a negative price', { type: 'purchase', price: -1, currency: 'EUR' }, 'price'],
      ['an empty eventId', { eventId: '' }, 'eventId'],
      ['a numeric userId', { userId: 42 }, 'userId'],
      ['a null userId', { userId: null }, 'userId'],
      ['an empty search query', { type: 'search', query: '' }, 'query'],
      ['an over-long query', { type: 'search', query: 'q'.repeat(apiLimits.maxQueryChars + 1) }, 'query'],
      ['properties that are an array', { properties: ['red'] }, 'properties'],
    ])('returns invalid_field for %s', (_label, overrides, field) => {
      // Act
      const result = validateEvent(view(overrides), RECEIVED_AT);

      // Assess
      expect(result).toEqual({
        ok: false,
        reason: 'invalid_field',
        field,
        message: expect.stringContaining(field),
      });
    });

    it.each(['eventId', 'userId', 'anonymousId', 'sessionId', 'itemId', 'recommendationId'])(
      'returns invalid_field %s when it is longer than maxIdChars',
      (field) => {
        // Prepare
        const raw = view({ [field]: 'x'.repeat(apiLimits.maxIdChars + 1) });

        // Act
        const result = validateEvent(raw, RECEIVED_AT);

        // Assess
        expect(result).toMatchObject({ ok: false, reason: 'invalid_field', field });
      },
    );

    it('returns ok for an id of exactly maxIdChars', () => {
      // Act
      const result = validateEvent(view({ userId: 'x'.repeat(apiLimits.maxIdChars) }), RECEIVED_AT);

      // Assess
      expect(result.ok).toBe(true);
    });

    it('returns invalid_field properties when there are more than maxPropertyKeys', () => {
      // Prepare
      const properties = Object.fromEntries(
        Array.from({ length: apiLimits.maxPropertyKeys + 1 }, (_, i) => [`key${i}`, i]),
      );

      // Act
      const result = validateEvent(view({ properties }), RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'invalid_field', field: 'properties' });
    });

    it('returns ok with exactly maxPropertyKeys properties', () => {
      // Prepare
      const properties = Object.fromEntries(
        Array.from({ length: apiLimits.maxPropertyKeys }, (_, i) => [`key${i}`, i]),
      );

      // Act
      const result = validateEvent(view({ properties }), RECEIVED_AT);

      // Assess
      expect(result.ok).toBe(true);
    });

    it('returns invalid_field naming the property whose value is too long', () => {
      // Prepare
      const properties = { color: 'red', note: 'n'.repeat(apiLimits.maxPropertyValueChars + 1) };

      // Act
      const result = validateEvent(view({ properties }), RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'invalid_field', field: 'properties.note' });
    });

    it('returns invalid_field naming a property whose value is a nested object', () => {
      // Prepare
      const properties = { dimensions: { width: 10 } };

      // Act
      const result = validateEvent(view({ properties }), RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'invalid_field', field: 'properties.dimensions' });
    });

    it('returns invalid_field naming a property whose value is an array', () => {
      // Act
      const result = validateEvent(view({ properties: { tags: ['a', 'b'] } }), RECEIVED_AT);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'invalid_field', field: 'properties.tags' });
    });
  });

  describe('size limit', () => {
    it('returns event_too_large for an event over maxEventBytes', () => {
      // Prepare
      const raw = view({ properties: { note: 'n'.repeat(apiLimits.maxEventBytes) } });

      // Act
      const result = validateEvent(raw, RECEIVED_AT);

      // Assess
      expect(result).toEqual({ ok: false, reason: 'event_too_large', message: expect.stringContaining('bytes') });
    });

    it('returns event_too_large when multi-byte characters push the UTF-8 size over the limit', () => {
      // Prepare: 'é' is 2 bytes, so the character count stays under the limit while the bytes do not.
      const padding = 'é'.repeat(apiLimits.maxEventBytes / 2);
      const raw = view({ unknownPadding: padding });

      // Act
      const result = validateEvent(raw, RECEIVED_AT);

      // Assess
      expect(JSON.stringify(raw).length).toBeLessThan(apiLimits.maxEventBytes);
      expect(result).toMatchObject({ ok: false, reason: 'event_too_large' });
    });
  });
});
