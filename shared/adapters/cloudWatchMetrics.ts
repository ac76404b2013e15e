import {
  GetMetricDataCommand,
  type CloudWatchClient,
  type Dimension,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { api, stats as statsConfig, type RouteName } from '../config/index.ts';
import { functionMetrics } from '../stats/metrics.ts';
import { DEGRADED_CAUSES, type LatencyPercentiles, type StatsSeries, type StatsWindow } from '../stats/report.ts';
import type { OperationalMetrics } from '../stats/statsReport.ts';
import { periodStarts } from '../stats/window.ts';

export interface CloudWatchMetricsOptions {
  /** The stream processor function, whose `IteratorAge` (maximum) is the lag; without it the lag is all null. */
  readonly processorFunctionName?: string;
  /** @default functionMetrics.namespace */
  readonly namespace?: string;
  /** @default functionMetrics.service */
  readonly service?: string;
}

const ROUTES = Object.keys(api.routes) as RouteName[];
const PERCENTILES = ['p50', 'p90', 'p99'] as const;

/** Values of each query, by its id, keyed by the epoch ms of their period's start. */
type Results = Map<string, Map<number, number>>;

/**
 * The stats report's series from CloudWatch, in one `GetMetricData` call (paged by `NextToken`): the
 * functions' EMF metrics of `functionMetrics`, all routes together (dimension `service`) or per
 * route (`service`, `route`) for latency, and the processor's Lambda `IteratorAge`. Sums become
 * rates per second of the period, a ratio is null in a period without answers, a percentile in a
 * period without requests, and a route without any latency data in the window is left out.
 */
export class CloudWatchMetrics implements OperationalMetrics {
  readonly source = 'cloudwatch';
  readonly resolutionSeconds = statsConfig.periodSeconds;
  private readonly namespace: string;
  private readonly service: string;

  constructor(
    private readonly client: Pick<CloudWatchClient, 'send'>,
    private readonly options: CloudWatchMetricsOptions = {},
  ) {
    this.namespace = options.namespace ?? functionMetrics.namespace;
    this.service = options.service ?? functionMetrics.service;
  }

  async read(window: StatsWindow): Promise<StatsSeries> {
    const results = await this.fetch(window, this.queries(window.periodSeconds));
    const starts = periodStarts(window);
    const values = (id: string) => starts.map((start) => results.get(id)?.get(start));
    const sums = (id: string) => values(id).map((value) => value ?? 0);
    const perSecond = (id: string) => sums(id).map((sum) => sum / window.periodSeconds);
    const ratio = (parts: readonly number[], wholes: readonly number[]) =>
      parts.map((part, i) => ((wholes[i] ?? 0) > 0 ? part / (wholes[i] ?? 1) : null));
    const hits = sums('cacheHit');
    const misses = sums('cacheMiss');
    const bypasses = sums('cacheBypass');
    const answers = hits.map((hit, i) => hit + (misses[i] ?? 0) + (bypasses[i] ?? 0));
    const latencyMs: Partial<Record<RouteName, LatencyPercentiles>> = {};
    for (const [r, route] of ROUTES.entries()) {
      const [p50, p90, p99] = PERCENTILES.map((p) => values(`latency${r}${p}`).map((value) => value ?? null));
      if (p50 && p90 && p99 && [...p50, ...p90, ...p99].some((value) => value !== null)) {
        latencyMs[route] = { p50, p90, p99 };
      }
    }
    return {
      timestamps: starts.map((start) => new Date(start).toISOString()),
      eventsPerSecond: perSecond('eventsAccepted'),
      eventsProcessedPerSecond: perSecond('eventsProcessed'),
      processorLagMs: values('iteratorAge').map((value) => value ?? null),
      cacheHitRatio: ratio(
        hits,
        hits.map((hit, i) => hit + (misses[i] ?? 0)),
      ),
      degradedShare: ratio(sums('degradedAnswer'), answers),
      degradedByCause: Object.fromEntries(
        DEGRADED_CAUSES.map((cause) => [cause, perSecond(`cause${cause}`)]),
      ) as unknown as StatsSeries['degradedByCause'],
      latencyMs,
    };
  }

  private queries(period: number): MetricDataQuery[] {
    const service: Dimension = { Name: functionMetrics.serviceDimension, Value: this.service };
    const own = (id: string, metricName: string, stat: string, dimensions: Dimension[] = [service]) => ({
      Id: id,
      MetricStat: {
        Metric: { Namespace: this.namespace, MetricName: metricName, Dimensions: dimensions },
        Period: period,
        Stat: stat,
      },
      ReturnData: true,
    });
    const queries: MetricDataQuery[] = [
      own('eventsAccepted', functionMetrics.eventsAccepted, 'Sum'),
      own('eventsProcessed', functionMetrics.eventsProcessed, 'Sum'),
      own('cacheHit', functionMetrics.cacheHit, 'Sum'),
      own('cacheMiss', functionMetrics.cacheMiss, 'Sum'),
      own('cacheBypass', functionMetrics.cacheBypass, 'Sum'),
      own('degradedAnswer', functionMetrics.degradedAnswer, 'Sum'),
      ...DEGRADED_CAUSES.map((cause) => own(`cause${cause}`, cause, 'Sum')),
      // Ids are `[a-z][a-zA-Z0-9_]*`: routes by their index, not their name.
      ...ROUTES.flatMap((route, r) =>
        PERCENTILES.map((p) =>
          own(`latency${r}${p}`, functionMetrics.latency, p, [
            service,
            { Name: functionMetrics.routeDimension, Value: route },
          ]),
        ),
      ),
    ];
    if (this.options.processorFunctionName !== undefined) {
      queries.push({
        Id: 'iteratorAge',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/Lambda',
            MetricName: 'IteratorAge',
            Dimensions: [{ Name: 'FunctionName', Value: this.options.processorFunctionName }],
          },
          Period: period,
          Stat: 'Maximum',
        },
        ReturnData: true,
      });
    }
    return queries;
  }

  private async fetch(window: StatsWindow, queries: MetricDataQuery[]): Promise<Results> {
    const results: Results = new Map();
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date(window.start),
          EndTime: new Date(window.end),
          ScanBy: 'TimestampAscending',
          ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        }),
      );
      for (const result of page.MetricDataResults ?? []) {
        if (result.Id === undefined) continue;
        const byStart = results.get(result.Id) ?? new Map<number, number>();
        (result.Timestamps ?? []).forEach((timestamp, i) => {
          const value = result.Values?.[i];
          if (value !== undefined && Number.isFinite(value)) byStart.set(timestamp.getTime(), value);
        });
        results.set(result.Id, byStart);
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    return results;
  }
}
