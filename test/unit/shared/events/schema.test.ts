import { describe, expect, it } from 'vitest';
import { shopperKey, storefrontEventSchema, streamEventSchema } from '#shared/events/schema.ts';
import { validateEvent } from '#shared/events/validate.ts';

const RECEIVED_AT = Date.parse('2025-03-10T12:00:00.000Z');

describe('Function: shopperKey', () => {
  describe('identity', () => {
    it('returns u:<userId> for a signed-in shopper', () => {
      // Act
      const key = shopperKey({ userId: 'user-1' });

      // Assess
      expect(key).toBe('u:user-1');
    });

    it('returns a:<anonymousId> for an anonymous shopper', () => {
      // Act
      const key = shopperKey({ anonymousId: 'anon-1' });

      // Assess
      expect(key).toBe('a:anon-1');
    });

    it('returns the userId key when both ids are given', () => {
      // Act
      const key = shopperKey({ userId: 'user-1', anonymousId: 'anon-1' });

      // Assess
      expect(key).toBe('u:user-1');
    });

    it('throws when neither id is given', () => {
      // Act
      const act = () => shopperKey({});

      // Assess
      expect(act).toThrow(/neither userId nor anonymousId/);
    });
  });
});

describe('Schema: storefrontEventSchema', () => {
  describe('timestamp normalisation', () => {
    it('returns epoch ms for an ISO timestamp', () => {
      // Prepare
      const raw = { eventId: 'e1', type: 'view', userId: 'u1', itemId: 'sku-1', timestamp: '2025-03-10T12:00:00Z' };

      // Act
      const parsed = storefrontEventSchema.parse(raw);

      // Assess
      expect(parsed.timestamp).toBe(RECEIVED_AT);
    });
  });
});

describe('Schema: streamEventSchema', () => {
  describe('contract with the ingest validation', () => {
    it.each([
      { eventId: 'e1', type: 'view', userId: 'u1', itemId: 'sku-1', timestamp: '2025-03-10T11:00:00+00:00' },
      {
        eventId: 'e2',
        type: 'purchase',
        anonymousId: 'a1',
        itemId: 'sku-1',
        quantity: 2,
        price: 9.5,
        currency: 'USD',
        timestamp: RECEIVED_AT - 1,
        properties: { color: 'red' },
      },
      { eventId: 'e3', type: 'search', userId: 'u1', query: 'shoes', timestamp: RECEIVED_AT },
      { eventId: 'e4', type: 'identify', userId: 'u1', anonymousId: 'a1', timestamp: RECEIVED_AT },
    ])('returns the validated record of $type unchanged after a JSON round trip', (raw) => {
      // Prepare
      const validated = validateEvent(raw, RECEIVED_AT);
      if (!validated.ok) throw new Error(`fixture is invalid: ${validated.message}`);
      const wire = JSON.parse(JSON.stringify(validated.event)) as unknown;

      // Act
      const result = streamEventSchema.safeParse(wire);

      // Assess
      expect(result.success).toBe(true);
      expect(result.data).toEqual(validated.event);
    });

    it('returns an error for a stream record without receivedAt', () => {
      // Prepare
      const record = { eventId: 'e1', type: 'view', userId: 'u1', itemId: 'sku-1', timestamp: RECEIVED_AT };

      // Act
      const result = streamEventSchema.safeParse(record);

      // Assess
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['receivedAt']);
    });

    it('returns an error for a stream record whose timestamp is still an ISO string', () => {
      // Prepare
      const record = {
        eventId: 'e1',
        type: 'view',
        userId: 'u1',
        itemId: 'sku-1',
        timestamp: '2025-03-10T12:00:00Z',
        receivedAt: RECEIVED_AT,
      };

      // Act
      const result = streamEventSchema.safeParse(record);

      // Assess
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['timestamp']);
    });
  });
});

describe('Schema: storefrontEventSchema id rules (URL-addressable ids)', () => {
  const base = { eventId: 'e1', type: 'view', userId: 'u1', itemId: 'sku-1', timestamp: RECEIVED_AT };

  it.each([
    ['userId', '.'],
    ['userId', '..'],
    ['anonymousId', 'a\u0000b'],
    ['anonymousId', 'tab\there'],
    ['userId', 'del\u007f'],
    ['userId', 'c1\u0085'],
    ['itemId', 'bad\ufffd'],
    ['userId', 'lone\ud800'],
    ['userId', '\udc00trail'],
    ['eventId', '..'],
    ['sessionId', 'line\nbreak'],
    ['recommendationId', '\u009f'],
  ])('returns the event rejected per event, naming %s, for %j', (field, value) => {
    // Act
    const result = validateEvent({ ...base, [field]: value }, RECEIVED_AT);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'invalid_field', field });
    expect(result.ok ? '' : result.message).toMatch(new RegExp(`^${field}: ${field} must not`));
  });

  it.each(['...', 'a.b', '.hidden', 'ü-名前-😀', 'a/b?c#d%20', '\u00a0nbsp'])('returns %j accepted', (userId) => {
    // Act
    const result = validateEvent({ ...base, userId }, RECEIVED_AT);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('returns the stream schema still reading a record with such an id (written before the rule)', () => {
    // Act
    const parsed = streamEventSchema.safeParse({ ...base, userId: '..', receivedAt: RECEIVED_AT });

    // Assess
    expect(parsed.success).toBe(true);
  });
});

describe('Schema: storefrontEventSchema properties', () => {
  const base = { eventId: 'e1', type: 'view', userId: 'u1', itemId: 'sku-1', timestamp: RECEIVED_AT };

  it('returns properties named like Object.prototype members as own properties, in the stream record too', () => {
    // Prepare: as JSON.parse makes them, `__proto__` an own key.
    const properties = JSON.parse('{"__proto__": "a", "constructor": "b", "toString": 1, "hasOwnProperty": null}');

    // Act
    const result = validateEvent({ ...base, properties }, RECEIVED_AT);
    const record = result.ok ? streamEventSchema.parse(JSON.parse(JSON.stringify(result.event))) : undefined;

    // Assess
    expect(result.ok).toBe(true);
    for (const parsed of [result.ok ? result.event.properties : undefined, record?.properties]) {
      expect(Object.keys(parsed ?? {})).toEqual(['__proto__', 'constructor', 'toString', 'hasOwnProperty']);
      expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['a nested object', { a: { b: 1 } }, 'properties.a', 'property values must be a string, number, boolean or null'],
    ['a nested array', { a: [1] }, 'properties.a', 'property values must be a string, number, boolean or null'],
    ['a value too long', { a: 'x'.repeat(257) }, 'properties.a', 'property values must be at most 256 characters'],
    ['a name too long', { ['n'.repeat(65)]: 1 }, `properties.${'n'.repeat(65)}`, 'names must be at most 64 characters'],
    [
      '33 names',
      Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])),
      'properties',
      'properties may have at most 32 keys',
    ],
    ['an array', [1], 'properties', 'properties must be an object of names and values'],
  ])('returns the event with %s rejected as invalid_field naming the field', (_name, properties, field, message) => {
    // Act
    const result = validateEvent({ ...base, properties }, RECEIVED_AT);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'invalid_field', field, message: `${field}: ${message}` });
  });
});
