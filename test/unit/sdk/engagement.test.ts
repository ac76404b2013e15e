import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiLimits } from '#shared/config/index.ts';
import { validateEvent } from '#shared/events/validate.ts';
import { memoryStorage } from '../../../sdk/index.ts';
import { FakeFetch, listBody } from './fakes.ts';
import { setup } from './helpers.ts';

const api = () =>
  new FakeFetch((call) =>
    call.url.includes('/v1/events')
      ? { status: 200, body: { accepted: call.json.events?.length ?? 0, rejected: [] } }
      : { status: 200, body: { ...listBody, items: [{ itemId: 'sku-1', score: 1, reason: 'r' }] } },
  );

describe('SDK page views and impressions', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('sends a page view with the path of the page, and the item of a product page', async () => {
    // Prepare
    vi.stubGlobal('location', { pathname: '/p/sku-1' });
    const { client, fake, clock } = setup({ fake: api() });
    // Act
    client.page({ itemId: 'sku-1', properties: { title: 'Shoe' } });
    client.page();
    await client.flush();
    // Assess
    expect(fake.events).toMatchObject([
      { type: 'page_view', itemId: 'sku-1', properties: { path: '/p/sku-1', title: 'Shoe' } },
      { type: 'page_view', properties: { path: '/p/sku-1' } },
    ]);
    for (const event of fake.events) expect(validateEvent(event, clock.now())).toMatchObject({ ok: true });
  });

  it('sends the items shown as impression events of at most the API limit, each id once', async () => {
    // Prepare
    const { client, fake, clock } = setup({ fake: api() });
    const shown = Array.from({ length: 120 }, (_, i) => `i${i}`);
    // Act
    const ids = client.impressions('rec-1', [...shown, 'i0']);
    await client.flush();
    // Assess
    expect(ids).toHaveLength(3);
    expect(fake.events.map((e) => (e.itemIds as string[]).length)).toEqual([50, 50, 20]);
    expect(fake.events.flatMap((e) => e.itemIds)).toEqual(shown);
    expect(fake.events.every((e) => e.type === 'impression' && e.recommendationId === 'rec-1')).toBe(true);
    expect(apiLimits.maxImpressionItems).toBe(50);
    for (const event of fake.events) expect(validateEvent(event, clock.now())).toMatchObject({ ok: true });
  });
});

describe('SDK attribution by itself', () => {
  it("attaches a list's recommendationId to later events on its items, on this page and the next", async () => {
    // Prepare
    const storage = memoryStorage();
    const first = setup({ fake: api(), storage });
    await first.client.recommendations();
    // Act
    first.client.track.click('sku-1');
    first.client.track.view('sku-9');
    first.client.track.addToCart('sku-1', { recommendationId: 'rec-given' });
    await first.client.flush();
    const next = setup({ fake: api(), storage });
    next.client.track.view('sku-1');
    await next.client.flush();
    // Assess
    expect(first.fake.events.map((e) => [e.itemId, e.recommendationId])).toEqual([
      ['sku-1', listBody.recommendationId],
      ['sku-9', undefined],
      ['sku-1', 'rec-given'],
    ]);
    expect(next.fake.events[0]).toMatchObject({ itemId: 'sku-1', recommendationId: listBody.recommendationId });
  });

  it('forgets a list after the attribution window of 24 hours', async () => {
    // Prepare
    const { client, fake, clock } = setup({ fake: api() });
    await client.recommendations();
    // Act
    await clock.advance(24 * 60 * 60 * 1000 + 1);
    client.track.view('sku-1');
    await client.flush();
    // Assess
    expect(fake.events.find((e) => e.type === 'view')).not.toHaveProperty('recommendationId');
  });
});
