import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '#local/stack.ts';
import type { StatsReport } from '#shared/stats/report.ts';
import { startRecoDashboard, type RunningDashboard } from '../support/recoDashboard.ts';

/*
 * `reco dashboard` as an operator runs it against a server API: here the local stack's, whose
 * gateway checks SigV4 against the local server credentials (`local` / `local-dev-secret`).
 */

let stack: LocalStack;
let dataDir: string;
let dashboard: RunningDashboard;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'reco-dashboard-'));
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  delete process.env.AWS_ENDPOINT_URL_KINESIS;
  stack = await startLocalStack({ port: 0, dataDir, batchingWindowMs: 50 });
  dashboard = await startRecoDashboard({ api: stack.url, credentials: stack.serverCredentials });
});

afterAll(async () => {
  await dashboard?.stop();
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('CLI: reco dashboard', () => {
  it('serves the page on 127.0.0.1', async () => {
    // Act
    const page = await fetch(dashboard.url);

    // Assess
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>reco · live dashboard</title>');
  });

  it('answers api/stats with the stats route, called signed: unsigned, the route refuses', async () => {
    // Act
    const proxied = await fetch(`${dashboard.url}api/stats?minutes=5`);
    const unsigned = await fetch(`${stack.url}/v1/admin/stats?minutes=5`);

    // Assess
    expect(proxied.status).toBe(200);
    const report = (await proxied.json()) as StatsReport;
    expect(report.source).toBe('local');
    expect(report.window.periodSeconds).toBeGreaterThan(0);
    expect(report.series.timestamps.length).toBeGreaterThan(0);
    expect(report.series.eventsPerSecond).toHaveLength(report.series.timestamps.length);
    expect(unsigned.status).toBe(403);
  });

  it("passes the route's refusal through when the operator's credentials are wrong", async () => {
    // Prepare
    const wrong = await startRecoDashboard({
      api: stack.url,
      credentials: { accessKeyId: stack.serverCredentials.accessKeyId, secretAccessKey: 'not-the-secret' },
    });

    try {
      // Act
      const refused = await fetch(`${wrong.url}api/stats?minutes=5`);

      // Assess
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ reason: 'invalid_signature' });
    } finally {
      await wrong.stop();
    }
  });

  it('stops on SIGTERM with exit code 0', async () => {
    // Prepare
    const other = await startRecoDashboard({ api: stack.url, credentials: stack.serverCredentials });

    // Act
    const { code, stderr } = await other.stop();

    // Assess
    expect(code).toBe(0);
    expect(stderr).toContain('SIGTERM, stopping');
  });
});
