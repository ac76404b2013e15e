/**
 * Hyperparameter search on a validation split carved from the training part of the test split,
 * so the test interactions never influence the chosen parameters.
 *
 * The search space is derived from the trainer's defaults (the best values known): each trial
 * scales numeric parameters by a random factor on a log scale (integers stay integers, shares in
 * (0, 1) stay in (0, 1)) and flips booleans. Trial 0 is the defaults themselves, so tuning can only
 * report something at least as good as them on the validation split.
 */
import type { Hyperparameters, Trainer, TrainingData } from './model.ts';
import { scoreModel } from './evaluation/evaluate.ts';
import { randomFor } from './evaluation/random.ts';
import { validationSplit, type SplitOptions } from './evaluation/splits.ts';

export interface TuneOptions extends SplitOptions {
  /** Trials including the defaults (default 20). */
  readonly trials?: number;
  /** Metric to maximise (default `ndcg@10`). */
  readonly metric?: string;
  /** Largest factor a numeric parameter is scaled by, up or down (default 4). */
  readonly spread?: number;
  readonly onTrial?: (trial: TrialResult, index: number) => void;
}

export interface TrialResult {
  readonly hyperparameters: Hyperparameters;
  readonly score: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly trainMs: number;
}

export interface TuneResult {
  readonly algorithm: string;
  readonly metric: string;
  readonly best: TrialResult;
  readonly trials: readonly TrialResult[];
  readonly validationUsers: number;
}

/** A random neighbour of the defaults. */
export function perturb(defaults: Hyperparameters, next: () => number, spread = 4): Hyperparameters {
  const params: Record<string, number | string | boolean> = {};
  for (const [name, value] of Object.entries(defaults)) {
    if (typeof value === 'boolean') {
      params[name] = next() < 0.25 ? !value : value;
    } else if (typeof value === 'number' && value !== 0) {
      const factor = Math.exp((next() * 2 - 1) * Math.log(spread));
      let scaled = value * factor;
      if (value > 0 && value < 1) scaled = Math.min(scaled, 0.99);
      params[name] = Number.isInteger(value) ? Math.max(1, Math.round(scaled)) : Number(scaled.toPrecision(3));
    } else {
      // Strings (modes) and zeros have no scale to search around; keep them.
      params[name] = value;
    }
  }
  return params;
}

/** Random search around the trainer's defaults; returns every trial and the best. */
export async function tune(trainer: Trainer, data: TrainingData, options: TuneOptions): Promise<TuneResult> {
  const trials = options.trials ?? 20;
  if (!Number.isInteger(trials) || trials < 1) throw new RangeError(`trials must be a positive integer, got ${trials}`);
  const metric = options.metric ?? 'ndcg@10';
  const k = Number(/@(\d+)$/.exec(metric)?.[1] ?? 10);
  const split = validationSplit(data, options);
  const next = randomFor(options.seed ?? 42, `tune:${trainer.algorithm}`);
  const results: TrialResult[] = [];
  const tried = new Set<string>();
  for (let i = 0; i < trials; i++) {
    const hyperparameters = i === 0 ? { ...trainer.defaults } : perturb(trainer.defaults, next, options.spread);
    const key = JSON.stringify(hyperparameters);
    if (tried.has(key) && i > 0) continue;
    tried.add(key);
    const start = performance.now();
    const model = await trainer.fit(split.train, hyperparameters);
    const trainMs = performance.now() - start;
    const { metrics } = scoreModel(model, split, [k]);
    const score = metrics[metric];
    if (score === undefined) throw new RangeError(`unknown metric ${metric}; e.g. hr@10, ndcg@10, recall@10, mrr`);
    const result: TrialResult = { hyperparameters, score, metrics, trainMs };
    results.push(result);
    options.onTrial?.(result, i);
  }
  const best = results.reduce((a, b) => (b.score > a.score ? b : a));
  return { algorithm: trainer.algorithm, metric, best, trials: results, validationUsers: split.cases.length };
}
