/**
 * The hybrid's blend stage of tuning: its weights as hyperparameters, and the fit on the
 * components' cached validation scores (see blend.ts).
 */
import { HYBRID_PARAMS, hybridSettings, type HybridComponent } from '../algorithms/hybrid.ts';
import type { Hyperparameters } from '../model.ts';
import { blendRanks, fitBlend, poolCases, type BlendFit, type BlendWeights, type PoolCase } from './blend.ts';
import { metricsOfRanks, type RankedMetrics, type ValidationCase } from './validation.ts';

const NAMES: Readonly<Record<keyof BlendWeights, string>> = HYBRID_PARAMS.blend;

/** The blend weights a hybrid's resolved hyperparameters hold. */
export function blendWeightsOf(params: Hyperparameters): BlendWeights {
  const settings = hybridSettings(params);
  return { ...settings, popularityWeight: settings.popularityWeight ?? 0 };
}

/** Weights as `blend.*` hyperparameters, only those that differ from `defaults`. */
export function blendParams(weights: BlendWeights, defaults: Hyperparameters): Hyperparameters {
  const params: Record<string, number> = {};
  for (const [key, name] of Object.entries(NAMES)) {
    const value = weights[key as keyof BlendWeights];
    if (defaults[name] !== value) params[name] = value;
  }
  return params;
}

/** The blend of `params` on validation, and the pools it was scored on (reused by the fit). */
export function blendMetricsOf(
  hybrid: HybridComponent,
  cases: readonly ValidationCase[],
  params: Hyperparameters,
): RankedMetrics & { pools: PoolCase[] } {
  const pools = poolCases(hybrid, cases);
  const ranks = blendRanks(pools, blendWeightsOf(params));
  return { metrics: metricsOfRanks(ranks), ranks, pools };
}

/** Fits the blend weights from `params`' own, leaving alone the ones the caller set. */
export function tuneBlend(options: {
  readonly hybrid: HybridComponent;
  readonly cases: readonly ValidationCase[];
  readonly params: Hyperparameters;
  readonly fixed: ReadonlySet<string>;
  readonly pools?: readonly PoolCase[];
}): BlendFit {
  const pools = options.pools ?? poolCases(options.hybrid, options.cases);
  const frozen = new Set((Object.keys(NAMES) as (keyof BlendWeights)[]).filter((key) => options.fixed.has(NAMES[key])));
  return fitBlend(pools, blendWeightsOf(options.params), { frozen });
}
