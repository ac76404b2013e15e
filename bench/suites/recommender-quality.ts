/**
 * Recommendation quality: every algorithm under `loo-sampled` (the NCF protocol: latest item per
 * user ranked among 99 sampled negatives) and `time-split` (global cutoff at the 80 % quantile of
 * time, full-catalogue ranking) on two data sets:
 *
 * - online-retail (UCI id 352, doi:10.24432/C5BW33, Chen, Sain and Guo 2012, CC BY 4.0): purchase
 *   events only. Returns (2 % of lines) are dropped from training and test alike, so every held-out
 *   interaction is a purchase and a model is never asked to "predict" a cancellation.
 * - synthetic: the seeded MovieLens-1M-shaped set from `bench/data/synthetic.ts` (6,040 users,
 *   3,700 items, ~1M interactions), generated on first use into a cache directory.
 *
 * Published bar under the NCF protocol on the real MovieLens-1M (He et al. 2017 and Rendle et al.
 * 2020), HR@10 / NDCG@10: NeuMF 0.730 / 0.447, iALS 0.722 / 0.445, ItemKNN 0.66 / 0.39,
 * TopPop 0.45 / 0.25. The synthetic set is shaped like it, not the same data: compare the ordering
 * and the gaps to popularity, not the third decimal.
 *
 * The harness record needs a subject and a floor throughput; here they are ranking speeds for
 * information (hybrid vs popularity ranking the synthetic loo-sampled test users, one round each),
 * and the quality numbers are in `metrics`.
 */
import { ALGORITHMS, type AlgorithmName, type Model } from '#shared/recommender/model.ts';
import { readTrainingData } from '#shared/recommender/io/dataset.ts';
import {
  markNonProducts,
  NON_PRODUCT_CODES_FILE,
  readNonProductCodes,
} from '#shared/recommender/io/nonProductCodes.ts';
import {
  evaluate,
  scoreModel,
  type EvaluationReport,
  type EvaluationRow,
} from '#shared/recommender/evaluation/evaluate.ts';
import { splitData, withEventTypes, type Protocol } from '#shared/recommender/evaluation/splits.ts';
import { trainerFor } from '#shared/recommender/registry.ts';
import { POPULARITY_PARAMS } from '#shared/recommender/algorithms/popularity.ts';
import { syntheticDataset, syntheticOracle } from '../data/synthetic.ts';
import { atLeast, throughputOf, type BenchResult, type TargetCheck } from '../lib/harness.ts';

export const name = 'recommender-quality';
export const description =
  'HR@10, NDCG@10, recall@10 and coverage of every algorithm under loo-sampled (99 negatives) and time-split (80 % cutoff) on online-retail purchases and a synthetic MovieLens-1M-shaped set; throughputs: hybrid vs popularity ranking speed.';

const ONLINE_RETAIL = {
  interactions: '/work/shared/data/online-retail/interactions.csv.gz',
  items: '/work/shared/data/online-retail/items.csv.gz',
};
const PROTOCOLS: readonly Protocol[] = ['loo-sampled', 'time-split'];
const KS = [10] as const;
const SEED = 42;

/** The published MovieLens-1M bar under the NCF protocol, HR@10 / NDCG@10. */
export const NCF_BAR = [
  { model: 'NeuMF', hr: 0.73, ndcg: 0.447 },
  { model: 'iALS (d=64)', hr: 0.722, ndcg: 0.445 },
  { model: 'ItemKNN', hr: 0.66, ndcg: 0.39 },
  { model: 'TopPop', hr: 0.45, ndcg: 0.25 },
] as const;

interface Run {
  readonly dataset: string;
  readonly report: EvaluationReport;
}

/**
 * Reference rows next to the defaults: popularity as a 14-day decayed total (the trend share at an
 * overwhelming weight), so the hybrid is also compared with the "what sells now" list, the
 * strongest single source on online-retail's time-split.
 */
const REFERENCES = [
  {
    label: 'popularity-trend14d',
    algorithm: 'popularity',
    hyperparameters: { [POPULARITY_PARAMS.trendWeight]: 1_000 },
  },
] as const;

/** A row's display name: the algorithm, or the reference label it was evaluated under. */
const labelOf = (row: EvaluationRow & { readonly label?: string }): string => row.label ?? row.algorithm;

const fixed = (value: number | undefined): string => (value === undefined ? '–' : value.toFixed(3));

/** Markdown table: one row per data set, protocol and algorithm. */
export function qualityTable(runs: readonly Run[]): string {
  const lines = [
    '| data set | protocol | algorithm | HR@10 | NDCG@10 | recall@10 | MRR | coverage@10 | train s | users |',
    '| --- | --- | --- | --: | --: | --: | --: | --: | --: | --: |',
  ];
  for (const { dataset, report } of runs) {
    for (const row of report.rows) {
      const m = row.metrics;
      lines.push(
        `| ${dataset} | ${report.protocol} | ${labelOf(row)} | ${fixed(m['hr@10'])} | ${fixed(m['ndcg@10'])} | ${fixed(m['recall@10'])} | ${fixed(m['mrr'])} | ${fixed(m['coverage@10'])} | ${(row.trainMs / 1000).toFixed(1)} | ${row.users} |`,
      );
    }
  }
  lines.push('', 'Published NCF bar on MovieLens-1M (loo-sampled, HR@10 / NDCG@10):');
  lines.push(NCF_BAR.map((bar) => `${bar.model} ${bar.hr} / ${bar.ndcg}`).join('; '));
  return lines.join('\n');
}

export async function run(): Promise<BenchResult> {
  const retail = await readTrainingData(ONLINE_RETAIL);
  const synthetic = await readTrainingData(await syntheticDataset());
  const datasets = [
    // Postage, fees and vouchers are never recommended: the repo's overlay marks them (the data is read-only).
    {
      dataset: 'online-retail',
      data: markNonProducts(
        withEventTypes(retail.data, ['purchase']),
        await readNonProductCodes(NON_PRODUCT_CODES_FILE),
      ),
    },
    { dataset: 'synthetic-ml1m', data: synthetic.data },
  ];
  const trainers = ALGORITHMS.map((algorithm) => trainerFor(algorithm));
  const runs: Run[] = [];
  for (const { dataset, data } of datasets) {
    for (const protocol of PROTOCOLS) {
      const split = splitData(data, { protocol, seed: SEED });
      console.log(
        `${dataset} ${protocol}: ${split.cases.length} users, ${split.train.interactions.length} training interactions`,
      );
      const report = await evaluate(trainers, data, {
        protocol,
        split,
        ks: KS,
        onProgress: (message) => console.log(`  ${message}`),
      });
      const references: EvaluationRow[] = [];
      for (const reference of REFERENCES) {
        const extra = await evaluate([trainerFor(reference.algorithm)], data, {
          protocol,
          split,
          ks: KS,
          hyperparameters: { [reference.algorithm]: reference.hyperparameters },
        });
        for (const row of extra.rows) references.push({ ...row, label: reference.label } as EvaluationRow);
      }
      if (dataset === 'synthetic-ml1m' && protocol === 'loo-sampled') {
        // The generator's own probabilities: the best ranking any model can reach on this set.
        const oracle = syntheticOracle();
        const ceiling: Model = {
          algorithm: 'popularity',
          recommend: (query) =>
            (query.candidates ?? [])
              .map((itemId) => ({ itemId, score: oracle(query.userId ?? '', itemId) }))
              .sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : 1))
              .slice(0, query.count),
          similarItems: () => [],
          save: () => Promise.reject(new Error('the Bayes ceiling is not a model')),
        };
        const { metrics, rankMs } = scoreModel(ceiling, split, KS);
        references.push({
          algorithm: 'popularity',
          label: 'bayes-ceiling',
          protocol,
          users: split.cases.length,
          metrics,
          trainMs: 0,
          rankMs,
        } as EvaluationRow);
      }
      runs.push({ dataset, report: { ...report, rows: [...report.rows, ...references] } });
    }
  }
  console.log(`\n${qualityTable(runs)}\n`);

  const metrics: Record<string, number> = {};
  for (const { dataset, report } of runs) {
    for (const row of report.rows) {
      for (const metric of ['hr@10', 'ndcg@10', 'recall@10', 'coverage@10']) {
        metrics[`${dataset}/${report.protocol}/${labelOf(row)}/${metric}`] = row.metrics[metric] ?? Number.NaN;
      }
      metrics[`${dataset}/${report.protocol}/${labelOf(row)}/train-s`] = row.trainMs / 1000;
    }
  }

  const rowOf = (dataset: string, protocol: Protocol, label: AlgorithmName | string): EvaluationRow => {
    const row = runs
      .find((r) => r.dataset === dataset && r.report.protocol === protocol)
      ?.report.rows.find((r) => labelOf(r) === label);
    if (row === undefined) throw new Error(`no result for ${dataset} ${protocol} ${label}`);
    return row;
  };
  const targets: TargetCheck[] = [];
  const others = [...ALGORITHMS.filter((a) => a !== 'hybrid'), ...REFERENCES.map((r) => r.label)];
  for (const { dataset } of datasets) {
    for (const protocol of PROTOCOLS) {
      // The hybrid must beat its best component and both popularity lists on every set and protocol.
      let best = { label: '', ndcg: Number.NEGATIVE_INFINITY };
      for (const label of others) {
        const ndcg = rowOf(dataset, protocol, label).metrics['ndcg@10'] ?? 0;
        if (ndcg > best.ndcg) best = { label, ndcg };
      }
      targets.push(
        atLeast(
          `${dataset} ${protocol}: hybrid NDCG@10 vs the best other row (${best.label})`,
          rowOf(dataset, protocol, 'hybrid').metrics['ndcg@10'] ?? 0,
          best.ndcg,
          '',
        ),
      );
    }
  }
  const ceiling = rowOf('synthetic-ml1m', 'loo-sampled', 'bayes-ceiling');
  console.log(
    `synthetic loo-sampled Bayes ceiling: HR@10 ${fixed(ceiling.metrics['hr@10'])}, NDCG@10 ${fixed(ceiling.metrics['ndcg@10'])}`,
  );
  const ials = rowOf('synthetic-ml1m', 'loo-sampled', 'ials');
  targets.push(
    atLeast('synthetic loo-sampled: iALS HR@10 vs the published ML-1M iALS', ials.metrics['hr@10'] ?? 0, 0.722, ''),
    atLeast('synthetic loo-sampled: iALS NDCG@10 vs the published ML-1M iALS', ials.metrics['ndcg@10'] ?? 0, 0.445, ''),
    atLeast(
      'synthetic loo-sampled: hybrid HR@10 vs the published ML-1M iALS',
      rowOf('synthetic-ml1m', 'loo-sampled', 'hybrid').metrics['hr@10'] ?? 0,
      0.722,
      '',
    ),
  );

  const hybrid = rowOf('synthetic-ml1m', 'loo-sampled', 'hybrid');
  const popularity = rowOf('synthetic-ml1m', 'loo-sampled', 'popularity');
  const subject = throughputOf('hybrid ranking', hybrid.users, [hybrid.rankMs]);
  const floor = throughputOf('popularity ranking', popularity.users, [popularity.rankMs]);
  return {
    unit: 'users',
    subject,
    floor,
    ratio: subject.medianPerSecond / floor.medianPerSecond,
    pairedRatio: subject.medianPerSecond / floor.medianPerSecond,
    warmupRounds: 0,
    gcBetweenRounds: false,
    metrics,
    targets,
  };
}
