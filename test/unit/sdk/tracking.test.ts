import { describe, expect, it, vi } from 'vitest';
import { apiLimits } from '#shared/config/index.ts';
import type { StorefrontEventInput } from '#shared/events/schema.ts';
import { validateEvent } from '#shared/events/validate.ts';
import { memoryStorage, RecoValidationError, type RecoEvent } from '../../../sdk/index.ts';
import { setup } from './helpers.ts';

// Compile-time: what the SDK sends is what the API's schema takes.
const _wireShape: (event: RecoEvent) => StorefrontEventInput = ({ itemIds, ...event }) => ({
  ...event,
  ...(itemIds ? { itemIds: [...itemIds] } : {}),
});

describe('SDK tracking: event shape', () => {
  it('sends events the API validates, with eventId, anonymousId, session and timestamp', async () => {
    // Prepare
    const { client, fake, clock } = setup();
    // Act
    const viewId = client.track.view('sku-1', { properties: { page: 'pdp' } });
    client.track.click('sku-1', { recommendationId: 'rec-9' });
    client.track.addToCart('sku-1', { quantity: 2, price: 19.9, currency: 'EUR' });
    client.track.removeFromCart('sku-1');
    client.track.purchase('sku-1', { quantity: 1, price: 19.9, currency: 'EUR' });
    client.track.search('red shoes');
    await client.flush();
    // Assess
    const sent = fake.events;
    expect(sent.map((e) => e.type)).toEqual(['view', 'click', 'add_to_cart', 'remove_from_cart', 'purchase', 'search']);
    expect(sent[0]).toMatchObject({
      eventId: viewId,
      itemId: 'sku-1',
      anonymousId: client.anonymousId,
      timestamp: clock.now(),
      properties: { page: 'pdp' },
    });
    expect(new Set(sent.map((e) => e.eventId)).size).toBe(sent.length);
    expect(new Set(sent.map((e) => e.sessionId)).size).toBe(1);
    expect(sent[1]).toMatchObject({ recommendationId: 'rec-9' });
    for (const event of sent) expect(validateEvent(event, clock.now())).toMatchObject({ ok: true });
  });

  it('sends a whole order as one purchase event per line sharing the currency and orderId', async () => {
    // Prepare
    const { client, fake } = setup();
    // Act
    const ids = client.track.purchaseOrder({
      orderId: 'o-1',
      currency: 'EUR',
      items: [
        { itemId: 'a', quantity: 2, price: 5 },
        { itemId: 'b', recommendationId: 'rec-2' },
      ],
    });
    await client.flush();
    // Assess
    expect(ids).toHaveLength(2);
    expect(fake.events).toMatchObject([
      { type: 'purchase', itemId: 'a', quantity: 2, price: 5, currency: 'EUR', properties: { orderId: 'o-1' } },
      { type: 'purchase', itemId: 'b', recommendationId: 'rec-2', properties: { orderId: 'o-1' } },
    ]);
    expect(fake.events[1]).not.toHaveProperty('currency');
  });

  it('tags a recommendation click with its recommendationId for attribution', async () => {
    // Prepare
    const { client, fake } = setup();
    // Act
    client.trackRecommendationClick('rec-42', 'sku-7');
    await client.flush();
    // Assess
    expect(fake.events).toMatchObject([{ type: 'click', itemId: 'sku-7', recommendationId: 'rec-42' }]);
  });
});

describe('SDK tracking: identity', () => {
  it('persists the anonymous id through storage and makes a new one for new storage', () => {
    // Prepare
    const storage = memoryStorage();
    // Act
    const first = setup({ storage }).client.anonymousId;
    const again = setup({ storage }).client.anonymousId;
    const other = setup().client.anonymousId;
    // Assess
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it('links the anonymous id on identify, once, and carries the userId on later events', async () => {
    // Prepare
    const storage = memoryStorage();
    const { client, fake } = setup({ storage });
    client.track.view('before');
    // Act
    client.identify('user-1', { userToken: 'token-1' });
    client.identify('user-1');
    client.track.view('after');
    await client.flush();
    const reloaded = setup({ storage, userToken: 'token-2' }).client;
    // Assess
    expect(fake.events.map((e) => [e.type, e.userId, e.anonymousId])).toEqual([
      ['view', undefined, client.anonymousId],
      ['identify', 'user-1', client.anonymousId],
      ['view', 'user-1', client.anonymousId],
    ]);
    expect(reloaded.userId).toBe('user-1');
  });

  it('forgets the user and starts a new anonymous id and session on reset', async () => {
    // Prepare
    const { client, fake } = setup();
    client.identify('user-1', { userToken: 'token-1' });
    const oldAnonymous = client.anonymousId;
    // Act
    client.reset();
    client.track.view('x');
    await client.flush();
    // Assess
    const [identify, view] = fake.events;
    expect(client.userId).toBeUndefined();
    expect(view).toMatchObject({ anonymousId: client.anonymousId });
    expect(view).not.toHaveProperty('userId');
    expect(client.anonymousId).not.toBe(oldAnonymous);
    expect(view?.sessionId).not.toBe(identify?.sessionId);
  });

  it('keeps the session across events and starts a new one after 30 idle minutes', async () => {
    // Prepare
    const { client, fake, clock } = setup();
    // Act
    client.track.view('a');
    await clock.advance(29 * 60 * 1000);
    client.track.view('b');
    await clock.advance(31 * 60 * 1000);
    client.track.view('c');
    await client.flush();
    // Assess
    const [a, b, c] = fake.events.map((e) => e.sessionId);
    expect(b).toBe(a);
    expect(c).not.toBe(b);
  });
});

describe('SDK tracking: invalid input is reported and dropped, never thrown', () => {
  const cases: [string, (c: ReturnType<typeof setup>['client']) => unknown, string][] = [
    ['view without itemId', (c) => c.track.view(undefined as unknown as string), 'itemId'],
    ['view with a numeric itemId', (c) => c.track.view(123 as unknown as string), 'itemId'],
    ['view with a blank itemId', (c) => c.track.view('   '), 'itemId'],
    ['click with an empty itemId', (c) => c.track.click(''), 'itemId'],
    ['an itemId over the id limit', (c) => c.track.view('x'.repeat(apiLimits.maxIdChars + 1)), 'itemId'],
    ['price without currency', (c) => c.track.addToCart('a', { price: 3 }), 'currency'],
    ['a price that is no number', (c) => c.track.purchase('a', { price: '3' as never, currency: 'EUR' }), 'price'],
    ['a fractional quantity', (c) => c.track.purchase('a', { quantity: 1.5 }), 'quantity'],
    ['a misspelled option', (c) => c.track.view('a', { recomendationId: 'r' } as never), 'recomendationId'],
    ['an empty search', (c) => c.track.search('  '), 'query'],
    ['a nested property', (c) => c.track.view('a', { properties: { x: {} as unknown as string } }), 'properties.x'],
    ['an empty order', (c) => c.track.purchaseOrder({ items: [] }), 'items'],
    ['an order line without itemId', (c) => c.track.purchaseOrder({ items: [{ itemId: '' }] }), 'itemId'],
    ['identify without userId', (c) => c.identify(''), 'userId'],
    ['identify without a user token', (c) => c.identify('u1'), 'userToken'],
    ['identify with an empty user token', (c) => c.identify('u1', { userToken: '' }), 'userToken'],
    ['identify with a token that is no header value', (c) => c.identify('u1', { userToken: 'a\nb' }), 'userToken'],
    ['a click without recommendationId', (c) => c.trackRecommendationClick('', 'a'), 'recommendationId'],
    ['impressions without items', (c) => c.impressions('rec-1', []), 'itemIds'],
    ['a page view with an unknown option', (c) => c.page({ url: '/x' } as never), 'url'],
  ];

  it.each(cases)('reports invalid_event naming the field for %s, and queues nothing', (_, call, field) => {
    // Prepare
    const { client, errors } = setup();
    // Act
    const result = call(client);
    // Assess
    expect(result === undefined || (Array.isArray(result) && result.length === 0)).toBe(true);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'invalid_event', events: 0 });
    expect(errors[0]?.error).toBeInstanceOf(RecoValidationError);
    expect(errors[0]?.error).toMatchObject({ field, reason: 'invalid_input' });
    expect(errors[0]?.error.message).toContain(field);
    expect(client.pendingEvents).toBe(0);
  });

  it('warns on the console without onError, and never throws', () => {
    // Prepare
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { client } = setup({ onError: undefined });
    // Act
    const id = client.track.view(42 as unknown as string);
    // Assess
    expect(id).toBeUndefined();
    expect(warn).toHaveBeenCalledWith('reco invalid_event:', expect.stringContaining('itemId'));
    warn.mockRestore();
  });

  it('drops undefined property values instead of refusing the event', async () => {
    // Prepare
    const { client, fake, errors } = setup();
    // Act
    client.track.view('a', { properties: { x: undefined, y: 1 } });
    await client.flush();
    // Assess
    expect(errors).toEqual([]);
    expect(fake.events[0]?.properties).toEqual({ y: 1 });
  });

  it('rejects an event over the per-event byte limit before queueing it', () => {
    // Prepare
    const { client, errors } = setup();
    const properties = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, 'x'.repeat(256)]));
    // Act
    client.track.view('a', { properties });
    // Assess
    expect(errors[0]?.error.message).toMatch(/event is \d+ bytes as JSON; the limit is 8192/);
    expect(client.pendingEvents).toBe(0);
  });
});
