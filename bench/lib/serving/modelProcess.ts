/**
 * Child process: trains the default (hybrid) model on a synthetic history over a large simulator
 * catalogue, serves it with the `model/` InferenceServer on loopback, and can take the server
 * away and bring a new one back on the same port with the same model (the chaos test).
 *
 * argv[2]: JSON {@link ModelProcessOptions}. Ready value: {@link ModelProcessInfo}.
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

export interface ModelProcessOptions {
  readonly dir: string;
  readonly seed: number;
  readonly itemCount: number;
  readonly shoppers: number;
  readonly meanPerShopper: number;
  readonly userPrefix: string;
  readonly hyperparameters: Hyperparameters;
}

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

const round1 = (ms: number) => Math.round(ms * 10) / 10;

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

  // Each invocation's time inside this process: a slow answer seen by the stack is slow here, or
  // on the way (sockets, the stack's own event loop), and these tell which.
  const requestTimes: number[] = [];
  const timed = (next: InferenceServer): InferenceServer => {
    next.http.on('request', (_request, response) => {
      const started = performance.now();
      response.once('finish', () => requestTimes.push(performance.now() - started));
    });
    return next;
  };
  const eventLoop = monitorEventLoopDelay({ resolution: 1 });
  eventLoop.enable();
  const gcPauses: number[] = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push(entry.duration);
  }).observe({ entryTypes: ['gc'] });

  let server = timed(new InferenceServer({ log }));
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
      /** A new server with the same model on the same port. */
      restart: async () => {
        server = timed(new InferenceServer({ log }));
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
