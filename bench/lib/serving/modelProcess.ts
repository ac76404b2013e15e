/**
 * Child process: the model server of the serving benchmark, the `model/` InferenceServer on
 * loopback. Two modes:
 * - train (the default): trains the hybrid model on a synthetic history over a large simulator
 *   catalogue, saves it to `dir` and serves it on a free port;
 * - `serveFrom`: serves the model already saved in `dir` on the given port, as a fleet replaces a
 *   failed instance with the same model at the same address (the chaos phase SIGKILLs the first
 *   process and starts one of these).
 *
 * argv[2]: JSON {@link ModelProcessOptions}. Ready value: {@link ModelProcessInfo} when it trained,
 * {@link ModelServerInfo} when it serves a saved model.
 */
import { mkdir, rm } from 'node:fs/promises';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { catalogueEntries } from '#local/localModel.ts';
import { createCatalogue } from '#local/simulator/index.ts';
import type { Hyperparameters } from '#shared/recommender/model.ts';
import { trainerFor } from '#shared/recommender/registry.ts';
import { loadServingModel } from '../../../model/lib/loading.ts';
import { InferenceServer } from '../../../model/lib/server.ts';
import { syntheticHistory } from './history.ts';
import { percentile } from '../stats.ts';
import { failStart, serveParent } from './ipc.ts';

/** Train a model into `dir` (emptied first; removed when the process stops) and serve it. */
export interface TrainModelOptions {
  readonly dir: string;
  readonly seed: number;
  readonly itemCount: number;
  readonly shoppers: number;
  readonly meanPerShopper: number;
  readonly userPrefix: string;
  readonly hyperparameters: Hyperparameters;
}

/** Serve the model saved in `dir` on `port`; `dir` belongs to whoever trained it and is left as it is. */
export interface ServeModelOptions {
  readonly serveFrom: { readonly dir: string; readonly port: number };
}

export type ModelProcessOptions = TrainModelOptions | ServeModelOptions;

/** Invocations as the model server saw them (request in to response written) and its event loop's delays. */
export interface ModelServerTimes {
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly eventLoopDelayP99Ms: number;
  readonly eventLoopDelayMaxMs: number;
  /** Garbage-collection pauses of the main thread: how many, the longest and their sum. */
  readonly gcPauses: number;
  readonly gcPauseMaxMs: number;
  readonly gcPauseTotalMs: number;
}

/** What every model process announces once it serves. */
export interface ModelServerInfo {
  readonly url: string;
  readonly port: number;
  readonly modelVersion: string;
  readonly rssMb: number;
  /** CPU time (user + system) the process used until it served: start-up, loading, training if any. */
  readonly startCpuMs: number;
}

/** A model process that trained its model. */
export interface ModelProcessInfo extends ModelServerInfo {
  readonly interactions: number;
  readonly itemsWithInteractions: number;
  readonly catalogueItems: number;
  readonly trainMs: number;
  readonly generateMs: number;
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;

/** Trains the model into `options.dir`; what the ready message tells about the training. */
async function train(options: TrainModelOptions) {
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
  return {
    interactions: interactions.length,
    itemsWithInteractions: new Set(interactions.map((i) => i.itemId)).size,
    catalogueItems: catalogue.items.length,
    trainMs: Math.round(trained - generated),
    generateMs: Math.round(generated - started),
  };
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as ModelProcessOptions;
  const trained = 'serveFrom' in options ? undefined : await train(options);
  const dir = 'serveFrom' in options ? options.serveFrom.dir : options.dir;
  const loaded = await loadServingModel(dir);
  const server = new InferenceServer({ log: (line: string) => console.error(line) });

  // Each invocation's time inside this process: a slow answer seen by the stack is slow here, or
  // on the way (sockets, the stack's own event loop), and these tell which.
  const requestTimes: number[] = [];
  server.http.on('request', (_request, response) => {
    const started = performance.now();
    response.once('finish', () => requestTimes.push(performance.now() - started));
  });
  const eventLoop = monitorEventLoopDelay({ resolution: 1 });
  eventLoop.enable();
  const gcPauses: number[] = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push(entry.duration);
  }).observe({ entryTypes: ['gc'] });

  const url = await server.listen('serveFrom' in options ? options.serveFrom.port : 0, '127.0.0.1');
  server.ready(loaded.serving);
  const cpu = process.cpuUsage();
  const info: ModelServerInfo = {
    url,
    port: Number(new URL(url).port),
    modelVersion: loaded.serving.modelVersion,
    rssMb: Math.round(process.memoryUsage().rss / 1e6),
    startCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    ...trained,
  };
  serveParent(
    info,
    {
      /** Invocation times, event-loop delays and GC pauses since the last call. */
      serverTimes: (): ModelServerTimes => {
        const times = requestTimes.splice(0);
        const at = (p: number) => (times.length === 0 ? 0 : round1(percentile(times, p)));
        const pauses = gcPauses.splice(0);
        const out: ModelServerTimes = {
          requests: times.length,
          p50Ms: at(50),
          p99Ms: at(99),
          maxMs: at(100),
          eventLoopDelayP99Ms: round1(eventLoop.percentile(99) / 1e6),
          eventLoopDelayMaxMs: round1(eventLoop.max / 1e6),
          gcPauses: pauses.length,
          gcPauseMaxMs: round1(Math.max(0, ...pauses)),
          gcPauseTotalMs: round1(pauses.reduce((sum, ms) => sum + ms, 0)),
        };
        eventLoop.reset();
        return out;
      },
    },
    async () => {
      await server.close(200);
      await loaded.cleanup();
      if (trained !== undefined) await rm(dir, { recursive: true, force: true });
    },
  );
}

main().catch(failStart);
