import { stats as statsConfig } from '../config/index.ts';
import { InvalidRequestError } from '../errors.ts';
import type { StatsWindow } from './report.ts';

type Query = Readonly<Record<string, string | undefined>> | null | undefined;

/**
 * `?minutes=` of `GET /v1/admin/stats`: a whole number from 1 to `stats.maxMinutes`, default
 * `stats.defaultMinutes`; any other parameter is refused (`unknown_parameter`).
 */
export function parseStatsMinutes(query: Query): number {
  const unknown = Object.keys(query ?? {}).filter((name) => name !== 'minutes');
  if (unknown.length > 0) {
    throw new InvalidRequestError(
      'unknown_parameter',
      `unknown query parameter(s): ${unknown.join(', ')}; allowed: minutes`,
    );
  }
  const raw = query && Object.hasOwn(query, 'minutes') ? query.minutes : undefined;
  if (raw === undefined) return statsConfig.defaultMinutes;
  const minutes = Number(raw);
  if (!/^\d{1,4}$/.test(raw) || minutes < 1 || minutes > statsConfig.maxMinutes) {
    throw new InvalidRequestError(
      'invalid_minutes',
      `minutes must be a whole number from 1 to ${statsConfig.maxMinutes}, got "${raw.slice(0, 20)}"`,
    );
  }
  return minutes;
}

/**
 * The periods a report of the last `minutes` covers: whole periods only, ending at the start of the
 * one in progress (a partial period would read as a drop), each a multiple of the metrics' finest
 * `resolutionSeconds` so that there are at most `maxPoints` of them.
 */
export function statsWindow(options: {
  readonly minutes: number;
  /** Epoch ms. */
  readonly now: number;
  readonly resolutionSeconds: number;
  /** @default stats.maxPoints */
  readonly maxPoints?: number;
}): StatsWindow {
  const { minutes, now, resolutionSeconds } = options;
  const maxPoints = options.maxPoints ?? statsConfig.maxPoints;
  const seconds = minutes * 60;
  const periodSeconds = resolutionSeconds * Math.max(1, Math.ceil(seconds / resolutionSeconds / maxPoints));
  const periodMs = periodSeconds * 1000;
  const end = Math.floor(now / periodMs) * periodMs;
  const start = end - Math.ceil(seconds / periodSeconds) * periodMs;
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString(), periodSeconds };
}

/** Epoch ms of each period's start in `window`, oldest first. */
export function periodStarts(window: StatsWindow): number[] {
  const start = Date.parse(window.start);
  const periodMs = window.periodSeconds * 1000;
  const count = Math.round((Date.parse(window.end) - start) / periodMs);
  return Array.from({ length: count }, (_, i) => start + i * periodMs);
}
