/** CloudWatch (logs, custom metrics, alarms, dashboards) and X-Ray. */
import { lambdaDefaults } from '#shared/config/index.ts';
import { DAYS_PER_MONTH, SECONDS_PER_MONTH } from '../assumptions.ts';
import { functionUses } from '../functions.ts';
import { num, use, usd, type CostContext, type LineItem } from '../model.ts';
import { traffic } from '../traffic.ts';
import { hasVpc } from './network.ts';

export function cloudWatch(context: CostContext): LineItem[] {
  const { assumptions: a } = context;
  const t = traffic(context.load, a);
  const ingest = use(context.prices, 'logsIngestGb');
  const stored = use(context.prices, 'logsStorageGbMonth');
  const metric = use(context.prices, 'metricMonth');
  const alarm = use(context.prices, 'alarmMetricMonth');
  const dashboard = use(context.prices, 'dashboardMonth');
  const invocations = functionUses(context).reduce((sum, fn) => sum + fn.invocationsPerMonth, 0);
  const apiRequests = t.storefrontRequestsPerMonth + t.serverRequestsPerMonth;
  const flowBytes = hasVpc(context) ? t.recommendationsPerMonth * a.flowLogBytesPerRequest : 0;
  const logGb = (invocations * a.logBytesPerInvocation + apiRequests * a.accessLogBytesPerRequest + flowBytes) / 1e9;
  // Retention keeps `logRetentionDays` of a month's ingest, stored compressed.
  const storedGb = logGb * Math.min(1, lambdaDefaults.logRetentionDays / DAYS_PER_MONTH) * a.gzipRatio;
  // EMF metrics bill by the hour in which they are emitted: none in an idle month.
  const series = t.active ? a.customMetricSeries : 0;
  const paidDashboards = Math.max(0, a.dashboards - 3);
  return [
    {
      service: 'CloudWatch',
      item: 'logs ingested and stored',
      usd: logGb * ingest[1].usd + storedGb * stored[1].usd,
      formula:
        `(${num(invocations)} invocations × ${num(a.logBytesPerInvocation)} B + ${num(apiRequests)} access-log lines × ${num(a.accessLogBytesPerRequest)} B` +
        `${flowBytes > 0 ? ` + ${num(t.recommendationsPerMonth)} × ${a.flowLogBytesPerRequest} B flow logs` : ''}) = ${num(logGb, 1)} GB × ${usd(ingest[1].usd)} + ` +
        `${lambdaDefaults.logRetentionDays} days kept × ${a.gzipRatio} compressed = ${num(storedGb, 1)} GB × ${usd(stored[1].usd)}`,
      prices: [ingest, stored],
    },
    {
      service: 'CloudWatch',
      item: 'custom metrics (EMF)',
      usd: series * metric[1].usd,
      formula: `${series} metric series × ${usd(metric[1].usd)}`,
      prices: [metric],
    },
    {
      service: 'CloudWatch',
      item: 'alarms',
      usd: a.alarmMetrics * alarm[1].usd,
      formula: `${a.alarmMetrics} alarm metrics × ${usd(alarm[1].usd)}`,
      prices: [alarm],
    },
    {
      service: 'CloudWatch',
      item: 'dashboards',
      usd: paidDashboards * dashboard[1].usd,
      formula: `${a.dashboards} dashboards deployed (3 free, then ${usd(dashboard[1].usd)} each)`,
      prices: [dashboard],
    },
  ];
}

/** Traces X-Ray's default rule records at a steady `perSecond`: the reservoir, then a share of the rest. */
export function sampledTraces(perSecond: number, reservoir: number, rate: number): number {
  return SECONDS_PER_MONTH * (Math.min(perSecond, reservoir) + rate * Math.max(0, perSecond - reservoir));
}

export function xRay(context: CostContext): LineItem[] {
  const { assumptions: a } = context;
  const t = traffic(context.load, a);
  const price = use(context.prices, 'xrayPerMillionTraces');
  const apiPerSecond = (t.storefrontRequestsPerMonth + t.serverRequestsPerMonth) / SECONDS_PER_MONTH;
  const processor = functionUses(context).find((fn) => fn.name === 'processor function');
  const streamPerSecond = (processor?.invocationsPerMonth ?? 0) / SECONDS_PER_MONTH;
  const traces =
    sampledTraces(apiPerSecond, a.xrayReservoirPerSecond, a.xraySampleRate) +
    sampledTraces(streamPerSecond, a.xrayReservoirPerSecond, a.xraySampleRate);
  return [
    {
      service: 'X-Ray',
      item: 'traces recorded (default sampling)',
      usd: (traces / 1e6) * price[1].usd,
      formula:
        `(min(r, ${a.xrayReservoirPerSecond}/s) + ${a.xraySampleRate} × the rest) × ${num(SECONDS_PER_MONTH)} s for the APIs (${num(apiPerSecond, 1)}/s) ` +
        `and the processor (${num(streamPerSecond, 1)}/s) = ${num(traces)} traces × ${usd(price[1].usd)}/M`,
      prices: [price],
    },
  ];
}
