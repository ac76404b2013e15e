/** `reco train`: tune, then train on all the data and write the model. */
import { mkdtemp, mkdir, readFile, rm, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hyperparameters, Trainer } from '#shared/recommender/model.ts';
import { HyperparameterError } from '#shared/recommender/hyperparameters.ts';
import { algorithmName, optional, required, UsageError, type CliIo, type Values } from '../flags.ts';
import { tuneBudgetOption } from '../tuneOptions.ts';
import { loadData, registry } from '../trainingData.ts';

/** `key=value` with the value as a number, boolean or string. */
export function parseParam(text: string): [string, number | string | boolean] {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new UsageError(`--param must be key=value, got "${text}"`);
  const key = text.slice(0, equals).trim();
  const raw = text.slice(equals + 1).trim();
  if (raw === 'true' || raw === 'false') return [key, raw === 'true'];
  const number = Number(raw);
  return [key, raw !== '' && Number.isFinite(number) ? number : raw];
}

/** Hyperparameters from `--params-file` (a tune result or a plain object) and `--param`s (which win). */
async function hyperparametersOf(values: Values): Promise<Record<string, number | string | boolean>> {
  // A map, so a name such as `__proto__` is kept, and refused by the trainer's check, not dropped.
  const params = new Map<string, number | string | boolean>();
  const file = optional(values, 'params-file');
  if (file !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new UsageError(`--params-file: cannot read ${file} as JSON (${(error as Error).message})`);
    }
    const object = (parsed as { hyperparameters?: unknown })?.hyperparameters ?? parsed;
    if (typeof object !== 'object' || object === null || Array.isArray(object)) {
      throw new UsageError(`--params-file: ${file} must hold a JSON object of hyperparameters`);
    }
    for (const [key, value] of Object.entries(object)) {
      if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean') {
        throw new UsageError(`--params-file: ${file}: ${key} must be a number, string or boolean`);
      }
      params.set(key, value);
    }
  }
  for (const text of (values['param'] as string[] | undefined) ?? []) {
    const [key, value] = parseParam(text);
    params.set(key, value);
  }
  return Object.fromEntries(params);
}

/** Checks hyperparameter names against the trainer, naming the valid ones on a bad name. */
async function checkedHyperparameters(trainer: Trainer, params: Hyperparameters, flag: string): Promise<void> {
  const { validateHyperparameters } = await registry();
  try {
    validateHyperparameters(trainer, params);
  } catch (error) {
    if (!(error instanceof HyperparameterError)) throw error;
    // An unknown name's message names the valid ones already; a wrong type's does not.
    const valid =
      error.reason === 'unknown_name'
        ? ''
        : `; valid for ${trainer.algorithm}: ${Object.keys(trainer.defaults).join(', ')}`;
    throw new UsageError(`${flag}: ${error.message}${valid}`);
  }
}

export async function train(values: Values, io: CliIo): Promise<void> {
  const out = required(values, 'out');
  const algorithm = algorithmName(optional(values, 'algorithm') ?? 'hybrid', '--algorithm');
  const params = await hyperparametersOf(values);
  const budget = tuneBudgetOption(values);
  const { trainerFor } = await registry();
  const trainer = trainerFor(algorithm);
  await checkedHyperparameters(trainer, params, '--param');
  const data = await loadData(values, io);
  io.stderr.write(
    `training ${algorithm} on ${data.interactions.length} interactions, ${data.catalogue.length} catalogue items\n`,
  );
  const start = performance.now();
  const { trainTuned } = await import('#shared/recommender/autotune/autotune.ts');
  const { model, report } = await trainTuned(trainer, data, params, {
    budget,
    log: (line) => io.stderr.write(`${line}\n`),
  });
  await mkdir(out, { recursive: true });
  await model.save(out);
  if (report !== undefined) {
    const { recordTuning } = await import('#shared/recommender/autotune/record.ts');
    await recordTuning(out, report);
  }
  io.stderr.write(`wrote ${out} in ${((performance.now() - start) / 1000).toFixed(1)} s\n`);
  if (values['pack'] === true) {
    // Packed outside the directory first, so the archive never contains itself.
    const scratch = await mkdtemp(join(tmpdir(), 'reco-pack-'));
    try {
      const archive = join(scratch, 'model.tar.gz');
      const { packModel } = await import('#shared/recommender/io/tar.ts');
      await packModel(out, archive);
      await copyFile(archive, join(out, 'model.tar.gz'));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    io.stderr.write(`wrote ${join(out, 'model.tar.gz')}\n`);
  }
}
