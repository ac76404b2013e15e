/** The text `npm run cost` prints. */
import type { DeploymentShape, ShapeName } from '#shared/config/shapes.ts';
import type { Crossover } from './crossover.ts';
import { byService, type Estimate } from './estimate.ts';
import { num, type LineItem, type Load, type PriceUse } from './model.ts';

const cents = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const dollars = (n: number): string => `$${cents.format(n)}`;

export function describeShape(shape: DeploymentShape): string {
  const endpoint =
    shape.endpoint.mode === 'realtime'
      ? `real-time ${shape.endpoint.instanceType} × ${shape.endpoint.minInstances}..${shape.endpoint.maxInstances}`
      : `serverless ${shape.endpoint.memoryMb} MB, up to ${shape.endpoint.maxConcurrency} concurrent`;
  const stream =
    shape.stream.mode === 'on-demand' ? 'on-demand stream' : `provisioned stream of ${shape.stream.shards} shard(s)`;
  return `endpoint ${endpoint}; cache ${shape.cache}; ${stream}; WAF ${shape.waf ? 'on' : 'off'}`;
}

export function formatLines(lines: readonly LineItem[]): string {
  return lines
    .map(
      (line) =>
        `  ${`${line.service} / ${line.item}`.padEnd(66)} ${dollars(line.usd).padStart(12)}\n      ${line.formula}`,
    )
    .join('\n');
}

export function formatLoad(load: Load, region: string): string {
  return (
    `region ${region}, a 730-hour month; load: ${num(load.eventsPerDay)} events/day, ` +
    `${num(load.recommendationsPerDay)} recommendation lists/day, ${num(load.catalogItems)} catalogue items, ` +
    `cache hit ratio ${load.cacheHitRatio}`
  );
}

export interface ShapeReport {
  readonly name: ShapeName;
  readonly shape: DeploymentShape;
  readonly month: Estimate;
  readonly idle: Estimate;
}

export function formatShape(report: ShapeReport): string {
  return [
    `== shape ${report.name}: ${dollars(report.month.totalUsd)} a month (idle floor ${dollars(report.idle.totalUsd)}) ==`,
    `   ${describeShape(report.shape)}`,
    `   cache hit ratio priced: ${num(report.month.hitRatio.ratio, 3)}` +
      (report.shape.cache === 'in-process'
        ? ` (the given ratio ÷ ${num(report.month.hitRatio.instances, 1)} recommend instances warm on average, each with its own LRU)`
        : ' (shared cache: as given)'),
    formatLines(report.month.lines),
  ].join('\n');
}

export function formatSummary(reports: readonly ShapeReport[]): string {
  const rows = reports.map((r) => {
    const top = byService(r.month.lines)
      .slice(0, 5)
      .map((s) => `${s.service} ${dollars(s.usd)}`)
      .join(', ');
    return `  ${r.name.padEnd(8)} ${dollars(r.month.totalUsd).padStart(12)} ${dollars(r.idle.totalUsd).padStart(12)}   top 5: ${top}`;
  });
  return [`== summary ==`, `  ${'shape'.padEnd(8)} ${'month'.padStart(12)} ${'idle floor'.padStart(12)}`, ...rows].join(
    '\n',
  );
}

export function formatCrossovers(
  found: readonly Crossover[],
  names: { readonly a: ShapeName; readonly b: ShapeName },
): string {
  if (found.length === 0) {
    return `== crossover ==\n  none between 1/10,000 and 1,000 × this load at its ratio of events to lists`;
  }
  return [
    '== crossover (the load scaled at its ratio of events to lists) ==',
    ...found.map((c) => {
      const below = c.cheaperBelow === 'a' ? names.a : names.b;
      const above = c.cheaperBelow === 'a' ? names.b : names.a;
      return (
        `  at ${num(c.eventsPerDay)} events/day and ${num(c.recommendationsPerDay)} lists/day (${num(c.scale, 4)} × this load) ` +
        `both cost ${dollars(c.monthlyUsd)} a month: ${below} is cheaper below, ${above} above`
      );
    }),
  ].join('\n');
}

export function formatPrices(lines: readonly LineItem[]): string {
  const used = new Map<string, PriceUse[1]>();
  for (const line of lines) for (const [key, price] of line.prices) used.set(key, price);
  return [
    '== list prices used (tools/cost/prices.ts) ==',
    ...[...used].map(
      ([key, price]) =>
        `  ${key}: $${price.usd} ${price.unit}; taken ${price.taken}${price.confirmed ? '' : ', UNCONFIRMED'}; ${price.source}` +
        (price.note === undefined ? '' : ` (${price.note})`),
    ),
  ].join('\n');
}
