/**
 * The dashboard page: polls `api/stats?minutes=N` (relative, so the page works wherever it is
 * mounted: under the local stack's `/dashboard/`, or at the root of `reco dashboard`) and draws it.
 * Text from the API reaches the page only as escaped HTML (`html.ts`) or `textContent`.
 */
import uPlot from 'uplot';
import { html, type SafeHtml } from './html.ts';
import { readReport, type ReadReport } from './report.ts';
import {
  attributionRows,
  attributionTable,
  chartData,
  isolatedIndices,
  latencyCharts,
  legendTime,
  legendValue,
  liveModel,
  MISSING,
  operationalCharts,
  registryTable,
  tiles,
  type ChartSpec,
  type Unit,
} from './view.ts';

const REFRESH_MS = 5_000;
const TIMEOUT_MS = 10_000;
const WINDOWS = [5, 15, 60, 180] as const;
const DEFAULT_MINUTES = 15;
const CHART_HEIGHT = 170;
/** Colour-blind-safe (Okabe–Ito). */
const COLORS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#d55e00', '#56b4e9'];

const byId = (id: string): HTMLElement => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element;
};

/** Sets markup only when it changed, so a refresh keeps selections and scroll positions. */
function setHtml(element: HTMLElement, markup: SafeHtml): void {
  if (element.dataset.rendered !== markup.text) {
    element.innerHTML = markup.text;
    element.dataset.rendered = markup.text;
  }
}

function minutesOf(search: string): number {
  const value = Number(new URLSearchParams(search).get('minutes'));
  return (WINDOWS as readonly number[]).includes(value) ? value : DEFAULT_MINUTES;
}

/** Axis labels stay short: the unit is in the legend's values. */
const axisText = (value: number, unit: Unit): string =>
  unit === 'percent' ? `${value}%` : value.toLocaleString('en-US');

interface Chart {
  readonly signature: string;
  readonly card: HTMLElement;
  readonly plot: uPlot;
}

/** The charts of one container, made once per signature and fed new data on every refresh. */
class ChartGroup {
  private readonly charts = new Map<string, Chart>();
  private readonly resize = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const chart = [...this.charts.values()].find((c) => c.card === entry.target);
      chart?.plot.setSize({ width: this.widthOf(chart.card), height: CHART_HEIGHT });
    }
  });

  constructor(private readonly container: HTMLElement) {}

  private widthOf(card: HTMLElement): number {
    return Math.max(200, card.clientWidth - 24);
  }

  update(times: readonly number[], specs: readonly ChartSpec[]): void {
    const keep = new Set(specs.map((spec) => spec.key));
    for (const [key, chart] of this.charts) {
      if (!keep.has(key)) this.remove(key, chart);
    }
    for (const spec of specs) {
      const signature = JSON.stringify([spec.title, spec.unit, spec.series.map((s) => s.label)]);
      let chart = this.charts.get(spec.key);
      if (chart !== undefined && chart.signature !== signature) {
        this.remove(spec.key, chart);
        chart = undefined;
      }
      const data = chartData(times, spec);
      if (chart === undefined) chart = this.create(spec, signature, data);
      else {
        chart.plot.setData(data);
        chart.plot.setLegend({}); // the legend's "latest" values follow the new data
      }
      this.container.append(chart.card); // keeps the specs' order
    }
    this.container.dataset.empty = String(specs.length === 0);
  }

  private remove(key: string, chart: Chart): void {
    this.resize.unobserve(chart.card);
    chart.plot.destroy();
    chart.card.remove();
    this.charts.delete(key);
  }

  private create(spec: ChartSpec, signature: string, data: uPlot.AlignedData): Chart {
    const card = document.createElement('figure');
    card.className = 'card chart';
    card.dataset.chart = spec.key;
    const caption = document.createElement('figcaption');
    caption.textContent = spec.title;
    card.append(caption);
    this.container.append(card);
    const plot = new uPlot(
      {
        width: this.widthOf(card),
        height: CHART_HEIGHT,
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true },
          y: {
            range: (_u, _min, max) =>
              spec.unit === 'percent' ? [0, 100] : [0, max !== null && max > 0 ? max * 1.15 : 1],
          },
        },
        series: [
          { label: 'time', value: (u, _v, _s, idx) => legendTime(u.data, idx) },
          ...spec.series.map((series, i) => ({
            label: series.label,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            spanGaps: false,
            // uPlot draws every point only where they are sparse; a lone value is drawn wherever it is.
            points: {
              filter: (u: uPlot, s: number, show: boolean) => (show ? null : isolatedIndices(u.data[s] ?? [])),
            },
            value: (u: uPlot, _v: number, s: number, idx: number | null) => legendValue(u.data, s, idx, spec.unit),
          })),
        ],
        axes: [
          { stroke: '#555' },
          { stroke: '#555', size: 48, values: (_u, splits) => splits.map((v) => axisText(v, spec.unit)) },
        ],
      },
      data,
      card,
    );
    this.resize.observe(card);
    const chart = { signature, card, plot };
    this.charts.set(spec.key, chart);
    return chart;
  }
}

function render(report: ReadReport, groups: { operational: ChartGroup; latency: ChartGroup }): void {
  byId('live-version').textContent = report.live?.version ?? MISSING;
  setHtml(
    byId('tiles'),
    html`${tiles(report).map(
      (tile) => html`<div class="card tile"><span class="label">${tile.label}</span><span>${tile.text}</span></div>`,
    )}`,
  );
  groups.operational.update(report.times, operationalCharts(report));
  groups.latency.update(report.times, latencyCharts(report));
  setHtml(byId('attribution'), attributionTable(attributionRows(report.attribution)));
  setHtml(byId('live-model'), liveModel(report.live));
  setHtml(byId('registry'), registryTable(report.registry, report.live?.version ?? null));
}

function start(): void {
  const select = byId('minutes') as HTMLSelectElement;
  const status = byId('status');
  let minutes = minutesOf(location.search);
  select.value = String(minutes);
  const groups = { operational: new ChartGroup(byId('charts')), latency: new ChartGroup(byId('latency')) };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;

  const say = (state: 'ok' | 'error' | 'loading', text: string) => {
    status.dataset.state = state;
    status.textContent = text;
  };

  async function refresh(): Promise<void> {
    clearTimeout(timer);
    const mine = ++generation;
    try {
      const response = await fetch(`api/stats?minutes=${minutes}`, {
        cache: 'no-store',
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (mine !== generation) return;
      if (!response.ok || json === undefined) {
        const { reason, message } = (json ?? {}) as { reason?: unknown; message?: unknown };
        say(
          'error',
          `Stats unavailable (${response.status}${typeof reason === 'string' ? ` ${reason}` : ''})` +
            `${typeof message === 'string' ? `: ${message.slice(0, 300)}` : ''}. Showing the last good data.`,
        );
      } else {
        const report = readReport(json);
        render(report, groups);
        const at = report.generatedAt === null ? new Date() : new Date(report.generatedAt);
        say('ok', `Updated ${at.toLocaleTimeString()} · source ${report.source ?? MISSING}`);
      }
    } catch (error) {
      if (mine !== generation) return;
      say('error', `Stats unreachable (${(error as Error).name}). Retrying.`);
    } finally {
      // Hidden tabs wait for visibilitychange instead of polling.
      if (mine === generation && document.visibilityState !== 'hidden') timer = setTimeout(refresh, REFRESH_MS);
    }
  }

  select.addEventListener('change', () => {
    minutes = minutesOf(`?minutes=${select.value}`);
    const url = new URL(location.href);
    url.searchParams.set('minutes', String(minutes));
    history.replaceState(null, '', url);
    say('loading', 'Loading…');
    void refresh();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void refresh();
  });
  void refresh();
}

start();
