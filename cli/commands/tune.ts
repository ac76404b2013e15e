/** `reco tune`: random search on a validation split, written as JSON for `train --params-file`. */
import { rename, writeFile } from 'node:fs/promises';
import { tune } from '#shared/recommender/tune.ts';
import { algorithmName, optional, positiveInteger, required, UsageError, type CliIo, type Values } from '../flags.ts';
import { loadData, registry, splitOptions } from '../trainingData.ts';

export async function tuneCommand(values: Values, io: CliIo): Promise<void> {
  const algorithm = algorithmName(required(values, 'algorithm'), '--algorithm');
  const out = required(values, 'out');
  const trials = positiveInteger(values, 'trials', 20);
  const metric = optional(values, 'metric') ?? 'ndcg@10';
  // K from 1: at 0 every trial scores 0 and the search picks at random.
  if (!/^(hr|ndcg|precision|recall|coverage)@[1-9]\d*$|^mrr$/.test(metric)) {
    throw new UsageError(
      `--metric must be hr@K, ndcg@K, precision@K, recall@K or mrr (K a positive integer), got "${metric}"`,
    );
  }
  const options = splitOptions(values);
  const data = await loadData(values, io);
  const { trainerFor } = await registry();
  const trainer = trainerFor(algorithm);
  const result = await tune(trainer, data, {
    ...options,
    trials,
    metric,
    onTrial: (trial, i) =>
      io.stderr.write(
        `trial ${i + 1}/${trials}: ${metric} ${trial.score.toFixed(4)} ${JSON.stringify(trial.hyperparameters)}\n`,
      ),
  });
  const text = JSON.stringify(
    {
      algorithm,
      hyperparameters: result.best.hyperparameters,
      metric,
      score: result.best.score,
      protocol: options.protocol,
      validationUsers: result.validationUsers,
      trials: result.trials.map((t) => ({ hyperparameters: t.hyperparameters, score: t.score })),
    },
    null,
    2,
  );
  const temporary = `${out}.tmp`;
  await writeFile(temporary, `${text}\n`);
  await rename(temporary, out);
  io.stderr.write(
    `best ${metric} ${result.best.score.toFixed(4)} on ${result.validationUsers} validation users; wrote ${out}\n`,
  );
}
