import { stats as statsConfig } from '../config/index.ts';
import type { AttributionStore } from '../ports/index.ts';
import type { ModelRegistry, ModelVersionRecord } from '../training/registry.ts';
import { attributionDays, attributionRows } from './attribution.ts';
import type { StatsReport, StatsSeries, StatsWindow } from './report.ts';
import { statsWindow } from './window.ts';

/**
 * Where the operational series come from: CloudWatch in AWS (`shared/adapters/cloudWatchMetrics.ts`),
 * the local stack's own collector locally (`local/stats/collector.ts`).
 */
export interface OperationalMetrics {
  readonly source: StatsReport['source'];
  /** The finest period the metrics are kept at, s. */
  readonly resolutionSeconds: number;
  /** One value per period of `window` in each series. */
  read(window: StatsWindow): Promise<StatsSeries>;
}

export interface StatsDeps {
  readonly metrics: OperationalMetrics;
  readonly registry: Pick<ModelRegistry, 'live' | 'listVersions' | 'getVersion'>;
  readonly attribution: Pick<AttributionStore, 'attribution'>;
  /**
   * The version lists are served as when no model answers (before the first model, and degraded
   * answers): its attribution is reported too.
   */
  readonly fallbackVersion?: string;
}

export interface StatsRequest {
  readonly minutes: number;
  /** Epoch ms. */
  readonly now: number;
}

/**
 * `GET /v1/admin/stats`: the series of the last `minutes`, the live model with the registry's newest
 * versions, and attribution over the last `stats.attributionDays` days for the live version, those
 * versions and the fallback's.
 */
export async function statsReport(deps: StatsDeps, request: StatsRequest): Promise<StatsReport> {
  const { now } = request;
  const window = statsWindow({ minutes: request.minutes, now, resolutionSeconds: deps.metrics.resolutionSeconds });
  const [series, live, registry] = await Promise.all([
    deps.metrics.read(window),
    deps.registry.live(),
    deps.registry.listVersions({ limit: statsConfig.registryVersions }),
  ]);
  const liveRecord: ModelVersionRecord | null =
    live === undefined
      ? null
      : (registry.find((record) => record.version === live.version) ??
        (await deps.registry.getVersion(live.version)) ??
        null);
  const versions = [
    ...(live === undefined ? [] : [live.version]),
    ...registry.map((record) => record.version),
    ...(deps.fallbackVersion === undefined ? [] : [deps.fallbackVersion]),
  ];
  const attribution = await attributionRows(deps.attribution, {
    versions,
    ...attributionDays(now, statsConfig.attributionDays),
  });
  return {
    source: deps.metrics.source,
    generatedAt: new Date(now).toISOString(),
    window,
    series,
    model: { live: liveRecord, registry },
    attribution,
  };
}
