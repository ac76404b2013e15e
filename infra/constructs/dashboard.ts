import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { api, stats as statsConfig, type RouteName } from '#shared/config/index.ts';
import { functionMetrics } from '#shared/stats/metrics.ts';
import { DEGRADED_CAUSES } from '#shared/stats/report.ts';

/** Properties of an {@link OperationsDashboard}. */
export interface OperationsDashboardProps {
  /** The stream processor, whose `IteratorAge` is the lag chart. */
  readonly processor: lambda.IFunction;
  /**
   * Name of the dashboard in the CloudWatch console.
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;
}

const PERIOD = Duration.seconds(statsConfig.periodSeconds);
const PERCENTILES = ['p50', 'p90', 'p99'] as const;
const WIDTH = 12;
const HEIGHT = 6;

/** One of the functions' own metrics (`functionMetrics`), all routes together unless `route` is given. */
function functionMetric(metricName: string, options: { statistic?: string; route?: RouteName } = {}) {
  return new cloudwatch.Metric({
    namespace: functionMetrics.namespace,
    metricName,
    dimensionsMap: {
      [functionMetrics.serviceDimension]: functionMetrics.service,
      ...(options.route === undefined ? {} : { [functionMetrics.routeDimension]: options.route }),
    },
    statistic: options.statistic ?? cloudwatch.Stats.SUM,
    period: PERIOD,
    ...(options.route === undefined ? {} : { label: options.route }),
  });
}

/**
 * The CloudWatch dashboard of the operational charts `GET /v1/admin/stats` serves the local and
 * `npx reco dashboard` pages: events per second (accepted and processed), the processor's lag
 * (`IteratorAge`, maximum), the cache hit ratio and the degraded share (metric math over the same
 * counts as the report), fallbacks by cause, and latency percentiles per route. Same metrics, same
 * period (`stats.periodSeconds`).
 */
export class OperationsDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  public constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const hit = functionMetric(functionMetrics.cacheHit);
    const miss = functionMetric(functionMetrics.cacheMiss);
    const bypass = functionMetric(functionMetrics.cacheBypass);
    const math = (label: string, expression: string, usingMetrics: Record<string, cloudwatch.IMetric>) =>
      new cloudwatch.MathExpression({ label, expression, usingMetrics, period: PERIOD });
    const routes = Object.keys(api.routes) as RouteName[];

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      ...(props.dashboardName === undefined ? {} : { dashboardName: props.dashboardName }),
      defaultInterval: Duration.minutes(statsConfig.defaultMinutes),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Events per second',
            width: WIDTH,
            height: HEIGHT,
            left: [
              math('accepted (ingest)', 'FILL(accepted, 0) / PERIOD(accepted)', {
                accepted: functionMetric(functionMetrics.eventsAccepted),
              }),
              math('processed (processor)', 'FILL(processed, 0) / PERIOD(processed)', {
                processed: functionMetric(functionMetrics.eventsProcessed),
              }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Processor lag (IteratorAge, maximum), ms',
            width: WIDTH,
            height: HEIGHT,
            left: [props.processor.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: PERIOD })],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Cache hit ratio of the lists, %',
            width: WIDTH,
            height: HEIGHT,
            leftYAxis: { min: 0, max: 100 },
            left: [math('hits / (hits + misses)', '100 * hit / (hit + miss)', { hit, miss })],
          }),
          new cloudwatch.GraphWidget({
            title: 'Degraded answers, % of list answers; fallbacks by cause per second (right)',
            width: WIDTH,
            height: HEIGHT,
            left: [
              math('degraded share', '100 * FILL(degraded, 0) / (FILL(hit, 0) + FILL(miss, 0) + FILL(bypass, 0))', {
                degraded: functionMetric(functionMetrics.degradedAnswer),
                hit,
                miss,
                bypass,
              }),
            ],
            right: DEGRADED_CAUSES.map((cause) =>
              math(cause, `FILL(${cause.toLowerCase()}, 0) / PERIOD(${cause.toLowerCase()})`, {
                [cause.toLowerCase()]: functionMetric(cause),
              }),
            ),
          }),
        ],
        PERCENTILES.map(
          (percentile) =>
            new cloudwatch.GraphWidget({
              title: `Latency ${percentile} per route, ms`,
              width: 8,
              height: HEIGHT,
              left: routes.map((route) => functionMetric(functionMetrics.latency, { statistic: percentile, route })),
            }),
        ),
      ],
    });
  }
}
