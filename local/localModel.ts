import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CatalogueItem, Interaction } from '#shared/recommender/model.ts';
import { trainerFor } from '#shared/recommender/registry.ts';
import { loadServingModel } from '../model/lib/loading.ts';
import { InferenceServer } from '../model/lib/server.ts';
import type { Catalogue, TrafficSimulator } from './simulator/index.ts';

export interface LocalModel {
  /** Where `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME` points: the `model/` server on loopback. */
  readonly url: string;
  readonly modelVersion: string;
  readonly trainedOn: number;
  close(): Promise<void>;
}

/** Item metadata in the Personalize items schema the trainer takes. */
export function catalogueEntries(catalogue: Catalogue): CatalogueItem[] {
  return catalogue.items.map((item) => ({
    itemId: item.itemId,
    title: item.title,
    description: item.description,
    categories: item.categories,
    price: item.price,
    inStock: item.inStock,
  }));
}

/**
 * The local stand-in for a SageMaker endpoint: trains the default model on a simulated history
 * of the same shoppers and catalogue the traffic simulator uses, then serves it with the
 * `model/` inference server, so the recommend handler's SageMaker client runs unchanged.
 */
export async function startLocalModel(options: {
  readonly dir: string;
  readonly catalogue: Catalogue;
  readonly history: TrafficSimulator;
  readonly events: number;
  readonly log?: (line: string) => void;
}): Promise<LocalModel> {
  const interactions: Interaction[] = [];
  for (const event of options.history.nextEvents(options.events)) {
    if (event.itemId === undefined || event.type === 'search' || event.type === 'identify') continue;
    const timestamp = typeof event.timestamp === 'number' ? event.timestamp : Date.parse(event.timestamp);
    interactions.push({
      userId: event.userId ?? event.anonymousId ?? '',
      itemId: event.itemId,
      timestamp: Math.floor(timestamp / 1000),
      eventType: event.type,
      ...(event.quantity === undefined ? {} : { eventValue: event.quantity }),
    });
  }
  const model = await trainerFor('hybrid').fit({ interactions, catalogue: catalogueEntries(options.catalogue) });
  await rm(options.dir, { recursive: true, force: true });
  await mkdir(options.dir, { recursive: true });
  await model.save(options.dir);
  const server = new InferenceServer({ log: options.log ?? ((line) => console.error(line)) });
  const url = await server.listen(0, '127.0.0.1');
  const loaded = await loadServingModel(options.dir);
  server.ready(loaded.serving);
  return {
    url,
    modelVersion: loaded.serving.modelVersion,
    trainedOn: interactions.length,
    close: async () => {
      await server.close(1_000);
      await loaded.cleanup();
    },
  };
}

export const localModelDir = (dataDir: string) => join(dataDir, 'model');
