/**
 * The chaos phase's bookkeeping: its request mix, its answers, and how phases and recovery are
 * read from them.
 */
import type { CpuShare, Sample } from '../load.ts';
import { itemId, round1, round3, share } from './common.ts';

export interface Answer {
  readonly at: number;
  readonly kind: 'personal' | 'similar' | 'trending';
  readonly status: number;
  readonly degraded: boolean;
  readonly cache: string;
}

export const CHAOS_SHOPPERS = 400;
const CHAOS_ITEMS = 100;
export const CHAOS_KINDS = [
  'personal',
  'personal',
  'similar',
  'personal',
  'trending',
  'personal',
  'similar',
  'personal',
] as const;

/** The signed-in shopper whose page sends the n-th request (their own list, or a shared one). */
export const chaosShopper = (n: number): string => `chaos-${(n % CHAOS_SHOPPERS) + 1}`;

export function chaosPath(kind: Answer['kind'], n: number): string {
  if (kind === 'personal') return `/v1/users/${chaosShopper(n)}/recommendations`;
  if (kind === 'similar') return `/v1/items/${itemId((n % CHAOS_ITEMS) + 1)}/similar`;
  return '/v1/trending';
}

export interface Phase {
  readonly name: string;
  readonly from: number;
  readonly to: number;
  readonly cpu: CpuShare;
}

/** Per phase: answers/s, shares of degraded and BYPASS answers, 5xx, CPU of the stack and the model. */
export function phaseMetrics(phase: Phase, answers: readonly Answer[]): Record<string, number> {
  const inPhase = answers.filter((a) => a.at >= phase.from && a.at < phase.to);
  const seconds = Math.max(1e-3, (phase.to - phase.from) / 1000);
  const p = `chaos${phase.name}`;
  return {
    [`${p}Rps`]: round1(inPhase.length / seconds),
    [`${p}DegradedShare`]: round3(share(inPhase.filter((a) => a.degraded).length, inPhase.length)),
    [`${p}BypassShare`]: round3(share(inPhase.filter((a) => a.cache === 'BYPASS').length, inPhase.length)),
    [`${p}5xx`]: inPhase.filter((a) => a.status >= 500).length,
    [`${p}CpuStackPct`]: round1(phase.cpu.processes.stack ?? Number.NaN),
    [`${p}CpuModelPct`]: round1(phase.cpu.processes.model ?? Number.NaN),
    [`${p}CpuMachinePct`]: round1(phase.cpu.machinePct),
  };
}

/**
 * When the sampler's answers (ordered by request start) recovered after `backAt`: the model at
 * the first request of the final run of 200, non-degraded answers; the cache at the first
 * request of the final run of answers that are not BYPASS. Start (sent) and end (answered) of
 * those requests; NaN while there is no such run.
 */
export function recoveryOf(samples: readonly Sample[], backAt: number) {
  const after = samples.filter((s) => s.start >= backAt);
  const finalRun = (good: (s: Sample) => boolean): Sample | undefined => {
    let first = after.length;
    while (first > 0 && good(after[first - 1] as Sample)) first--;
    return after[first];
  };
  const model = finalRun((s) => s.status === 200 && s.degraded === false);
  const cache = finalRun((s) => s.status === 200 && s.cache !== undefined && s.cache !== 'BYPASS');
  return {
    modelStart: model?.start ?? Number.NaN,
    modelEnd: model?.end ?? Number.NaN,
    cacheStart: cache?.start ?? Number.NaN,
    cacheEnd: cache?.end ?? Number.NaN,
  };
}
