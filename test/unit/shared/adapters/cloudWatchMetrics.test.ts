import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchMetrics } from '#shared/adapters/cloudWatchMetrics.ts';
import { api, metricsNamespace, serviceName, type RouteName } from '#shared/config/index.ts';
import { statsWindow } from '#shared/stats/window.ts';

const cloudWatch = mockClient(CloudWatchClient);
const NOW = Date.parse('2026-12-07T12:03:30Z');
const window = statsWindow({ minutes: 3, now: NOW, resolutionSeconds: 60 });
const minute = (n: number) => new Date(Date.parse('2026-12-07T12:00:00Z') + n * 60_000);

/** The query of `id` in the one request made. */
function query(id: string): MetricDataQuery | undefined {
  const input = cloudWatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
  return input?.MetricDataQueries?.find((q) => q.Id === id);
}

beforeEach(() => {
  cloudWatch.reset();
});

describe('Class: CloudWatchMetrics', () => {
  describe('Method: read', () => {
    it('asks for the functions’ metrics by service, latency by route and the processor’s IteratorAge', async () => {
      // Prepare
      cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
      const metrics = new CloudWatchMetrics(new CloudWatchClient({}), { processorFunctionName: 'reco-processor' });

      // Act
      await metrics.read(window);

      // Assess
      const input = cloudWatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
      expect(input).toMatchObject({
        StartTime: new Date('2026-12-07T12:00:00Z'),
        EndTime: new Date('2026-12-07T12:03:00Z'),
        ScanBy: 'TimestampAscending',
      });
      const service = { Name: 'service', Value: serviceName };
      expect(query('eventsAccepted')?.MetricStat).toEqual({
        Metric: { Namespace: metricsNamespace, MetricName: 'EventsAccepted', Dimensions: [service] },
        Period: 60,
        Stat: 'Sum',
      });
      expect(query('causeModelBreakerOpen')?.MetricStat?.Metric?.MetricName).toBe('ModelBreakerOpen');
      const routes = Object.keys(api.routes) as RouteName[];
      const r = routes.indexOf('userRecommendations');
      expect(query(`latency${r}p99`)?.MetricStat).toEqual({
        Metric: {
          Namespace: metricsNamespace,
          MetricName: 'Latency',
          Dimensions: [service, { Name: 'route', Value: 'userRecommendations' }],
        },
        Period: 60,
        Stat: 'p99',
      });
      expect(query('iteratorAge')?.MetricStat).toEqual({
        Metric: {
          Namespace: 'AWS/Lambda',
          MetricName: 'IteratorAge',
          Dimensions: [{ Name: 'FunctionName', Value: 'reco-processor' }],
        },
        Period: 60,
        Stat: 'Maximum',
      });
      expect(input?.MetricDataQueries?.every((q) => /^[a-z][a-zA-Z0-9_]*$/.test(q.Id ?? ''))).toBe(true);
      expect(input?.MetricDataQueries?.length).toBeLessThanOrEqual(500);
    });

    it('returns rates per second, ratios and percentiles aligned on the window, across pages', async () => {
      // Prepare
      const r = (Object.keys(api.routes) as RouteName[]).indexOf('trending');
      cloudWatch
        .on(GetMetricDataCommand)
        .resolvesOnce({
          MetricDataResults: [
            { Id: 'eventsAccepted', Timestamps: [minute(0), minute(2)], Values: [120, 60] },
            { Id: 'cacheHit', Timestamps: [minute(0)], Values: [3] },
            { Id: 'cacheMiss', Timestamps: [minute(0), minute(1)], Values: [1, 2] },
          ],
          NextToken: 'page-2',
        })
        .resolvesOnce({
          MetricDataResults: [
            { Id: 'cacheBypass', Timestamps: [minute(1)], Values: [2] },
            { Id: 'degradedAnswer', Timestamps: [minute(1)], Values: [1] },
            { Id: 'causeModelShed', Timestamps: [minute(1)], Values: [6] },
            { Id: `latency${r}p50`, Timestamps: [minute(1)], Values: [12.5] },
            { Id: 'iteratorAge', Timestamps: [minute(2)], Values: [800] },
          ],
        });
      const metrics = new CloudWatchMetrics(new CloudWatchClient({}), { processorFunctionName: 'reco-processor' });

      // Act
      const series = await metrics.read(window);

      // Assess
      expect(cloudWatch.commandCalls(GetMetricDataCommand)[1]?.args[0].input.NextToken).toBe('page-2');
      expect(series.timestamps).toEqual([minute(0), minute(1), minute(2)].map((d) => d.toISOString()));
      expect(series.eventsPerSecond).toEqual([2, 0, 1]);
      expect(series.eventsProcessedPerSecond).toEqual([0, 0, 0]);
      expect(series.cacheHitRatio).toEqual([0.75, 0, null]);
      expect(series.degradedShare).toEqual([0, 0.25, null]);
      expect(series.degradedByCause.ModelShed).toEqual([0, 0.1, 0]);
      expect(series.processorLagMs).toEqual([null, null, 800]);
      expect(series.latencyMs).toEqual({
        trending: { p50: [null, 12.5, null], p90: [null, null, null], p99: [null, null, null] },
      });
    });

    it('returns no lag without the processor function, and asks nothing of AWS/Lambda', async () => {
      // Prepare
      cloudWatch.on(GetMetricDataCommand).resolves({});
      const metrics = new CloudWatchMetrics(new CloudWatchClient({}));

      // Act
      const series = await metrics.read(window);

      // Assess
      expect(query('iteratorAge')).toBeUndefined();
      expect(series.processorLagMs).toEqual([null, null, null]);
      expect(metrics.source).toBe('cloudwatch');
    });
  });
});
