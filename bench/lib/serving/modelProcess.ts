/**
 * Child process: trains the default (hybrid) model on a synthetic history over a large simulator
 * catalogue, serves it with the `model/` InferenceServer on loopback, and can take the server
 * away and bring a new one back on the same port with the same model (the chaos test).
 *
 * argv[2]: JSON {@link ModelProcessOptions}. Ready value: {@link ModelProcessInfo}.
 */
import { mkdir, rm } from 'node:fs/promises';
import { catalogueEntries } from '#local/localModel.ts';
import { createCatalogue } from '#local/simulator/index.ts';
import type { Hyperparameters } from '#shared/recommender/model.ts';
import { trainerFor } from '#shared/recommender/registry.ts';
import { loadServingModel } from '../../../model/lib/loading.ts';
import { InferenceServer } from '../../../model/lib/server.ts';
import { syntheticHistory } from './history.ts';
import { failStart, serveParent } from './ipc.ts';

export interface ModelProcessOptions {
  readonly dir: string;
  readonly seed: number;
  readonly itemCount: number;
  readonly shoppers: number;
  readonly meanPerShopper: number;
  readonly userPrefix: string;
  readonly hyperparameters: Hyperparameters;
}

export interface ModelProcessInfo {
  readonly url: string;
  readonly port: number;
  readonly modelVersion: string;
  readonly interactions: number;
  readonly itemsWithInteractions: number;
  readonly catalogueItems: number;
  readonly trainMs: number;
  readonly generateMs: number;
  readonly rssMb: number;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as ModelProcessOptions;
  const started = performance.now();
  const catalogue = createCatalogue({ seed: options.seed, itemCount: options.itemCount });
  const interactions = syntheticHistory(catalogue, {
    seed: options.seed,
    shoppers: options.shoppers,
    meanPerShopper: options.meanPerShopper,
    end: Date.now() - 60_000,
    userPrefix: options.userPrefix,
  });
  const generated = performance.now();
  const model = await trainerFor('hybrid').fit(
    { interactions, catalogue: catalogueEntries(catalogue) },
    options.hyperparameters,
  );
  const trained = performance.now();
  await rm(options.dir, { recursive: true, force: true });
  await mkdir(options.dir, { recursive: true });
  await model.save(options.dir);
  const loaded = await loadServingModel(options.dir);
  const log = (line: string) => console.error(line);

  let server = new InferenceServer({ log });
  const url = await server.listen(0, '127.0.0.1');
  server.ready(loaded.serving);
  const port = Number(new URL(url).port);

  const info: ModelProcessInfo = {
    url,
    port,
    modelVersion: loaded.serving.modelVersion,
    interactions: interactions.length,
    itemsWithInteractions: new Set(interactions.map((i) => i.itemId)).size,
    catalogueItems: catalogue.items.length,
    trainMs: Math.round(trained - generated),
    generateMs: Math.round(generated - started),
    rssMb: Math.round(process.memoryUsage().rss / 1e6),
  };
  serveParent(
    info,
    {
      /** The endpoint goes away: no new connections, idle ones closed, in-flight ones finish. */
      close: async () => {
        await server.close(500);
      },
      /** A new server with the same model on the same port. */
      restart: async () => {
        server = new InferenceServer({ log });
        await server.listen(port, '127.0.0.1');
        server.ready(loaded.serving);
      },
    },
    async () => {
      await server.close(200);
      await loaded.cleanup();
      await rm(options.dir, { recursive: true, force: true });
    },
  );
}

main().catch(failStart);
