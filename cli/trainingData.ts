/** What the training and evaluating commands share: the lazily loaded registry, the data files and the split flags. */
import { describeSkipped, readTrainingData } from '#shared/recommender/io/dataset.ts';
import { markNonProducts, readNonProductCodes } from '#shared/recommender/io/nonProductCodes.ts';
import { withEventTypes } from '#shared/recommender/evaluation/splits.ts';
import type * as Registry from '#shared/recommender/registry.ts';
import {
  integerOption,
  listOption,
  optional,
  positiveInteger,
  protocolOption,
  required,
  UsageError,
  type CliIo,
  type Values,
} from './flags.ts';

/** The registry is loaded only by commands that train or load models, so `--help` stays fast. */
export const registry = (): Promise<typeof Registry> => import('#shared/recommender/registry.ts');

/** The data files the flags name, bad lines reported on stderr (or skipped with --skip-invalid). */
export async function loadData(values: Values, io: CliIo) {
  const skipInvalid = values['skip-invalid'] === true;
  const items = optional(values, 'items');
  const { data, reports } = await readTrainingData(
    { interactions: required(values, 'interactions'), ...(items === undefined ? {} : { items }) },
    { skipInvalid },
  );
  for (const report of reports) {
    const skipped = describeSkipped(report);
    if (skipped !== undefined) {
      io.stderr.write(`warning: ${skipped}\n`);
      for (const example of report.examples) io.stderr.write(`  e.g. ${example}\n`);
    }
  }
  const eventTypes = listOption(values, 'event-types');
  const typed = eventTypes === undefined ? data : withEventTypes(data, eventTypes);
  // Ids never to recommend, for data that cannot carry a RECOMMENDABLE column (see docs/recommender.md).
  const overlay = optional(values, 'non-product-codes');
  return overlay === undefined ? typed : markNonProducts(typed, await readNonProductCodes(overlay));
}

/** `--quantile`, strictly between 0 and 1. */
function quantileOption(values: Values): number | undefined {
  const text = optional(values, 'quantile');
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value > 0 && value < 1)) throw new UsageError(`--quantile must be between 0 and 1, got "${text}"`);
  return value;
}

/** Split options shared by evaluate and tune. */
export function splitOptions(values: Values) {
  const maxUsers = optional(values, 'max-users') === undefined ? undefined : positiveInteger(values, 'max-users');
  const quantile = quantileOption(values);
  return {
    protocol: protocolOption(values),
    seed: integerOption(values, 'seed', 42),
    negatives: integerOption(values, 'negatives', 99, 1),
    ...(maxUsers === undefined ? {} : { maxUsers }),
    ...(quantile === undefined ? {} : { quantile }),
  };
}
