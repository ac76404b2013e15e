import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapVersion, type BootstrapModel } from '#local/localModel.ts';
import { startLocalStack, type LocalStack } from '#local/stack.ts';
import type { CatalogueItem, Interaction } from '#shared/recommender/model.ts';
import { trainerFor } from '#shared/recommender/registry.ts';

/** What a test's model is fitted on. */
export interface ModelData {
  readonly interactions: readonly Interaction[];
  readonly catalogue: readonly CatalogueItem[];
}

/** The default model fitted on `data`, saved in `dir`, as the local stack takes the model it starts with. */
export async function fittedBootstrapModel(dir: string, data: ModelData): Promise<BootstrapModel> {
  const model = await trainerFor('hybrid').fit({
    interactions: [...data.interactions],
    catalogue: [...data.catalogue],
  });
  await model.save(dir);
  const at = new Date().toISOString();
  return {
    dir,
    version: bootstrapVersion(Date.now()),
    window: { from: at, holdoutFrom: at, to: at },
    trainedOn: 0,
    history: [],
  };
}

/**
 * The local stack on a free port, with its stand-ins of its own (not those of the environment), a short stream batching
 * window, and the model fitted on `data` as its live version.
 */
export async function startModelStack(options: {
  readonly name: string;
  readonly apiKey: string;
  readonly data: () => ModelData;
}): Promise<LocalStack> {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  delete process.env.AWS_ENDPOINT_URL_KINESIS;
  const dataDir = mkdtempSync(join(tmpdir(), `reco-${options.name}-`));
  return startLocalStack({
    port: 0,
    apiKey: options.apiKey,
    dataDir,
    batchingWindowMs: 50,
    model: () => fittedBootstrapModel(join(dataDir, 'model'), options.data()),
  });
}
