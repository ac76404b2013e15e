import { describe, expect, it } from 'vitest';
import { apiLimits, ITEM_EVENT_TYPES } from '#shared/config/index.ts';
import type { StreamEvent } from '#shared/events/schema.ts';
import { validateEvent } from '#shared/events/validate.ts';
import { interactionsCsv } from '#shared/lake/trainingExport.ts';

const RECEIVED_AT = Date.parse('2025-03-10T12:00:00.000Z');
const base = { eventId: 'e-1', anonymousId: 'a-1', timestamp: RECEIVED_AT };

describe('Event types: page_view and impression', () => {
  it('takes a page view with or without an item', () => {
    // Act
    const bare = validateEvent({ ...base, type: 'page_view', properties: { path: '/shoes' } }, RECEIVED_AT);
    const product = validateEvent({ ...base, type: 'page_view', itemId: 'sku-1' }, RECEIVED_AT);
    // Assess
    expect(bare).toMatchObject({ ok: true });
    expect(product).toMatchObject({ ok: true });
  });

  it('takes an impression naming the list and the items shown', () => {
    // Act
    const result = validateEvent(
      { ...base, type: 'impression', recommendationId: 'rec-1', itemIds: ['sku-1', 'sku-2'] },
      RECEIVED_AT,
    );
    // Assess
    expect(result).toMatchObject({ ok: true, event: { itemIds: ['sku-1', 'sku-2'] } });
  });

  it.each([
    ['without itemIds', { recommendationId: 'rec-1' }, 'itemIds'],
    ['without recommendationId', { itemIds: ['sku-1'] }, 'recommendationId'],
    ['with an empty itemIds', { recommendationId: 'rec-1', itemIds: [] }, 'itemIds'],
    [
      'with more items than one event may name',
      {
        recommendationId: 'rec-1',
        itemIds: Array.from({ length: apiLimits.maxImpressionItems + 1 }, (_, i) => `i${i}`),
      },
      'itemIds',
    ],
  ])('rejects an impression %s', (_, fields, field) => {
    // Act
    const result = validateEvent({ ...base, type: 'impression', ...fields }, RECEIVED_AT);
    // Assess
    expect(result).toMatchObject({ ok: false, field });
  });

  it('rejects itemIds on any other event type', () => {
    // Act
    const result = validateEvent({ ...base, type: 'view', itemId: 'sku-1', itemIds: ['sku-1'] }, RECEIVED_AT);
    // Assess
    expect(result).toMatchObject({ ok: false, field: 'itemIds' });
  });

  it('keeps impressions and page views out of the item event types that feed features and training', () => {
    // Assess
    expect(ITEM_EVENT_TYPES).not.toContain('impression');
    expect(ITEM_EVENT_TYPES).not.toContain('page_view');
  });

  it('leaves impressions and page views (even on an item) out of the training interactions', async () => {
    // Prepare
    const events: StreamEvent[] = [
      { ...base, type: 'view', itemId: 'sku-1', receivedAt: RECEIVED_AT },
      { ...base, eventId: 'e-2', type: 'page_view', itemId: 'sku-1', receivedAt: RECEIVED_AT },
      {
        ...base,
        eventId: 'e-3',
        type: 'impression',
        recommendationId: 'rec-1',
        itemIds: ['sku-1', 'sku-2'],
        receivedAt: RECEIVED_AT,
      },
    ];
    async function* lake() {
      yield* events;
    }
    const summary = { written: 0, erasedSkipped: 0, notItemEvents: 0 };
    // Act
    const lines: string[] = [];
    for await (const line of interactionsCsv(lake(), new Map(), (key) => key, summary)) lines.push(line);
    // Assess
    expect(lines.slice(1)).toEqual([`a-1,sku-1,${RECEIVED_AT / 1000},view,\n`]);
    expect(summary.notItemEvents).toBe(2);
  });
});
