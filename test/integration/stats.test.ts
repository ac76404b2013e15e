import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { api, type RouteName } from '#shared/config/index.ts';
import type { LocalStack } from '#local/stack.ts';
import type { CatalogueItem, Interaction } from '#shared/recommender/model.ts';
import { DEGRADED_CAUSES, type StatsReport } from '#shared/stats/report.ts';
import { MODEL_STATUSES } from '#shared/training/registry.ts';
import { startModelStack } from '../support/modelStack.ts';
import { drained } from './freshStack.ts';

/*
 * `GET /v1/admin/stats` on the local stack: what shoppers and the shop did over HTTP shows in the
 * collector's series, the model the stack started with in the registry part, and a click on a served
 * list in attribution; the answer is held to the `StatsReport` contract by a schema.
 */

const run = `st${Date.now().toString(36)}`;
const ITEMS = Array.from({ length: 8 }, (_, n) => `${run}-item-${n}`);
const CATALOGUE: CatalogueItem[] = ITEMS.map((itemId, n) => ({
  itemId,
  title: `Item ${n}`,
  categories: [n % 2 === 0 ? 'even' : 'odd'],
  price: 10 + n,
  inStock: true,
}));

function interactions(): Interaction[] {
  return Array.from({ length: 60 }, (_, n) => ({
    userId: `${run}-shopper-${n % 12}`,
    itemId: ITEMS[(n * 5) % ITEMS.length] as string,
    timestamp: 1_700_000_000 + n,
    eventType: 'view',
  }));
}

const nullableNumbers = z.array(z.number().nullable());
const numbers = z.array(z.number());
const modelRecord = z.looseObject({
  version: z.string(),
  status: z.enum(MODEL_STATUSES),
  createdAt: z.iso.datetime(),
  executionId: z.string(),
  trigger: z.enum(['schedule', 'manual', 'promote']),
});
/** `StatsReport` at run time: every field the dashboard draws, with its type. */
const statsReportSchema = z.strictObject({
  source: z.enum(['cloudwatch', 'local']),
  generatedAt: z.iso.datetime(),
  window: z.strictObject({
    start: z.iso.datetime(),
    end: z.iso.datetime(),
    periodSeconds: z.number().int().positive(),
  }),
  series: z.strictObject({
    timestamps: z.array(z.iso.datetime()),
    eventsPerSecond: numbers,
    eventsProcessedPerSecond: numbers,
    processorLagMs: nullableNumbers,
    cacheHitRatio: nullableNumbers,
    degradedShare: nullableNumbers,
    degradedByCause: z.record(z.enum(DEGRADED_CAUSES), numbers),
    latencyMs: z.partialRecord(
      z.enum(Object.keys(api.routes) as [RouteName, ...RouteName[]]),
      z.strictObject({ p50: nullableNumbers, p90: nullableNumbers, p99: nullableNumbers }),
    ),
  }),
  model: z.strictObject({ live: modelRecord.nullable(), registry: z.array(modelRecord) }),
  attribution: z.array(
    z.strictObject({
      modelVersion: z.string(),
      listKind: z.enum(['personal', 'similar', 'ranking', 'trending']),
      fromDay: z.iso.date(),
      toDay: z.iso.date(),
      impressions: z.number(),
      clicks: z.number(),
      addToCarts: z.number(),
      purchases: z.number(),
      revenue: z.number(),
      clickThroughRate: z.number().nullable(),
      conversionRate: z.number().nullable(),
    }),
  ),
});

let stack: LocalStack;
const json = { 'content-type': 'application/json' };

async function stats(query = ''): Promise<{ status: number; body: unknown }> {
  const response = await stack.serverFetch(`${api.routes.stats}${query}`);
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  stack = await startModelStack({
    name: 'stats',
    apiKey: 'stats-key',
    data: () => ({ interactions: interactions(), catalogue: CATALOGUE }),
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('Route: GET /v1/admin/stats on the local stack', () => {
  it('returns events, cache hits, latency, the live model and attribution of a click on a served list', async () => {
    // Prepare: events, a list read twice (a miss, then a hit), an impression and a click on it.
    const shopper = `${run}-shopper-1`;
    const post = (events: unknown[]) =>
      stack.serverFetch(api.routes.events, { method: 'POST', headers: json, body: JSON.stringify({ events }) });
    let n = 0;
    const event = (type: string, fields: Record<string, unknown>) => ({
      eventId: `${run}-${++n}`,
      type,
      userId: shopper,
      timestamp: Date.now(),
      ...fields,
    });
    await post(ITEMS.slice(0, 3).map((itemId) => event('view', { itemId })));
    await drained(stack);
    const list = (await (await stack.serverFetch(`/v1/users/${shopper}/recommendations?count=3`)).json()) as {
      recommendationId: string;
      modelVersion: string;
      items: { itemId: string }[];
      degraded: boolean;
    };
    // Read again until the cache answers (a loaded machine may skip a slow cache read).
    for (let read = 0; read < 5; read++) {
      const again = await stack.serverFetch(`/v1/users/${shopper}/recommendations?count=3`);
      await again.body?.cancel();
      if (again.headers.get(api.cacheStatusHeader) === 'HIT') break;
    }
    const clicked = list.items[0]?.itemId;
    await post([
      event('impression', { recommendationId: list.recommendationId, itemIds: list.items.map((item) => item.itemId) }),
      event('click', { itemId: clicked, recommendationId: list.recommendationId }),
    ]);
    await drained(stack);

    // Act: the series end before the period in progress, so wait for the period of the requests to end.
    let report: StatsReport | undefined;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const { status, body } = await stats('?minutes=5');
      expect(status).toBe(200);
      report = statsReportSchema.parse(body) as StatsReport;
      const hits = report.series.cacheHitRatio.some((ratio) => ratio !== null && ratio > 0);
      if (hits && report.series.eventsProcessedPerSecond.some((rate) => rate > 0)) break;
      await sleep(500);
    }

    // Assess
    // On a loaded machine the model may miss its budget: the list is then the fallback's, and says so.
    expect(list.modelVersion).toBe(list.degraded ? 'popularity-v1' : stack.model?.modelVersion);
    expect(clicked).toBeDefined();
    expect(report?.source).toBe('local');
    expect(report?.series.timestamps).toHaveLength(30);
    expect(Math.max(...(report?.series.eventsPerSecond ?? []))).toBeGreaterThan(0);
    expect(Math.max(...(report?.series.eventsProcessedPerSecond ?? []))).toBeGreaterThan(0);
    expect(report?.series.processorLagMs.some((lag) => lag !== null && lag >= 0)).toBe(true);
    expect(report?.series.cacheHitRatio.some((ratio) => ratio !== null && ratio > 0)).toBe(true);
    expect(report?.series.degradedShare.some((share) => share !== null)).toBe(true);
    const fallbacks = Object.values(report?.series.degradedByCause ?? {}).flat();
    const degradedShares = report?.series.degradedShare.filter((share) => share !== null) ?? [];
    if (list.degraded) {
      expect(Math.max(...degradedShares)).toBeGreaterThan(0);
      expect(Math.max(...fallbacks)).toBeGreaterThan(0);
    } else {
      expect(degradedShares.some((share) => share < 1)).toBe(true);
    }
    const latency = report?.series.latencyMs.userRecommendations;
    expect(latency?.p50.some((ms) => ms !== null && ms > 0)).toBe(true);
    expect(latency?.p99.some((ms) => ms !== null && ms > 0)).toBe(true);
    expect(report?.model.live).toMatchObject({ version: stack.model?.modelVersion, status: 'live' });
    expect(report?.model.registry.map((record) => record.version)).toContain(stack.model?.modelVersion);
    expect(report?.attribution).toContainEqual(
      expect.objectContaining({
        modelVersion: list.modelVersion,
        listKind: 'personal',
        impressions: list.items.length,
        clicks: 1,
        clickThroughRate: 1 / list.items.length,
        conversionRate: 0,
      }),
    );
  });

  it.each([
    ['?minutes=0', 'invalid_minutes'],
    ['?minutes=181', 'invalid_minutes'],
    ['?minutes=15&from=now', 'unknown_parameter'],
  ])('returns 400 for %s with reason %s', async (query, reason) => {
    // Act
    const { status, body } = await stats(query);

    // Assess
    expect([status, (body as { reason?: string }).reason]).toEqual([400, reason]);
  });

  it('returns 403 missing_authentication to an unsigned call and 404 to the storefront', async () => {
    // Act
    const unsigned = await fetch(`${stack.url}${api.routes.stats}`);
    const storefront = await fetch(`${stack.url}${api.routes.stats}`, { headers: { 'x-api-key': stack.apiKey } });

    // Assess
    expect([unsigned.status, ((await unsigned.json()) as { reason: string }).reason]).toEqual([
      403,
      'missing_authentication',
    ]);
    expect([storefront.status, ((await storefront.json()) as { reason: string }).reason]).toEqual([
      404,
      'route_not_found',
    ]);
  });
});

describe('Site: /dashboard on the local stack', () => {
  it('serves the dashboard page and its stats, signed by the stack, with the same body as the route', async () => {
    // Act
    const page = await fetch(`${stack.url}/dashboard/`);
    const proxied = await fetch(`${stack.url}/dashboard/api/stats?minutes=5`);
    const refused = await fetch(`${stack.url}/dashboard/api/stats?minutes=999`);

    // Assess
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(/<html/i);
    expect(proxied.status).toBe(200);
    const report = statsReportSchema.parse(await proxied.json());
    expect([report.source, report.series.timestamps.length]).toEqual(['local', 30]);
    expect([refused.status, ((await refused.json()) as { reason: string }).reason]).toEqual([400, 'invalid_minutes']);
  });
});
