/**
 * A whole retrain on the local stack, as an operator triggers it: `POST /v1/admin/train` with
 * `{"force": true}` on the server API, then `GET /v1/admin/models` until the run's version is live
 * with its holdout metrics and its parent. The run is the synthesised Step Functions definition
 * (local/training/): guard, export of the lake, the model image's training job in a child process,
 * gate, endpoint swap, registry.
 *
 * The floor is that training job alone: `model/train.ts --root <dir laid out like /opt/ml>` in a
 * child process on the dataset, hyperparameters and live model of the round's run, right after it,
 * so ours / floor says what the pipeline adds around training.
 *
 * The stack is the one `npm run train:local` builds (seed 42, a first model trained on 30k history
 * events, 20k events of live traffic); each run retrains the model the previous one made live.
 * - The holdout is the newest 8 s before a run starts, so before each run (untimed) the setup's
 *   traffic goes on a little longer than that: the same simulator, its sessions continued, whose
 *   ends the candidate is scored on. Without it a later run's holdout holds nobody.
 * - On a holdout of 100-odd shoppers the gate rejects some candidates on noise (its tolerance is
 *   2 %), and a rejected version never goes live: such a run is counted and timed apart
 *   (`rejectedRuns`), and the round runs again.
 * - One warm-up run first: the stack's first retrain also imports the pipeline's code
 *   (`firstRetrainMs`).
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dataLake as lakeConfig } from '#shared/config/index.ts';
import { LocalLakeReader, LocalNewDataCounter } from '#shared/lake/localLake.ts';
import type { ModelList } from '#shared/models/admin.ts';
import type { ExportSummary } from '#shared/training/export.ts';
import type { ModelVersionRecord } from '#shared/training/registry.ts';
import { createCatalogue, createShoppers, createTrafficSimulator, startTraffic } from '#local/simulator/index.ts';
import type { LocalStack } from '#local/stack.ts';
import { startSimulatedStack } from '#local/training/retrain.ts';
import { repoRoot } from '../../infra/paths.ts';
import { below, garbageCollector, throughputOf, timeOnce, type BenchResult } from '../lib/harness.ts';
import { median } from '../lib/stats.ts';

export const name = 'training-local';
export const description =
  'local end-to-end retrain (POST /v1/admin/train → new live version with metrics and parent in GET /v1/admin/models) on the simulator’s data; floor: the training job alone on the same dataset';

/** `npm run train:local`'s defaults (local/train.ts). */
const SETUP = {
  seed: 42,
  historyEvents: 30_000,
  trafficEvents: 20_000,
  eventsPerSecond: 1_000,
  holdoutSeconds: 8,
} as const;
const WARMUP_RUNS = 1;
const ROUNDS = 3;
/** Runs at most, rejected ones included. */
const MAX_RUNS = WARMUP_RUNS + ROUNDS + 5;
const POLL_MS = 50;
const RUN_TIMEOUT_MS = 180_000;
const TARGET_SECONDS = 60;
/** Traffic before each run: the holdout's length and a little more, so the holdout is full of it. */
const TOP_UP_MS = (SETUP.holdoutSeconds + 2) * 1_000;

const log = (line: string) => console.log(`  [${name}] ${line}`);
const round1 = (value: number) => Math.round(value * 10) / 10;
const round4 = (value: number) => Math.round(value * 10_000) / 10_000;

interface Retrain {
  readonly outcome: 'live' | 'rejected';
  readonly ms: number;
  readonly record: ModelVersionRecord;
  /** Wall-clock ms (Date.now()) of the POST and of the list first showing the outcome. */
  readonly postedAt: number;
  readonly visibleAt: number;
}

interface Phases {
  readonly guardMs: number;
  readonly exportMs: number;
  readonly exportSeconds: number;
  readonly trainingJobMs: number;
  readonly deployMs: number;
  readonly listedMs: number;
}

async function listModels(stack: LocalStack): Promise<ModelList> {
  const response = await stack.serverFetch('/v1/admin/models');
  if (response.status !== 200) throw new Error(`GET /v1/admin/models answered ${response.status}`);
  return (await response.json()) as ModelList;
}

/**
 * What an operator waits for: the run's version live, with its holdout metrics and the version it
 * replaced; or rejected by the gate, with the same.
 */
async function retrain(stack: LocalStack): Promise<Retrain> {
  const { live: before } = await listModels(stack);
  const postedAt = Date.now();
  const started = process.hrtime.bigint();
  const response = await stack.serverFetch('/v1/admin/train', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ force: true }),
  });
  if (response.status !== 202) throw new Error(`POST /v1/admin/train answered ${response.status}`);
  const { executionId } = (await response.json()) as { executionId: string };
  for (;;) {
    const list = await listModels(stack);
    const record = list.versions.find((version) => version.executionId === executionId);
    const outcome =
      record?.status === 'live' && list.live === record.version
        ? 'live'
        : record?.status === 'rejected'
          ? 'rejected'
          : undefined;
    if (record !== undefined && outcome !== undefined) {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (record.metrics?.live === undefined || record.parent !== before || record.holdoutUsers === undefined) {
        throw new Error(`${record.version} is ${outcome} without its metrics or parent: ${JSON.stringify(record)}`);
      }
      return { outcome, ms, record, postedAt, visibleAt: Date.now() };
    }
    if (record?.status === 'failed') throw new Error(`${record.version} failed: ${JSON.stringify(record.error)}`);
    if (Number(process.hrtime.bigint() - started) / 1e6 > RUN_TIMEOUT_MS) {
      throw new Error(`no outcome ${RUN_TIMEOUT_MS} ms after POST /v1/admin/train (${executionId})`);
    }
    await sleep(POLL_MS);
  }
}

/** The local stack keeps the artifacts bucket in `<dataDir>/artifacts`, whatever its name. */
const artifactPath = (dataDir: string, uri: string) => join(dataDir, 'artifacts', uri.replace(/^s3:\/\/[^/]+\//, ''));

/**
 * Where the run's time went, from what it left behind: the version's creation (guard), the
 * dataset's `export.json` and the model archive (end of export, of the training job), and the
 * time it went live (gate and deployment).
 */
async function phasesOf(dataDir: string, run: Retrain): Promise<Phases & { readonly summary: ExportSummary }> {
  const { record } = run;
  if (record.datasetS3Uri === undefined || record.modelDataUrl === undefined || record.liveSince === undefined) {
    throw new Error(`${record.version} has no dataset, artifact or live time: ${JSON.stringify(record)}`);
  }
  const summaryFile = join(artifactPath(dataDir, record.datasetS3Uri), 'export.json');
  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as ExportSummary;
  const exported = (await stat(summaryFile)).mtimeMs;
  const trained = (await stat(artifactPath(dataDir, record.modelDataUrl))).mtimeMs;
  const created = Date.parse(record.createdAt);
  const live = Date.parse(record.liveSince);
  return {
    summary,
    guardMs: created - run.postedAt,
    exportMs: exported - created,
    exportSeconds: summary.seconds,
    trainingJobMs: trained - exported,
    deployMs: live - trained,
    listedMs: run.visibleAt - live,
  };
}

/** The `/opt/ml` layout the run's training job had: hyperparameters and the four channels. */
async function stageTrainingJob(dataDir: string, record: ModelVersionRecord, liveArchive: string): Promise<string> {
  if (record.datasetS3Uri === undefined) throw new Error(`${record.version} has no dataset`);
  const root = await mkdtemp(join(tmpdir(), 'reco-bench-train-'));
  await mkdir(join(root, 'input', 'config'), { recursive: true });
  await writeFile(join(root, 'input', 'config', 'hyperparameters.json'), JSON.stringify(record.hyperparameters ?? {}));
  const dataset = artifactPath(dataDir, record.datasetS3Uri);
  for (const channel of ['interactions', 'items', 'holdout']) {
    await cp(join(dataset, channel), join(root, 'input', 'data', channel), { recursive: true });
  }
  await mkdir(join(root, 'input', 'data', 'live'), { recursive: true });
  await cp(liveArchive, join(root, 'input', 'data', 'live', basename(liveArchive)));
  return root;
}

/** The image's train entry point, as the local training job runs it; its log. */
function train(root: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'model', 'train.ts'), '--root', root], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      const output = Buffer.concat(chunks).toString('utf8');
      if (code === 0) resolve(output);
      else reject(new Error(`model/train.ts exited ${code}:\n${output.slice(-2_000)}`));
    });
  });
}

const gateValue = (output: string, metric: string) =>
  Number([...output.matchAll(new RegExp(`gate: ${metric}=([0-9.eE+-]+)`, 'g'))].at(-1)?.[1] ?? Number.NaN);

export async function run(): Promise<BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'reco-bench-training-'));
  // Always on fresh in-process stand-ins, whatever the shell points at.
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  delete process.env.AWS_ENDPOINT_URL_KINESIS;
  const loadAverage1m = loadavg()[0] ?? 0;
  log(`setting up: ${SETUP.historyEvents} history events, ${SETUP.trafficEvents} traffic events (seed ${SETUP.seed})`);
  const { stack, trafficEvents, timings } = await startSimulatedStack({ ...SETUP, dataDir });
  try {
    log(`stack and first model ${round1(timings.start / 1000)} s, traffic ${round1(timings.traffic / 1000)} s`);
    const catalogue = createCatalogue({ seed: SETUP.seed });
    const shoppers = createShoppers({ seed: SETUP.seed, catalogue });
    // The setup's traffic simulator, past the events it sent (the same seed draws the same events).
    const simulator = createTrafficSimulator({ seed: SETUP.seed, catalogue, shoppers, now: () => Date.now() });
    simulator.nextEvents(SETUP.trafficEvents);
    const topUpEvents: number[] = [];
    const topUp = async () => {
      const accepted = stack.stats.eventsAccepted;
      const traffic = startTraffic({
        baseUrl: stack.url,
        apiKey: stack.apiKey,
        userToken: async (userId) => (await stack.mintUserToken(userId)).token,
        eventsPerSecond: SETUP.eventsPerSecond,
        batchSize: 50,
        simulator,
      });
      await sleep(TOP_UP_MS);
      await traffic.stop();
      const sent = traffic.stats();
      if (sent.accepted !== sent.sent) throw new Error(`top-up traffic not all accepted: ${JSON.stringify(sent)}`);
      // Until the lake has every event the API accepted, as startSimulatedStack waits.
      const deadline = Date.now() + 30_000;
      while (stack.dataLake.written < stack.stats.eventsAccepted && Date.now() < deadline) await sleep(100);
      if (stack.dataLake.written < stack.stats.eventsAccepted) throw new Error('the lake did not catch up in 30 s');
      topUpEvents.push(stack.stats.eventsAccepted - accepted);
    };
    // The live model's archive before each run: the floor's live channel (clean-up may delete it later).
    const liveArchive = join(dataDir, 'live-model', 'model.tar.gz');
    const keepLiveArchive = async () => {
      const { live, versions } = await listModels(stack);
      const record = versions.find((version) => version.version === live);
      if (record?.modelDataUrl === undefined) throw new Error(`the live version ${live} has no artifact`);
      await mkdir(dirname(liveArchive), { recursive: true });
      await cp(artifactPath(dataDir, record.modelDataUrl), liveArchive);
    };

    const gc = garbageCollector();
    const retrains: Retrain[] = [];
    const rejected: Retrain[] = [];
    const phases: Phases[] = [];
    const floorMs: number[] = [];
    /** Rounds whose floor's candidate scored the run's NDCG@10: the same job on the same input. */
    let floorSameNdcg = 0;
    let firstRetrainMs: number | undefined;
    let summary: ExportSummary | undefined;
    for (let runs = 1; retrains.length < ROUNDS; runs++) {
      if (runs > MAX_RUNS) throw new Error(`${rejected.length} of ${MAX_RUNS} candidates rejected`);
      const warmUp = runs <= WARMUP_RUNS;
      await topUp();
      await keepLiveArchive();
      gc?.();
      const ours = await retrain(stack);
      // The list shows the outcome before the run's clean-up and notification end.
      await stack.training.idle();
      const { record } = ours;
      const ndcg = (metrics?: { readonly ndcg10: number }) => metrics?.ndcg10.toFixed(4);
      const verdict =
        `${record.version} ${ours.outcome} in ${round1(ours.ms)} ms, NDCG@10 ${ndcg(record.metrics?.candidate)} ` +
        `vs ${ndcg(record.metrics?.live)}, ${record.holdoutUsers} holdout users`;
      firstRetrainMs ??= ours.ms;
      if (warmUp || ours.outcome === 'rejected') {
        if (!warmUp) rejected.push(ours);
        log(`${warmUp ? 'warm-up' : 'rejected, not a round'}: ${verdict}`);
        continue;
      }
      const { summary: exported, ...split } = await phasesOf(dataDir, ours);
      const root = await stageTrainingJob(dataDir, record, liveArchive);
      let ms: number;
      let output: string;
      try {
        gc?.();
        const started = process.hrtime.bigint();
        output = await train(root);
        ms = Number(process.hrtime.bigint() - started) / 1e6;
      } finally {
        await rm(root, { recursive: true, force: true });
      }
      const floorCandidate = gateValue(output, 'candidate_ndcg10');
      if (!Number.isFinite(floorCandidate)) throw new Error(`model/train.ts reported no gate metrics:\n${output}`);
      retrains.push(ours);
      phases.push(split);
      floorMs.push(ms);
      if (round4(floorCandidate) === round4(record.metrics?.candidate.ndcg10 ?? Number.NaN)) floorSameNdcg++;
      summary = exported;
      log(
        `round ${retrains.length}: ${verdict}, ${exported.eventsRead} lake events; training job alone ${round1(ms)} ms`,
      );
    }

    const last = retrains.at(-1);
    if (last === undefined || summary === undefined || last.record.window === undefined) {
      throw new Error('no timed round with a window');
    }
    // The guard of a forced run counts the window's events by reading the lake: that count alone.
    const counter = new LocalNewDataCounter(new LocalLakeReader(join(stack.dataLake.root, lakeConfig.eventsPrefix)));
    const window = { from: Date.parse(last.record.window.from), to: Date.parse(last.record.window.to) };
    const lakeCountMs = await timeOnce(() => counter.countEvents(window));
    const oursMs = retrains.map((r) => r.ms);
    const subject = throughputOf('POST /v1/admin/train → new live version in GET /v1/admin/models', 1, oursMs);
    const floor = throughputOf('model/train.ts child process, same dataset', 1, floorMs);
    const phase = (key: keyof Phases) => round1(median(phases.map((p) => p[key])));
    const { candidate, live } = last.record.metrics ?? {};
    if (candidate === undefined || live === undefined) throw new Error(`${last.record.version} has no metrics`);
    const slowest = Math.max(...oursMs, ...rejected.map((r) => r.ms), firstRetrainMs ?? 0) / 1000;
    return {
      subject,
      floor,
      ratio: subject.medianPerSecond / floor.medianPerSecond,
      pairedRatio: median(oursMs.map((ms, i) => (floorMs[i] ?? ms) / ms)),
      warmupRounds: WARMUP_RUNS,
      gcBetweenRounds: gc !== undefined,
      unit: 'retrains',
      metrics: {
        rounds: ROUNDS,
        retrainMedianMs: round1(subject.medianMs),
        retrainMinMs: round1(subject.minMs),
        retrainMaxMs: round1(subject.maxMs),
        floorMedianMs: round1(floor.medianMs),
        firstRetrainMs: round1(firstRetrainMs ?? 0),
        rejectedRuns: rejected.length,
        rejectedMedianMs: rejected.length === 0 ? 0 : round1(median(rejected.map((r) => r.ms))),
        pipelineOverheadMedianMs: round1(median(oursMs.map((ms, i) => ms - (floorMs[i] ?? ms)))),
        // Medians over the timed rounds, from the version's times and its files (see phasesOf).
        phaseGuardMs: phase('guardMs'),
        lakeCountMs: round1(lakeCountMs),
        phaseExportMs: phase('exportMs'),
        exportSeconds: median(phases.map((p) => p.exportSeconds)),
        phaseTrainingJobMs: phase('trainingJobMs'),
        phaseGateAndDeployMs: phase('deployMs'),
        phaseListedMs: phase('listedMs'),
        pollIntervalMs: POLL_MS,
        // The last run's dataset and gate.
        lakeEventsRead: summary.eventsRead,
        trainingEvents: summary.eventsWritten - summary.holdoutRows,
        pairs: summary.pairs,
        shoppers: summary.shoppers,
        holdoutRows: summary.holdoutRows,
        holdoutUsers: last.record.holdoutUsers ?? 0,
        candidateNdcg10: round4(candidate.ndcg10),
        liveNdcg10: round4(live.ndcg10),
        candidateVsLiveNdcg10Percent: round1((candidate.ndcg10 / live.ndcg10 - 1) * 100),
        candidateHr10: round4(candidate.hr10),
        liveHr10: round4(live.hr10),
        floorSameNdcg10Rounds: floorSameNdcg,
        setupStackMs: timings.start,
        setupTrafficMs: timings.traffic,
        setupTrafficEvents: trafficEvents,
        topUpMs: TOP_UP_MS,
        topUpEventsMedian: median(topUpEvents),
        loadAverage1m: round1(loadAverage1m),
        loadAverage5mAtEnd: round1(loadavg()[1] ?? 0),
      },
      targets: [below('slowest retrain (warm-up and rejected runs included)', slowest, TARGET_SECONDS, 's')],
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
