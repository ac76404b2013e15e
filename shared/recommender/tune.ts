/**
 * Hyperparameter search on a validation split carved from the training part of the test split,
 * so the test interactions never influence the chosen parameters.
 *
 * Each trial is a random neighbour of the trainer's defaults (the best values known) within the
 * ranges of `autotune/space.ts`: scales on a log scale, event-type weights with their sign kept,
 * seeds and thread counts never varied. Trial 0 is the defaults themselves, so tuning can only
 * report something at least as good as them on the validation split.
 */
import type { Hyperparameters, Trainer, TrainingData } from './model.ts';
import { scoreModel } from './evaluation/evaluate.ts';
import { randomFor } from './evaluation/random.ts';
import { validationSplit, type SplitOptions } from './evaluation/splits.ts';
import { perturb } from './autotune/space.ts';

export { perturb };

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
