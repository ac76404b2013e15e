/**
 * The dashboard's data → view step, free of the DOM so it is tested on its own: the charts' series
 * (as uPlot's aligned data), the tiles, and the tables as escaped HTML. A value the report does
 * not have is `null`: a gap in a chart and "–" in text, never 0.
 */
import type { AlignedData } from 'uplot';
import { html, type SafeHtml } from './html.ts';
import type { ReadAttribution, ReadModel, ReadReport, Value } from './report.ts';

/** What stands for a value the report does not have. */
export const MISSING = '–';

export type Unit = 'perSecond' | 'ms' | 'percent' | 'count' | 'ratio' | 'money' | 'metric';

/** One value as text in its unit; null, NaN and ±Infinity are {@link MISSING}. */
export function formatValue(value: Value | undefined, unit: Unit): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return MISSING;
  switch (unit) {
    case 'perSecond':
      return `${value.toLocaleString('en-US', { maximumFractionDigits: value < 10 ? 2 : 1 })}/s`;
    case 'ms':
      return `${value.toLocaleString('en-US', { maximumFractionDigits: value < 10 ? 1 : 0 })} ms`;
    case 'percent':
      return `${value.toLocaleString('en-US', { maximumFractionDigits: 1 })} %`;
    case 'ratio':
      return `${(value * 100).toLocaleString('en-US', { maximumFractionDigits: 2 })} %`;
    case 'count':
      return value.toLocaleString('en-US', { maximumFractionDigits: 0 });
    case 'money':
      return value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    case 'metric':
      return value.toLocaleString('en-US', { maximumFractionDigits: 4 });
  }
}

/** An ISO instant as `yyyy-mm-dd hh:mm UTC`; text that is not one is shown as sent. */
export function formatTime(iso: string | null): string {
  if (iso === null) return MISSING;
  const time = Date.parse(iso);
  if (!Number.isFinite(time)) return iso;
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export interface SeriesSpec {
  readonly label: string;
  readonly values: readonly Value[];
}

/** One chart: its series share the x axis (the report's periods) and a unit. */
export interface ChartSpec {
  /** Stable across refreshes while the chart means the same thing: a changed key makes a new chart. */
  readonly key: string;
  readonly title: string;
  readonly unit: Unit;
  readonly series: readonly SeriesSpec[];
}

const percent = (values: readonly Value[]): Value[] => values.map((v) => (v === null ? null : v * 100));

/** The operational charts: events, lag, cache, degraded share and causes. */
export function operationalCharts(report: ReadReport): ChartSpec[] {
  return [
    {
      key: 'events',
      title: 'Events per second',
      unit: 'perSecond',
      series: [
        { label: 'accepted', values: report.eventsPerSecond },
        { label: 'processed', values: report.eventsProcessedPerSecond },
      ],
    },
    {
      key: 'lag',
      title: 'Processor lag, ms',
      unit: 'ms',
      series: [{ label: 'largest record age', values: report.processorLagMs }],
    },
    {
      key: 'cache',
      title: 'Cache hit ratio, %',
      unit: 'percent',
      series: [{ label: 'hits', values: percent(report.cacheHitRatio) }],
    },
    {
      key: 'degraded',
      title: 'Degraded answers, % of lists',
      unit: 'percent',
      series: [{ label: 'share of lists', values: percent(report.degradedShare) }],
    },
    {
      key: 'causes',
      title: 'Fallbacks by cause, per second',
      unit: 'perSecond',
      series: report.degradedByCause.map(([cause, values]) => ({ label: cause, values })),
    },
  ];
}

/** One latency chart per route that had requests, p50/p90/p99. */
export function latencyCharts(report: ReadReport): ChartSpec[] {
  return report.latency.map((route) => ({
    key: `latency:${route.route}`,
    title: `${route.route}, ms`,
    unit: 'ms',
    series: [
      { label: 'p50', values: route.p50 },
      { label: 'p90', values: route.p90 },
      { label: 'p99', values: route.p99 },
    ],
  }));
}

/** uPlot's aligned data: the periods' times, then each series padded or cut to them, nulls kept (gaps). */
export function chartData(times: readonly number[], chart: ChartSpec): AlignedData {
  return [
    [...times],
    ...chart.series.map((series) =>
      times.map((_, i) => {
        const value = series.values[i];
        return value === undefined || value === null || !Number.isFinite(value) ? null : value;
      }),
    ),
  ];
}

/**
 * Indices of values with no value on either side: a line needs two points, so these are drawn as
 * dots, or a quiet window's one busy period would not show at all. Null when there are none.
 */
export function isolatedIndices(values: ArrayLike<number | null | undefined>): number[] | null {
  const present = (i: number) => Number.isFinite(values[i]);
  const isolated: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (present(i) && !present(i - 1) && !present(i + 1)) isolated.push(i);
  }
  return isolated.length === 0 ? null : isolated;
}

/**
 * A chart legend's value: at the cursor's period, or the last period's while the cursor is off
 * the chart (uPlot passes `idx` null then), so the legend always says something true.
 */
export function legendValue(data: AlignedData, seriesIndex: number, idx: number | null, unit: Unit): string {
  const at = idx ?? data[0].length - 1;
  const value = data[seriesIndex]?.[at];
  return formatValue(typeof value === 'number' ? value : null, unit);
}

/** The legend's time: the cursor's period, or "latest". */
export function legendTime(data: AlignedData, idx: number | null): string {
  if (idx === null) return 'latest';
  const seconds = data[0][idx];
  return typeof seconds === 'number' ? new Date(seconds * 1000).toLocaleTimeString('en-US') : MISSING;
}

/** The last period's value of a series (not the last non-null one: a quiet period shows as "–"). */
export const latest = (values: readonly Value[]): Value => (values.length === 0 ? null : (values.at(-1) ?? null));

export interface Tile {
  readonly label: string;
  readonly text: string;
}

/** Headline numbers of the last period. */
export function tiles(report: ReadReport): Tile[] {
  return [
    { label: 'Events accepted', text: formatValue(latest(report.eventsPerSecond), 'perSecond') },
    { label: 'Events processed', text: formatValue(latest(report.eventsProcessedPerSecond), 'perSecond') },
    { label: 'Processor lag', text: formatValue(latest(report.processorLagMs), 'ms') },
    { label: 'Cache hit ratio', text: formatValue(latest(report.cacheHitRatio), 'ratio') },
    { label: 'Degraded', text: formatValue(latest(report.degradedShare), 'ratio') },
  ];
}

export const ATTRIBUTION_COLUMNS = [
  { field: 'impressions', title: 'Impressions', unit: 'count' },
  { field: 'clicks', title: 'Clicks', unit: 'count' },
  { field: 'addToCarts', title: 'Add-to-carts', unit: 'count' },
  { field: 'purchases', title: 'Purchases', unit: 'count' },
  { field: 'clickThroughRate', title: 'CTR', unit: 'ratio' },
  { field: 'conversionRate', title: 'Conversion', unit: 'ratio' },
  { field: 'revenue', title: 'Revenue', unit: 'money' },
] as const satisfies readonly { field: keyof ReadAttribution; title: string; unit: Unit }[];

export interface AttributionTableRow {
  readonly modelVersion: string;
  readonly listKind: string;
  readonly days: string;
  readonly cells: readonly { readonly field: string; readonly title: string; readonly text: string }[];
}

const daysOf = (from: string | null, to: string | null): string =>
  from === null && to === null ? MISSING : from === to ? (from ?? MISSING) : `${from ?? MISSING} – ${to ?? MISSING}`;

/** Attribution rows, newest model version first, then by list kind. */
export function attributionRows(rows: readonly ReadAttribution[]): AttributionTableRow[] {
  return [...rows]
    .sort((a, b) =>
      a.modelVersion === b.modelVersion
        ? a.listKind.localeCompare(b.listKind)
        : b.modelVersion.localeCompare(a.modelVersion),
    )
    .map((row) => ({
      modelVersion: row.modelVersion,
      listKind: row.listKind,
      days: daysOf(row.fromDay, row.toDay),
      cells: ATTRIBUTION_COLUMNS.map((column) => ({
        field: column.field,
        title: column.title,
        text: formatValue(row[column.field], column.unit),
      })),
    }));
}

export function attributionTable(rows: readonly AttributionTableRow[]): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">No attributed lists in this window yet.</p>`;
  return html`<table class="stack">
    <thead>
      <tr>
        <th scope="col">Model version</th>
        <th scope="col">List</th>
        <th scope="col">Days</th>
        ${ATTRIBUTION_COLUMNS.map((column) => html`<th scope="col" class="num">${column.title}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr data-model-version="${row.modelVersion}" data-list-kind="${row.listKind}">
            <td class="mono" data-label="Model version">${row.modelVersion}</td>
            <td data-label="List">${row.listKind}</td>
            <td class="nowrap" data-label="Days">${row.days}</td>
            ${row.cells.map(
              (cell) => html`<td class="num" data-field="${cell.field}" data-label="${cell.title}">${cell.text}</td>`,
            )}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** Display names of the offline metrics the pipeline records; any other name is shown as sent. */
const METRIC_NAMES: Readonly<Record<string, string>> = {
  ndcg10: 'NDCG@10',
  hr10: 'HR@10',
  coverage: 'Coverage',
  validationNdcg10: 'Validation NDCG@10',
  validationHr10: 'Validation HR@10',
  defaultsNdcg10: 'Defaults NDCG@10',
  trials: 'Tuning trials',
  seconds: 'Tuning seconds',
  gainStandardError: 'Tuning gain SE',
  keptDefaults: 'Defaults kept',
};
const metricName = (name: string): string => (Object.hasOwn(METRIC_NAMES, name) ? METRIC_NAMES[name]! : name);
const metric = (model: ReadModel, name: string): Value => model.metrics.find(([key]) => key === name)?.[1] ?? null;

export function liveModel(model: ReadModel | null): SafeHtml {
  if (model === null) return html`<p class="empty">No live model: lists are popularity until a training run.</p>`;
  const live = new Map(model.liveMetrics);
  return html`<dl class="facts">
      <div>
        <dt>Version</dt>
        <dd class="mono" data-live-version="${model.version}">${model.version}</dd>
      </div>
      <div>
        <dt>Live since</dt>
        <dd>${formatTime(model.liveSince ?? model.createdAt)}</dd>
      </div>
      <div>
        <dt>Holdout users</dt>
        <dd>${formatValue(model.holdoutUsers, 'count')}</dd>
      </div>
    </dl>
    <table class="metrics">
      <thead>
        <tr>
          <th scope="col">Offline metric</th>
          <th scope="col" class="num">This model</th>
          <th scope="col" class="num">Model it replaced</th>
        </tr>
      </thead>
      <tbody>
        ${model.metrics.map(
          ([name, value]) =>
            html`<tr>
              <td>${metricName(name)}</td>
              <td class="num">${formatValue(value, 'metric')}</td>
              <td class="num">${formatValue(live.get(name), 'metric')}</td>
            </tr>`,
        )}
        ${model.tuning.map(
          ([name, value]) =>
            html`<tr>
              <td>${metricName(name)}</td>
              <td class="num">${formatValue(value, 'metric')}</td>
              <td class="num">${MISSING}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${model.metrics.length + model.tuning.length === 0 ? html`<p class="empty">No offline metrics recorded.</p>` : ''}`;
}

export function registryTable(models: readonly ReadModel[], liveVersion: string | null): SafeHtml {
  if (models.length === 0) return html`<p class="empty">The registry is empty.</p>`;
  return html`<table class="stack">
    <thead>
      <tr>
        <th scope="col">Version</th>
        <th scope="col">Status</th>
        <th scope="col">Created</th>
        <th scope="col">Trigger</th>
        <th scope="col" class="num">NDCG@10</th>
        <th scope="col" class="num">HR@10</th>
        <th scope="col" class="num">Coverage</th>
        <th scope="col">Verdict</th>
      </tr>
    </thead>
    <tbody>
      ${models.map(
        (model) =>
          html`<tr class="${model.version === liveVersion ? 'live' : ''}">
            <td class="mono" data-label="Version">${model.version}</td>
            <td data-label="Status"><span class="status">${model.status ?? MISSING}</span></td>
            <td class="nowrap" data-label="Created">${formatTime(model.createdAt)}</td>
            <td data-label="Trigger">${model.trigger ?? MISSING}</td>
            <td class="num" data-label="NDCG@10">${formatValue(metric(model, 'ndcg10'), 'metric')}</td>
            <td class="num" data-label="HR@10">${formatValue(metric(model, 'hr10'), 'metric')}</td>
            <td class="num" data-label="Coverage">${formatValue(metric(model, 'coverage'), 'metric')}</td>
            <td class="verdict" data-label="Verdict">${model.verdict ?? MISSING}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
