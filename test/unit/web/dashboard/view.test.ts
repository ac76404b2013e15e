import { describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../../../../web/dashboard/html.ts';
import { readReport } from '../../../../web/dashboard/report.ts';
import {
  attributionRows,
  attributionTable,
  chartData,
  formatTime,
  formatValue,
  isolatedIndices,
  latencyCharts,
  legendTime,
  legendValue,
  liveModel,
  MISSING,
  operationalCharts,
  registryTable,
  tiles,
} from '../../../../web/dashboard/view.ts';
import { fixtureReport, HOSTILE_VERSION } from '../../../fixtures/dashboard/statsReport.ts';

/** The tags of markup with their quoted attribute values taken out: what a browser would act on. */
const tagsOf = (markup: string): string[] =>
  (markup.match(/<[^>]*>/g) ?? []).map((tag) => tag.replace(/"[^"]*"/g, '""'));

describe('Function: html', () => {
  it('escapes interpolated text, attribute quotes included, and keeps nested html as is', () => {
    // Act
    const inner = html`<b>${'<i>'}</b>`;
    const markup = html`<td title="${'" onmouseover="x'}">${inner}${['a&b', 1]}${null}</td>`;

    // Assess
    expect(markup.text).toBe('<td title="&quot; onmouseover=&quot;x"><b>&lt;i&gt;</b>a&amp;b1</td>');
  });

  it('escapes the five HTML specials and the backtick', () => {
    // Act + Assess
    expect(escapeHtml(`<>&"'\``)).toBe('&lt;&gt;&amp;&quot;&#39;&#96;');
  });
});

describe('Function: readReport', () => {
  it('reads the fixture: periods as epoch seconds, nulls kept, causes in their fixed order', () => {
    // Prepare
    const report = fixtureReport({ periods: 15 });

    // Act
    const read = readReport(JSON.parse(JSON.stringify(report)));

    // Assess
    expect(read.times).toHaveLength(15);
    expect(read.times[0]).toBe(Date.parse(report.series.timestamps[0]!) / 1000);
    expect(read.cacheHitRatio[5]).toBeNull();
    expect(read.cacheHitRatio[4]).toBe(report.series.cacheHitRatio[4]);
    expect(read.degradedByCause.map(([cause]) => cause)).toEqual([
      'ModelShed',
      'ModelBreakerOpen',
      'ModelFailure',
      'FeatureStoreFailure',
      'DependencyFailure',
    ]);
    expect(read.latency.map((route) => route.route)).toEqual(['userRecommendations', 'events']);
    expect(read.live?.version).toBe('v20261207093000-1a2b3c4d');
    expect(read.registry).toHaveLength(3);
    expect(read.attribution).toHaveLength(3);
  });

  it('never throws on hostile JSON and turns what it cannot read into null or nothing', () => {
    // Prepare
    const hostile = JSON.parse(
      JSON.stringify({
        series: {
          timestamps: ['2026-12-07T12:00:00Z', 'yesterday', '2026-12-07T12:02:00Z'],
          eventsPerSecond: [1, 2, 'many'],
          cacheHitRatio: [null, 0.5],
          latencyMs: { ['__proto__']: { p50: [1, 2, 3] }, constructor: 'x' },
          degradedByCause: { ModelShed: { length: 3 } },
        },
        model: { live: { version: 42 }, registry: 'none' },
        attribution: [{ modelVersion: 'v1', listKind: 'personal', clicks: '7', impressions: true }, null, 5],
      }),
    );

    // Act
    const read = readReport(hostile);
    const nothing = [null, 'text', [], 7].map(readReport);

    // Assess
    expect(read.times).toHaveLength(2);
    expect(read.eventsPerSecond).toEqual([1, null]);
    expect(read.cacheHitRatio).toEqual([null, null]);
    expect(read.degradedByCause[0]).toEqual(['ModelShed', [null, null]]);
    expect(read.latency.map((route) => route.route)).toEqual(['__proto__', 'constructor']);
    expect(read.latency[1]?.p50).toEqual([null, null]);
    expect(read.live).toBeNull();
    expect(read.registry).toEqual([]);
    expect(read.attribution).toHaveLength(1);
    expect(read.attribution[0]).toMatchObject({ clicks: null, impressions: null, modelVersion: 'v1' });
    expect(Object.hasOwn(Object.prototype, 'p50')).toBe(false);
    for (const empty of nothing) {
      expect(empty).toMatchObject({ times: [], live: null, registry: [], attribution: [], latency: [] });
    }
  });
});

describe('Function: formatValue', () => {
  it('shows null, NaN and infinities as a dash, never as 0', () => {
    // Act + Assess
    for (const unit of ['perSecond', 'ms', 'percent', 'count', 'ratio', 'money', 'metric'] as const) {
      expect(formatValue(null, unit)).toBe(MISSING);
      expect(formatValue(undefined, unit)).toBe(MISSING);
      expect(formatValue(Number.NaN, unit)).toBe(MISSING);
      expect(formatValue(Number.POSITIVE_INFINITY, unit)).toBe(MISSING);
    }
    expect(formatValue(0, 'count')).toBe('0');
  });

  it('formats each unit', () => {
    // Act + Assess
    expect(formatValue(41.25, 'perSecond')).toBe('41.3/s');
    expect(formatValue(0.5, 'perSecond')).toBe('0.5/s');
    expect(formatValue(182.4, 'ms')).toBe('182 ms');
    expect(formatValue(0.0712, 'ratio')).toBe('7.12 %');
    expect(formatValue(12, 'percent')).toBe('12 %');
    expect(formatValue(1840, 'count')).toBe('1,840');
    expect(formatValue(412.5, 'money')).toBe('412.50');
    expect(formatValue(0.18744, 'metric')).toBe('0.1874');
  });

  it('formats an ISO instant to the minute in UTC, and other text as sent', () => {
    // Act + Assess
    expect(formatTime('2026-12-07T09:41:12.000Z')).toBe('2026-12-07 09:41 UTC');
    expect(formatTime('soon')).toBe('soon');
    expect(formatTime(null)).toBe(MISSING);
  });
});

describe('Function: chartData', () => {
  it('aligns every series with the periods, null where a value is missing (a gap, not 0)', () => {
    // Prepare
    const chart = {
      key: 'k',
      title: 't',
      unit: 'ms' as const,
      series: [
        { label: 'short', values: [1] },
        { label: 'gappy', values: [null, 2, Number.NaN] },
      ],
    };

    // Act
    const data = chartData([100, 160, 220], chart);

    // Assess
    expect(data).toEqual([
      [100, 160, 220],
      [1, null, null],
      [null, 2, null],
    ]);
  });

  it('makes the operational charts from a report, ratios as percent, quiet periods as gaps', () => {
    // Prepare
    const read = readReport(fixtureReport());

    // Act
    const charts = operationalCharts(read);
    const cache = charts.find((chart) => chart.key === 'cache')!;
    const data = chartData(read.times, cache);

    // Assess
    expect(charts.map((chart) => chart.key)).toEqual(['events', 'lag', 'cache', 'degraded', 'causes']);
    expect(charts[0]?.series.map((series) => series.label)).toEqual(['accepted', 'processed']);
    expect(data[1]?.[5]).toBeNull();
    expect(data[1]?.[0]).toBeCloseTo(read.cacheHitRatio[0]! * 100);
    expect(charts.find((chart) => chart.key === 'causes')?.series).toHaveLength(5);
  });

  it('makes one latency chart per route with p50, p90 and p99', () => {
    // Act
    const charts = latencyCharts(readReport(fixtureReport()));

    // Assess
    expect(charts.map((chart) => [chart.key, chart.series.map((series) => series.label)])).toEqual([
      ['latency:userRecommendations', ['p50', 'p90', 'p99']],
      ['latency:events', ['p50', 'p90', 'p99']],
    ]);
  });
});

describe('Function: isolatedIndices', () => {
  it('returns the values with a gap on both sides, the edges counting as gaps', () => {
    // Act + Assess
    expect(isolatedIndices([null, null, 3])).toEqual([2]);
    expect(isolatedIndices([1, null, 2, 3, null, 4, null])).toEqual([0, 5]);
    expect(isolatedIndices([1, 2, null, Number.NaN, 5])).toEqual([4]);
    expect(isolatedIndices([1, 2, 3])).toBeNull();
    expect(isolatedIndices([null, undefined])).toBeNull();
    expect(isolatedIndices([7])).toEqual([0]);
  });
});

describe('Function: legendValue', () => {
  it("shows the cursor's period, or the last period without a cursor, and a dash for a gap", () => {
    // Prepare
    const data = chartData([60, 120], {
      key: 'k',
      title: 't',
      unit: 'ms',
      series: [{ label: 'a', values: [5, null] }],
    });

    // Act + Assess
    expect(legendValue(data, 1, 0, 'ms')).toBe('5 ms');
    expect(legendValue(data, 1, null, 'ms')).toBe(MISSING);
    expect(legendValue(data, 2, 0, 'ms')).toBe(MISSING);
    expect(legendTime(data, null)).toBe('latest');
  });
});

describe('Function: tiles', () => {
  it("shows the last period's values, a dash where the last period had none", () => {
    // Prepare
    const report = fixtureReport({ periods: 7 }); // period 6 is quiet: no lag, ratio or share

    // Act
    const shown = tiles(readReport(report));

    // Assess
    expect(shown.map((tile) => tile.label)).toEqual([
      'Events accepted',
      'Events processed',
      'Processor lag',
      'Cache hit ratio',
      'Degraded',
    ]);
    expect(shown[0]?.text).toBe(formatValue(report.series.eventsPerSecond[6]!, 'perSecond'));
    expect(shown.slice(2).map((tile) => tile.text)).toEqual([MISSING, MISSING, MISSING]);
  });
});

describe('Function: attributionRows', () => {
  it('sorts newest model version first, then by list kind, and formats each column', () => {
    // Act
    const rows = attributionRows(readReport(fixtureReport()).attribution);

    // Assess
    expect(rows.map((row) => [row.modelVersion, row.listKind])).toEqual([
      ['v20261207093000-1a2b3c4d', 'personal'],
      ['v20261207093000-1a2b3c4d', 'similar'],
      [HOSTILE_VERSION, 'trending'],
    ]);
    expect(Object.fromEntries(rows[0]!.cells.map((cell) => [cell.field, cell.text]))).toEqual({
      impressions: '1,840',
      clicks: '131',
      addToCarts: '22',
      purchases: '9',
      clickThroughRate: '7.12 %',
      conversionRate: '6.87 %',
      revenue: '412.50',
    });
    expect(rows[0]?.days).toBe('2026-12-07');
    expect(rows[1]?.days).toBe('2026-12-06 – 2026-12-07');
  });

  it('shows rates without a denominator as a dash and zero counts as 0', () => {
    // Act
    const similar = attributionRows(readReport(fixtureReport()).attribution)[1]!;

    // Assess
    const text = Object.fromEntries(similar.cells.map((cell) => [cell.field, cell.text]));
    expect(text).toMatchObject({ impressions: '0', clicks: '0', clickThroughRate: MISSING, conversionRate: MISSING });
  });
});

describe('Function: attributionTable, registryTable, liveModel', () => {
  it('escapes model versions, verdicts and metric names from the API in text and attributes', () => {
    // Prepare
    const report = fixtureReport();
    const hostileMetric = '<script>alert(1)</script>';
    const live = { ...report.model.live!, metrics: { candidate: { [hostileMetric]: 1 } } };
    const read = readReport({ ...report, model: { ...report.model, live } });

    // Act
    const markup = [
      attributionTable(attributionRows(read.attribution)).text,
      registryTable(read.registry, read.live?.version ?? null).text,
      liveModel(read.live).text,
    ].join('\n');

    // Assess
    expect(markup).toContain(escapeHtml(HOSTILE_VERSION));
    expect(markup).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(markup).toContain('reject: &lt;b&gt;NDCG@10&lt;/b&gt;');
    expect(markup).not.toContain('<img');
    expect(markup).not.toContain('<script');
    const tags = tagsOf(markup);
    expect(tags.length).toBeGreaterThan(50);
    for (const tag of tags) {
      expect(tag).toMatch(/^<\/?(table|thead|tbody|tr|th|td|span|p|dl|div|dt|dd)( [a-z-]+="")*>$/);
    }
  });

  it('marks each attribution row with its model version and list kind, each count with its field', () => {
    // Act
    const markup = attributionTable(attributionRows(readReport(fixtureReport()).attribution)).text;

    // Assess
    expect(markup).toMatch(
      /<tr data-model-version="v20261207093000-1a2b3c4d" data-list-kind="personal">[\s\S]*?<td class="num" data-field="clicks" data-label="Clicks">131<\/td>/,
    );
  });

  it('says so when there is nothing to show, instead of an empty table', () => {
    // Act + Assess
    expect(attributionTable([]).text).toContain('No attributed lists');
    expect(registryTable([], null).text).toContain('The registry is empty');
    expect(liveModel(null).text).toContain('No live model');
  });

  it('highlights the live version in the registry and shows missing metrics as a dash', () => {
    // Prepare
    const read = readReport(fixtureReport());

    // Act
    const markup = registryTable(read.registry, read.live?.version ?? null).text;

    // Assess
    const rows = markup.split('<tr').slice(2);
    expect(rows[0]).toContain(`<td class="num" data-label="NDCG@10">${MISSING}</td>`);
    expect(rows[1]).toMatch(/^ class="live"/);
    expect(rows[1]).toContain('<td class="num" data-label="NDCG@10">0.1874</td>');
  });
});
