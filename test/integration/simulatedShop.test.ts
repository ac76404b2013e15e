import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '#shared/config/index.ts';
import type { StatsReport } from '#shared/stats/report.ts';
import type { ModelVersionRecord } from '#shared/training/registry.ts';
import { createCatalogue, createShoppers, createTrafficSimulator, type Catalogue } from '#local/simulator/index.ts';
import { startBrowsing } from '#local/simulator/browsing.ts';
import type { Shopper } from '#local/simulator/shoppers.ts';
import { trainBootstrapModel } from '#local/localModel.ts';
import { startLocalStack, type LocalStack } from '#local/stack.ts';

/*
 * What `npm start` runs beside the stack: the model it begins with, tuned like `reco train` (its registry record
 * carries what the tuning measured on validation, as a training job's does, so the model routes and the dashboard
 * show its offline metrics), and simulated shoppers reading their lists and acting on them.
 */

let stack: LocalStack;
let catalogue: Catalogue;
let shoppers: readonly Shopper[];

beforeAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  delete process.env.AWS_ENDPOINT_URL_KINESIS;
  const dataDir = mkdtempSync(join(tmpdir(), 'reco-bootstrap-'));
  catalogue = createCatalogue({ seed: 3, itemCount: 200, categoryCount: 5 });
  shoppers = createShoppers({ seed: 3, catalogue, shopperCount: 120 });
  let clock = Date.now() - 7 * 24 * 60 * 60 * 1000;
  const history = createTrafficSimulator({ seed: 4, catalogue, shoppers, now: () => (clock += 15_000) });
  stack = await startLocalStack({
    port: 0,
    dataDir,
    site: false,
    model: () => trainBootstrapModel({ dir: join(dataDir, 'model'), catalogue, history, events: 4_000 }),
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('Function: trainBootstrapModel, through the local stack', () => {
  it('records its tuning on validation in the registry, shown by the model route and the stats route', async () => {
    // Act
    const version = stack.model?.modelVersion ?? '';
    const record = (await (await stack.serverFetch(`${api.routes.models}/${version}`)).json()) as ModelVersionRecord;
    const report = (await (await stack.serverFetch(`${api.routes.stats}?minutes=1`)).json()) as StatsReport;

    // Assess
    expect(record.status).toBe('live');
    const tuning = record.tuning;
    expect(tuning?.trials).toBeGreaterThan(0);
    for (const value of [tuning?.validationNdcg10, tuning?.validationHr10, tuning?.defaultsNdcg10]) {
      expect(value).toBeGreaterThan(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    // Tuning starts from the defaults, so it never ends below them on validation.
    expect(tuning?.validationNdcg10).toBeGreaterThanOrEqual(tuning?.defaultsNdcg10 ?? Infinity);
    expect(report.model.live?.tuning).toEqual(tuning);
  });
});

describe('Function: startBrowsing', () => {
  it('reads lists as shoppers, and their impressions, clicks and purchases are attributed to the list', async () => {
    // Act
    const browsing = startBrowsing({
      baseUrl: stack.url,
      apiKey: stack.apiKey,
      userToken: async (userId) => (await stack.mintUserToken(userId)).token,
      shoppers,
      catalogue,
      listsPerSecond: 40,
      seed: 5,
      clickShare: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await browsing.stop();
    const { listsRead, clicks, failures, lastError } = browsing.stats;
    let attributed = { impressions: 0, clicks: 0 };
    for (let poll = 0; poll < 40 && attributed.clicks < clicks; poll++) {
      const report = (await (await stack.serverFetch(`${api.routes.stats}?minutes=1`)).json()) as StatsReport;
      attributed = report.attribution.reduce(
        (sum, row) => ({ impressions: sum.impressions + row.impressions, clicks: sum.clicks + row.clicks }),
        { impressions: 0, clicks: 0 },
      );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    // Assess
    expect([failures, lastError]).toEqual([0, undefined]);
    expect(listsRead).toBeGreaterThan(10);
    expect(clicks).toBe(listsRead);
    expect(attributed.clicks).toBe(clicks);
    expect(attributed.impressions).toBeGreaterThanOrEqual(listsRead);
  });

  it('refuses a rate that is not a positive number', () => {
    const start = (listsPerSecond: number) => () =>
      startBrowsing({
        baseUrl: stack.url,
        apiKey: stack.apiKey,
        userToken: async () => '',
        shoppers,
        catalogue,
        listsPerSecond,
        seed: 1,
      });

    expect(start(0)).toThrow(/listsPerSecond must be a positive number/);
    expect(start(Number.NaN)).toThrow(/listsPerSecond must be a positive number/);
  });
});
