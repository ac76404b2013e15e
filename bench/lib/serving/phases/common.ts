/**
 * What every phase of the serving suite shares: the workload's sizes, answer tallies, rounding
 * and logging.
 */
import { fileURLToPath } from 'node:url';
import { sample, type CpuShare } from '../load.ts';

export const API_KEY = 'bench-key';
export const SEED = 7;
export const ITEMS = 100_000;
/** Shoppers in the training history: `u1` … `u10000`. */
export const TRAINED_SHOPPERS = 10_000;
export const MEAN_INTERACTIONS = 12;
/** Shoppers with live events only (not in the model): `live-1` …, folded in at request time. */
export const LIVE_SHOPPERS = 1_000;

/** The serving children's entry files (`stackProcess.ts`, `modelProcess.ts`, …). */
export const servingLibDir = fileURLToPath(new URL('../', import.meta.url));
export const itemId = (n: number) => `sku-${String(n).padStart(6, '0')}`;
export const round1 = (value: number) => Math.round(value * 10) / 10;
export const round3 = (value: number) => Math.round(value * 1000) / 1000;
export const log = (line: string) => console.log(`  [serving] ${line}`);

export interface Tally {
  count: number;
  status: Record<string, number>;
  cache: Record<string, number>;
  degraded: number;
}
export const newTally = (): Tally => ({ count: 0, status: {}, cache: {}, degraded: 0 });
export function count(tally: Tally, status: number, body: string, headers: Record<string, string>): void {
  tally.count++;
  tally.status[status] = (tally.status[status] ?? 0) + 1;
  const cache = headers['x-cache'] ?? 'none';
  tally.cache[cache] = (tally.cache[cache] ?? 0) + 1;
  if (body.includes('"degraded":true')) tally.degraded++;
}
export const share = (part: number, whole: number) => (whole > 0 ? part / whole : 0);

export function cpuMetrics(prefix: string, cpu: CpuShare): Record<string, number> {
  const out: Record<string, number> = { [`${prefix}CpuMachinePct`]: round1(cpu.machinePct) };
  for (const [process, pct] of Object.entries(cpu.processes)) {
    out[`${prefix}Cpu${process[0]?.toUpperCase()}${process.slice(1)}Pct`] = round1(pct);
  }
  return out;
}

/** One GET with its page's headers (see `ShopperTokens.headers`). */
export const get = (url: string, headers: Readonly<Record<string, string>>) => sample(url, { headers: { ...headers } });
