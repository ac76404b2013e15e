/**
 * Offline evaluation: split once, train every algorithm on the same training part, rank for every
 * test user, average the metrics. Rows come back side by side so algorithms compare on identical
 * data.
 */
import { performance } from 'node:perf_hooks';
import type { AlgorithmName, Hyperparameters, Model, Trainer, TrainingData } from '../model.ts';
import { catalogueCoverage, scoreList } from './metrics.ts';
import { splitData, type Protocol, type Split, type SplitOptions } from './splits.ts';

export const DEFAULT_KS = [5, 10, 20] as const;

export interface EvaluateOptions extends SplitOptions {
  /** Cut-offs for the @K metrics (default 5, 10, 20). */
  readonly ks?: readonly number[];
  /** Hyperparameters per algorithm; the trainer's defaults otherwise. */
  readonly hyperparameters?: Partial<Record<AlgorithmName, Hyperparameters>>;
  /** A split made earlier (e.g. shared between runs); `data` and the split options are then ignored. */
  readonly split?: Split;
  /** Progress lines for long runs (`training ials ...`). */
  readonly onProgress?: (message: string) => void;
}

/** One algorithm's result on one split. */
export interface EvaluationRow {
  readonly algorithm: AlgorithmName;
  readonly protocol: Protocol;
  /** Users evaluated. */
  readonly users: number;
  /** Averages over users: `hr@10`, `precision@10`, `recall@10`, `ndcg@10`, ..., `mrr`, `coverage@10`. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly trainMs: number;
  /** Time spent ranking for all test users. */
  readonly rankMs: number;
}

export interface EvaluationReport {
  readonly protocol: Protocol;
  readonly ks: readonly number[];
  readonly users: number;
  readonly usersNotEvaluated: number;
  readonly trainInteractions: number;
  readonly cutoff?: number;
  readonly rows: readonly EvaluationRow[];
}

/**
 * Ranks every test case with `model` and averages the metrics. Sampled cases rank exactly their
 * candidates (so MRR is over the whole candidate list); full cases ask for the top max(K) with
 * `excludeSeen`, so MRR there is MRR@max(K). Coverage is the share of the catalogue appearing in
 * some top K: under `loo-sampled` it only reflects the sampled lists.
 */
export function scoreModel(
  model: Model,
  split: Split,
  ks: readonly number[],
): { metrics: Record<string, number>; rankMs: number } {
  const maxK = Math.max(...ks);
  const totals: Record<string, number> = {};
  const lists: string[][] = [];
  const start = performance.now();
  for (const testCase of split.cases) {
    const ranked =
      testCase.candidates === undefined
        ? model.recommend({ userId: testCase.userId, count: maxK, filters: { excludeSeen: true } })
        : model.recommend({
            userId: testCase.userId,
            candidates: testCase.candidates,
            count: testCase.candidates.length,
          });
    const itemIds = ranked.map((item) => item.itemId);
    lists.push(itemIds);
    for (const [name, value] of Object.entries(scoreList(testCase.relevant, itemIds, ks))) {
      totals[name] = (totals[name] ?? 0) + value;
    }
  }
  const rankMs = performance.now() - start;
  const users = split.cases.length;
  const metrics: Record<string, number> = {};
  for (const [name, total] of Object.entries(totals)) metrics[name] = users > 0 ? total / users : 0;
  for (const k of ks) metrics[`coverage@${k}`] = catalogueCoverage(lists, k, split.catalogueSize);
  return { metrics, rankMs };
}

/** Trains each trainer on the split's training part and scores it on the test users. */
export async function evaluate(
  trainers: readonly Trainer[],
  data: TrainingData,
  options: EvaluateOptions,
): Promise<EvaluationReport> {
  const ks = [...(options.ks ?? DEFAULT_KS)];
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new RangeError(`ks must be positive integers, got ${ks.join(',')}`);
  }
  const split = options.split ?? splitData(data, options);
  const rows: EvaluationRow[] = [];
  for (const trainer of trainers) {
    options.onProgress?.(`training ${trainer.algorithm} on ${split.train.interactions.length} interactions`);
    const trainStart = performance.now();
    const model = await trainer.fit(split.train, options.hyperparameters?.[trainer.algorithm]);
    const trainMs = performance.now() - trainStart;
    options.onProgress?.(`ranking ${split.cases.length} users with ${trainer.algorithm}`);
    const { metrics, rankMs } = scoreModel(model, split, ks);
    rows.push({
      algorithm: trainer.algorithm,
      protocol: split.protocol,
      users: split.cases.length,
      metrics,
      trainMs,
      rankMs,
    });
  }
  const report: EvaluationReport = {
    protocol: split.protocol,
    ks,
    users: split.cases.length,
    usersNotEvaluated: split.usersNotEvaluated,
    trainInteractions: split.train.interactions.length,
    rows,
  };
  return split.cutoff === undefined ? report : { ...report, cutoff: split.cutoff };
}

/**
 * A plain-text table, metrics down and algorithms across, e.g.
 *
 * ```
 * metric      popularity  item-knn
 * hr@10           0.4512    0.6601
 * ```
 */
export function formatReport(report: EvaluationReport): string {
  const names = report.rows.map((row) => row.algorithm);
  const metricNames = [
    ...report.ks.flatMap((k) => [`hr@${k}`, `ndcg@${k}`, `precision@${k}`, `recall@${k}`]),
    'mrr',
    ...report.ks.map((k) => `coverage@${k}`),
  ];
  const lines: string[][] = [['metric', ...names]];
  for (const metric of metricNames) {
    lines.push([metric, ...report.rows.map((row) => (row.metrics[metric] ?? Number.NaN).toFixed(4))]);
  }
  lines.push(['train s', ...report.rows.map((row) => (row.trainMs / 1000).toFixed(1))]);
  lines.push(['rank s', ...report.rows.map((row) => (row.rankMs / 1000).toFixed(1))]);
  const widths = lines[0]!.map((_, column) => Math.max(...lines.map((line) => (line[column] ?? '').length)));
  const table = lines.map((line) =>
    line.map((text, column) => (column === 0 ? text.padEnd(widths[0]!) : text.padStart(widths[column]!))).join('  '),
  );
  const cutoff = report.cutoff === undefined ? '' : `, cutoff ${new Date(report.cutoff * 1000).toISOString()}`;
  const header = `${report.protocol}: ${report.users} users evaluated (${report.usersNotEvaluated} not), ${report.trainInteractions} training interactions${cutoff}`;
  return [header, ...table].join('\n');
}
