import { setTimeout as sleep } from 'node:timers/promises';
import { createCatalogue, createShoppers, createTrafficSimulator, startTraffic } from '../simulator/index.ts';
import { localModelDir, trainBootstrapModel, uploadCatalogue } from '../localModel.ts';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../stack.ts';
import type { LocalPipelineRun } from './localPipeline.ts';

export interface RetrainOptions {
  readonly seed: number;
  /** Simulated history events the first model is trained on (a week's worth, before now). */
  readonly historyEvents: number;
  /** Live traffic through the storefront API before the run. */
  readonly trafficEvents: number;
  readonly eventsPerSecond: number;
  /** The newest slice of the run's window the gate scores both models on. */
  readonly holdoutSeconds: number;
  readonly dataDir: string;
  readonly log: (line: string) => void;
}

export interface RetrainResult {
  readonly bootstrap: { readonly version: string; readonly trainedOn: number };
  readonly trafficEvents: number;
  readonly run: LocalPipelineRun;
  /** Milliseconds of each phase. */
  readonly timings: { readonly start: number; readonly traffic: number; readonly pipeline: number };
}

/** A local stack after a seeded history and live traffic: what a run trains on. */
export interface SimulatedStack {
  readonly stack: LocalStack;
  readonly trafficEvents: number;
  readonly timings: { readonly start: number; readonly traffic: number };
}

/**
 * A local stack on a free port whose first model is trained on a seeded week of simulated history
 * (written to the lake), with live simulated traffic through the storefront API until the lake
 * holds every accepted event. The caller stops the stack.
 */
export async function startSimulatedStack(
  options: Omit<RetrainOptions, 'log'> & Pick<LocalStackOptions, 'trainingHyperparameters'>,
): Promise<SimulatedStack> {
  const started = Date.now();
  const catalogue = createCatalogue({ seed: options.seed });
  const shoppers = createShoppers({ seed: options.seed, catalogue });
  let historyClock = Date.now() - 7 * 24 * 60 * 60 * 1000;
  const history = createTrafficSimulator({
    seed: options.seed + 1,
    catalogue,
    shoppers,
    now: () => (historyClock += 15_000),
  });
  const stack = await startLocalStack({
    port: 0,
    dataDir: options.dataDir,
    trainingHoldout: { seconds: options.holdoutSeconds },
    ...(options.trainingHyperparameters ? { trainingHyperparameters: options.trainingHyperparameters } : {}),
    model: () =>
      trainBootstrapModel({ dir: localModelDir(options.dataDir), catalogue, history, events: options.historyEvents }),
  });
  try {
    await uploadCatalogue(stack, catalogue);
    const ready = Date.now();
    const traffic = startTraffic({
      baseUrl: stack.url,
      apiKey: stack.apiKey,
      userToken: async (userId) => (await stack.mintUserToken(userId)).token,
      eventsPerSecond: options.eventsPerSecond,
      batchSize: 50,
      simulator: createTrafficSimulator({ seed: options.seed, catalogue, shoppers, now: () => Date.now() }),
      maxEvents: options.trafficEvents,
    });
    await traffic.done;
    // Until the lake has every event the API accepted (Firehose's buffer, locally about a second).
    const deadline = Date.now() + 30_000;
    while (stack.dataLake.written < stack.stats.eventsAccepted && Date.now() < deadline) await sleep(100);
    return {
      stack,
      trafficEvents: stack.stats.eventsAccepted,
      timings: { start: ready - started, traffic: Date.now() - ready },
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** What `npm run train:local` does: {@link startSimulatedStack}, then one run of the synthesised pipeline. */
export async function retrainOnSimulatedTraffic(options: RetrainOptions): Promise<RetrainResult> {
  const { stack, trafficEvents, timings } = await startSimulatedStack(options);
  try {
    options.log(`traffic: ${trafficEvents} events in the lake, ${(timings.traffic / 1000).toFixed(1)} s`);
    const run = await stack.training.run({ trigger: 'manual', force: true });
    return {
      bootstrap: { version: stack.model?.modelVersion ?? '', trainedOn: stack.model?.trainedOn ?? 0 },
      trafficEvents,
      run,
      timings: { ...timings, pipeline: run.durationMs },
    };
  } finally {
    await stack.stop();
  }
}
