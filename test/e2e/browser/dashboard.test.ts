import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '#local/stack.ts';
import { dashboardSite } from '../../../web/dashboard/site.ts';
import { fixtureReport, HOSTILE_VERSION } from '../../fixtures/dashboard/statsReport.ts';
import { launchBrowser, newPage, screenshot, viewports } from '../../support/browser.ts';
import { startRecoDashboard, type RunningDashboard } from '../../support/recoDashboard.ts';

/*
 * The dashboard in Debian's Chromium, opened through `reco dashboard` against a local stack: a
 * click on an item of a served list shows up in the page's attribution table, under that list's
 * model version and kind.
 */

let stack: LocalStack;
let dataDir: string;
let dashboard: RunningDashboard;
let browser: Browser;
/** The page under `/dashboard/` with a fixture report, or whatever `fixtureAnswer` answers. */
let fixtureServer: Server;
let fixtureUrl: string;
let fixtureAnswer: () => Response;

/** A storefront call, as a shop's page makes it: the public key, no signature. */
async function storefront(path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${stack.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'x-api-key': stack.apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Waits until the processor applied every event the API accepted. */
async function drained(): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(stack.mapping.stats.processed >= stack.stats.eventsAccepted && stack.mapping.idle)) {
    if (Date.now() > deadline) throw new Error(`events not processed: ${JSON.stringify(stack.mapping.stats)}`);
    await sleep(50);
  }
}

/** A page that records what would be a problem: script errors, CSP violations, dialogs (an injected alert). */
async function watchedPage(viewport: { width: number; height: number }) {
  const page = await newPage(browser, { viewport });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { page, problems };
}

/** The attribution cell of one model version, list kind and field, as the page shows it (absent: no row yet). */
async function attributionCell(page: Page, row: { modelVersion: string; listKind: string }, field: string) {
  const cell = page.locator(
    `#attribution tr[data-model-version="${row.modelVersion}"][data-list-kind="${row.listKind}"] td[data-field="${field}"]`,
  );
  return (await cell.count()) === 0 ? null : ((await cell.textContent()) ?? '').trim();
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'reco-dashboard-browser-'));
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  delete process.env.AWS_ENDPOINT_URL_KINESIS;
  stack = await startLocalStack({ port: 0, dataDir, batchingWindowMs: 50 });
  dashboard = await startRecoDashboard({ api: stack.url, credentials: stack.serverCredentials });
  const site = dashboardSite({ basePath: '/dashboard', fetchStats: async () => fixtureAnswer() });
  fixtureServer = createServer((req, res) => {
    void site(req, res).then((owned) => {
      if (!owned) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => fixtureServer.listen(0, '127.0.0.1', resolve));
  fixtureUrl = `http://127.0.0.1:${(fixtureServer.address() as AddressInfo).port}/dashboard/`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => fixtureServer?.close(resolve));
  await dashboard?.stop();
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('Browser: dashboard', () => {
  it("counts a click on a served list's item under its model version and list kind", async () => {
    // Prepare: anonymous shoppers view a few items, so the list a new one is served has items.
    const items = ['dash-boots', 'dash-socks', 'dash-tent'];
    const seeded = await storefront('/v1/events', {
      events: items.flatMap((itemId, i) =>
        Array.from({ length: 3 - i }, () => ({
          eventId: randomUUID(),
          type: 'view',
          anonymousId: randomUUID(),
          itemId,
          timestamp: Date.now(),
        })),
      ),
    });
    expect(seeded.body).toMatchObject({ accepted: 6, rejected: [] });
    await drained();
    const shopper = randomUUID();
    const served = await storefront(`/v1/users/${shopper}/recommendations?count=3`);
    expect(served.status).toBe(200);
    const list = served.body as { recommendationId: string; modelVersion: string; items: { itemId: string }[] };
    const clicked = list.items[0]?.itemId;
    expect(clicked).toBeDefined();
    const row = { modelVersion: list.modelVersion, listKind: 'personal' };
    const { page, problems } = await watchedPage(viewports.desktop);
    await page.goto(`${dashboard.url}?minutes=5`);
    await expect.poll(() => page.locator('#status').getAttribute('data-state'), { timeout: 15_000 }).toBe('ok');
    const before = Number((await attributionCell(page, row, 'clicks')) ?? '0');

    // Act: the shop's page reports the list as shown, then the shopper clicks its first item.
    const tracked = await storefront('/v1/events', {
      events: [
        {
          eventId: randomUUID(),
          type: 'impression',
          anonymousId: shopper,
          recommendationId: list.recommendationId,
          itemIds: list.items.map((item) => item.itemId),
          timestamp: Date.now(),
        },
        {
          eventId: randomUUID(),
          type: 'click',
          anonymousId: shopper,
          itemId: clicked,
          recommendationId: list.recommendationId,
          timestamp: Date.now() + 1,
        },
      ],
    });

    // Assess
    expect(tracked.body).toMatchObject({ accepted: 2, rejected: [] });
    await expect
      .poll(() => attributionCell(page, row, 'clicks'), { timeout: 30_000, interval: 500 })
      .toBe(String(before + 1));
    expect(Number(await attributionCell(page, row, 'impressions'))).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#charts figure').count()).toBe(5);
    await screenshot(page, 'dashboard');
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('Browser: dashboard with a fixture report', () => {
  it('shows hostile text as text, missing values as a dash, and runs under its CSP without errors', async () => {
    // Prepare
    fixtureAnswer = () => Response.json(fixtureReport({ end: new Date() }));
    const { page, problems } = await watchedPage(viewports.desktop);

    // Act
    await page.goto(fixtureUrl);
    await expect.poll(() => page.locator('#status').getAttribute('data-state'), { timeout: 15_000 }).toBe('ok');

    // Assess
    const hostileRow = page.locator('#attribution tbody tr').filter({ hasText: '<img src=x' });
    expect(await hostileRow.count()).toBe(1);
    expect(await hostileRow.getAttribute('data-model-version')).toBe(HOSTILE_VERSION);
    expect(await page.locator('main img, main script, main b').count()).toBe(0);
    const similar = page.locator('#attribution tr[data-list-kind="similar"]');
    expect(await similar.locator('td[data-field="clickThroughRate"]').textContent()).toBe('–');
    expect(await similar.locator('td[data-field="clicks"]').textContent()).toBe('0');
    expect(await page.locator('#charts figure canvas').count()).toBe(5);
    expect(await page.locator('#latency figure').count()).toBe(2);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('fits a phone-sized screen without sideways scrolling', async () => {
    // Prepare
    fixtureAnswer = () => Response.json(fixtureReport({ end: new Date() }));
    const { page, problems } = await watchedPage(viewports.phone);

    // Act
    await page.goto(fixtureUrl);
    await expect.poll(() => page.locator('#status').getAttribute('data-state'), { timeout: 15_000 }).toBe('ok');
    // Functions as text: they run in the page, where `document` is, not in this (DOM-less) program.
    const widths = {
      page: await page.evaluate<number>('document.documentElement.scrollWidth'),
      attribution: await page.evaluate<number>("document.getElementById('attribution').scrollWidth"),
    };

    // Assess
    expect(widths.page).toBeLessThanOrEqual(viewports.phone.width);
    expect(widths.attribution).toBeLessThanOrEqual(viewports.phone.width);
    await screenshot(page, 'dashboard-phone');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('says why when the stats route refuses, and keeps the last good data', async () => {
    // Prepare
    fixtureAnswer = () => Response.json(fixtureReport({ end: new Date() }));
    const { page } = await watchedPage(viewports.desktop);
    await page.goto(fixtureUrl);
    await expect.poll(() => page.locator('#status').getAttribute('data-state'), { timeout: 15_000 }).toBe('ok');

    // Act
    fixtureAnswer = () => Response.json({ reason: 'access_denied', message: '<i>not allowed</i>' }, { status: 403 });
    await page.selectOption('#minutes', '60');

    // Assess
    await expect.poll(() => page.locator('#status').getAttribute('data-state'), { timeout: 15_000 }).toBe('error');
    expect(await page.locator('#status').textContent()).toContain('(403 access_denied): <i>not allowed</i>');
    expect(await page.locator('#status i').count()).toBe(0);
    expect(new URL(page.url()).searchParams.get('minutes')).toBe('60');
    expect(await page.locator('#attribution tbody tr').count()).toBe(3);
    await page.close();
  });
});
