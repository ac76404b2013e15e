/**
 * Cold start and per-invocation time of the Lambda handlers in the shape they are deployed: each
 * handler bundled exactly as `RecoFunction` has the CDK bundle it (`bundleLikeCdk`, whose options a
 * unit test holds to the construct's), imported in a fresh plain `node` process per run and invoked
 * as the Node.js runtime invokes it, `handler(event, context)`, against the DynamoDB and Kinesis
 * stand-ins in a process of their own.
 *
 * - **Init plus first invocation** (import of the bundle and the first call together: lazy loading
 *   only moves work into the first call) of every handler, against a floor: a bundle holding one
 *   DynamoDB client whose handler makes one `GetItem` against the same stand-in. Each round runs
 *   the floor, every handler in turn, and the floor again (the order of the handlers reversed every
 *   other round); a handler's ratio is the median over rounds of its time over the mean of its
 *   round's two floor runs. With `RECO_BENCH_BASELINE_REF` (a commit) or `RECO_BENCH_BASELINE_ROOT`
 *   (a folder) each handler of that tree runs in the same rounds too, for before/after.
 * - **Warm invocations** of the recommend function (cache hits of one signed-in shopper, misses of
 *   lists never asked before, the in-process LRU, no model) in one more fresh process, priced at
 *   Lambda's 1 ms billing step: billed ms per 1,000 requests, which the cost model reads.
 * - **Model server throughput per vCPU**: hybrid misses over a 100k-item catalogue sent to the
 *   model server in its own process, per second of that process's CPU, against `invoke` on the same
 *   requests in this process. `RECO_BENCH_COLD_MODEL=0` skips it (it trains a model, ~1 min).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { lambdaDefaults, userTokens } from '#shared/config/index.ts';
import { mintUserToken, StaticUserTokenKeys } from '#shared/auth/userToken.ts';
import { systemClock } from '#shared/ports/index.ts';
import { ensureEventStream } from '#local/standins.ts';
import { throughputOf, type BenchResult, type TargetCheck } from '../lib/harness.ts';
import { latestTimestamp, simulatorEvents, toEpochMs } from '../lib/fixtures.ts';
import { billedMsPer1000 } from '../lib/coldStart/billing.ts';
import { measureModelThroughput, type ModelThroughput } from '../lib/coldStart/modelThroughput.ts';
import { medianPairedRatio, type PairedRound } from '../lib/coldStart/paired.ts';
import type { RunnerResult, WarmBlock } from '../lib/coldStart/runner.ts';
import { runColdProcess } from '../lib/coldStart/spawnRunner.ts';
import {
  EVENT_STREAM,
  EVENTS_PER_BATCH,
  FEATURE_TABLE,
  WARM,
  WARM_EVENTS,
  floorSubject,
  lambdaEnvironment,
  subjects,
  type Subject,
} from '../lib/coldStart/subjects.ts';
import { recommendationsEvent } from '../lib/lambda/apiEvent.ts';
import { bundleLikeCdk } from '../lib/lambda/bundle.ts';
import { seedFeatureTable } from '../lib/lambda/seed.ts';
import { baselineFromEnv, type SourceRoot } from '../lib/lambda/sourceRoots.ts';
import { startChild } from '../lib/serving/ipc.ts';
import type { StandInsProcessInfo } from '../lib/serving/standInsProcess.ts';
import { median, percentile } from '../lib/stats.ts';

export const name = 'cold-start';
export const description =
  'every Lambda handler bundled as the CDK bundles it, in a fresh node process per run: init + first invocation against a floor (one DynamoDB client, one GetItem), paired rounds; recommend warm hit/miss billed ms per 1,000; model server misses per vCPU-second against the in-process kernel';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const libDir = fileURLToPath(new URL('../lib/', import.meta.url));
/** At least 15 (the tracker's minimum); more, because two identical bundles differ by ±20 % at 15 on a loaded box. */
const ROUNDS = Number(process.env.RECO_BENCH_COLD_ROUNDS ?? 21);
const WARMUP_ROUNDS = 1;
const SEED_EVENTS = 2_000;
/** Target: every handler's init + first invocation within this multiple of the floor's. */
const TARGET_RATIO = 1.3;
const WARM_HITS = 1_000;
const WARM_MISSES = 150;

const round1 = (value: number) => Math.round(value * 10) / 10;
const round3 = (value: number) => Math.round(value * 1000) / 1000;
const log = (line: string) => console.log(`  [${name}] ${line}`);

interface Measured {
  readonly subject: Subject;
  /** `ours`, or `baseline` (another tree, same rounds). */
  readonly tree: 'ours' | 'baseline';
  readonly bundle: string;
  readonly bundleBytes: number;
  readonly runs: RunnerResult[];
  readonly rounds: PairedRound[];
  readonly importRounds: PairedRound[];
}

const keyOf = (m: Pick<Measured, 'subject' | 'tree'>) =>
  m.tree === 'ours' ? m.subject.name : `${m.subject.name}Baseline`;

/** Throws unless the first answer is a success: a failing handler would measure its error path. */
function checkFirst(m: Measured, result: RunnerResult): void {
  const answer = result.firstAnswer;
  if (answer === undefined) return;
  if (/^2\d\d/.test(answer) || answer === 'batchItemFailures=0') return;
  throw new Error(`${keyOf(m)}: the first invocation answered ${answer}`);
}

async function seedStandIns(dynamodbEndpoint: string, kinesisEndpoint: string, runs: number) {
  const now = Date.now();
  const seeded = await seedFeatureTable({
    endpoint: dynamodbEndpoint,
    tableName: FEATURE_TABLE,
    events: SEED_EVENTS,
    now,
  });
  const kinesis = new KinesisClient({
    endpoint: kinesisEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
  });
  try {
    await ensureEventStream(kinesis, EVENT_STREAM);
  } finally {
    kinesis.destroy();
  }
  // The events after the seeded ones, for ingest and the processor: new to the table, just before now.
  const all = simulatorEvents(SEED_EVENTS + runs * EVENTS_PER_BATCH + WARM_EVENTS);
  const fresh = all.slice(SEED_EVENTS);
  const shift = now - 1_000 - latestTimestamp(fresh);
  const shifted = fresh.map((event) => ({ ...event, timestamp: toEpochMs(event.timestamp) + shift }));
  const freshEvents = shifted.slice(0, runs * EVENTS_PER_BATCH);
  const warmEvents = shifted.slice(runs * EVENTS_PER_BATCH);
  return { seeded, freshEvents, warmEvents };
}

/** Warm recommend invocations in one more fresh process: hits of one shopper, then misses. */
async function warmRecommend(options: {
  readonly bundle: string;
  readonly env: NodeJS.ProcessEnv;
  readonly scratch: string;
  readonly shoppers: readonly { id: string; token: string }[];
}) {
  const [hitShopper, ...others] = options.shoppers as [
    { id: string; token: string },
    ...{ id: string; token: string }[],
  ];
  let n = 0;
  const hit = () => recommendationsEvent(hitShopper.id, undefined, `warm-${++n}`, hitShopper.token);
  const misses = Array.from({ length: WARM_MISSES }, (_, k) => {
    const shopper = others[k % others.length] as { id: string; token: string };
    const count = 10 + Math.floor(k / others.length);
    return recommendationsEvent(shopper.id, { count: String(count) }, `warm-${++n}`, shopper.token);
  });
  const result = await runColdProcess({
    input: {
      bundle: options.bundle,
      first: hit(),
      blocks: { hit: Array.from({ length: WARM_HITS }, hit), miss: misses },
      functionName: 'reco-bench-recommend',
      memoryMb: lambdaDefaults.memoryMb,
      timeoutSeconds: lambdaDefaults.timeoutSeconds,
    },
    env: options.env,
    scratch: options.scratch,
  });
  const hits = result.blocks.hit;
  const missed = result.blocks.miss;
  if (hits?.answers['200 HIT'] !== WARM_HITS || missed?.answers['200 MISS'] !== WARM_MISSES) {
    throw new Error(`warm recommend: ${JSON.stringify(hits?.answers)} ${JSON.stringify(missed?.answers)}`);
  }
  return { hits: hits.latenciesMs, misses: missed.latenciesMs, hitsCpu: hits.cpuMs, missesCpu: missed.cpuMs };
}

/** Mean × 1,000: a figure per 1,000 invocations. */
const per1000 = (values: readonly number[]) => (values.reduce((total, v) => total + v, 0) / values.length) * 1000;

/**
 * The other subjects' warm blocks (ingest requests, processor batches), each in one more fresh
 * process after a first invocation: billed and CPU ms per 1,000 invocations of each block,
 * `<name>BilledMsPer1000<Block>` and `<name>CpuMsPer1000<Block>`.
 */
async function warmBlocks(options: {
  readonly measured: readonly Measured[];
  readonly envFor: (functionName: string) => NodeJS.ProcessEnv;
  readonly scratch: string;
}): Promise<Record<string, number>> {
  const metrics: Record<string, number> = {
    ingestWarmEventsPerRequest: WARM.ingestEventsPerRequest,
    processorWarmLargeBatchRecords: WARM.processorLargeBatchRecords,
  };
  for (const m of options.measured) {
    const functionName = `reco-bench-${m.subject.name}`;
    const blocks = m.subject.inputs.warm?.() ?? {};
    const result = await runColdProcess({
      input: {
        bundle: m.bundle,
        // A cold run's input again: the block after it is warm.
        first: m.subject.inputs.first(0),
        blocks,
        functionName,
        memoryMb: lambdaDefaults.memoryMb,
        timeoutSeconds: lambdaDefaults.timeoutSeconds,
      },
      env: { ...options.envFor(functionName), ...m.subject.env },
      scratch: options.scratch,
    });
    for (const [block, events] of Object.entries(blocks)) {
      const measured = result.blocks[block] as WarmBlock;
      const good = Object.entries(measured.answers)
        .filter(([answer]) => /^2\d\d/.test(answer) || answer === 'batchItemFailures=0')
        .reduce((total, [, n]) => total + n, 0);
      if (good !== events.length)
        throw new Error(`warm ${m.subject.name} ${block}: ${JSON.stringify(measured.answers)}`);
      const key = block.charAt(0).toUpperCase() + block.slice(1);
      metrics[`${m.subject.name}Warm${key}`] = events.length;
      metrics[`${m.subject.name}BilledMsPer1000${key}`] = Math.round(billedMsPer1000(measured.latenciesMs));
      metrics[`${m.subject.name}CpuMsPer1000${key}`] = Math.round(per1000(measured.cpuMs));
    }
  }
  return metrics;
}

export async function run(): Promise<BenchResult> {
  const [load1Start, load5Start] = loadavg();
  const scratch = await mkdtemp(join(tmpdir(), 'reco-bench-cold-'));
  const cleanup: (() => Promise<void>)[] = [() => rm(scratch, { recursive: true, force: true })];
  try {
    const trees: { tree: 'ours' | 'baseline'; root: SourceRoot }[] = [
      { tree: 'ours', root: { dir: repoRoot, label: 'working tree', release: async () => undefined } },
    ];
    const baselineRoot = await baselineFromEnv(process.env, repoRoot);
    if (baselineRoot) {
      cleanup.push(() => baselineRoot.release());
      trees.push({ tree: 'baseline', root: baselineRoot });
    }

    const standIns = await startChild<StandInsProcessInfo>(join(libDir, 'serving', 'standInsProcess.ts'), {
      label: 'stand-ins',
    });
    cleanup.push(() => standIns.stop());
    const { dynamodbEndpoint, kinesisEndpoint } = standIns.ready;
    // Each tree's run of a round gets inputs of its own (fresh events, a shopper never erased), so
    // neither finds the other's work done (a redelivered batch, an erased shopper) and does less.
    const runs = (WARMUP_ROUNDS + ROUNDS) * trees.length;
    const { seeded, freshEvents, warmEvents } = await seedStandIns(dynamodbEndpoint, kinesisEndpoint, runs);
    const tokenKeys = JSON.stringify({ current: { kid: 'bench-1', secret: randomBytes(32).toString('base64') } });
    const keys = new StaticUserTokenKeys(tokenKeys);
    const shoppers = await Promise.all(
      seeded.signedInShopperIds.slice(0, 50).map(async (id) => ({
        id,
        token: (await mintUserToken(id, { keys, clock: systemClock }, userTokens.ttlSeconds)).token,
      })),
    );
    if (shoppers.length < 2) throw new Error('the seeded events have fewer than 2 signed-in shoppers');
    log(`seeded ${seeded.applied} events; ${shoppers.length} signed-in shoppers with tokens`);

    const all = subjects({ shoppers, freshEvents, runs, warmEvents });
    const floor: Measured = await bundled(floorSubject(), 'ours', repoRoot, scratch);
    const measured: Measured[] = [];
    for (const { tree, root } of trees) {
      for (const subject of all) measured.push(await bundled(subject, tree, root.dir, scratch));
    }
    log(
      `bundled: floor ${kib(floor.bundleBytes)}, ${measured.map((m) => `${keyOf(m)} ${kib(m.bundleBytes)}`).join(', ')}`,
    );

    const envFor = (functionName: string) =>
      lambdaEnvironment({ functionName, dynamodbEndpoint, kinesisEndpoint, tokenKeys });
    const once = async (m: Measured, k: number) => {
      const result = await runColdProcess({
        input: {
          bundle: m.bundle,
          first: m.subject.inputs.first(k * trees.length + (m.tree === 'ours' ? 0 : 1)),
          functionName: `reco-bench-${m.subject.name}`,
          memoryMb: lambdaDefaults.memoryMb,
          timeoutSeconds: lambdaDefaults.timeoutSeconds,
        },
        env: { ...envFor(`reco-bench-${m.subject.name}`), ...m.subject.env },
        scratch,
      });
      checkFirst(m, result);
      return result;
    };

    for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      const timed = round >= WARMUP_ROUNDS;
      const order = round % 2 === 0 ? measured : [...measured].reverse();
      const floorBefore = await once(floor, round);
      const results = new Map<Measured, RunnerResult>();
      for (const m of order) results.set(m, await once(m, round));
      const floorAfter = await once(floor, round);
      if (!timed) continue;
      floor.runs.push(floorBefore, floorAfter);
      for (const [m, result] of results) {
        m.runs.push(result);
        m.rounds.push({
          floorMs: [floorBefore.initPlusFirstMs, floorAfter.initPlusFirstMs],
          subjectMs: result.initPlusFirstMs,
        });
        m.importRounds.push({ floorMs: [floorBefore.importMs, floorAfter.importMs], subjectMs: result.importMs });
      }
      log(
        `round ${round - WARMUP_ROUNDS + 1}/${ROUNDS}: floor ${round1(floorBefore.initPlusFirstMs)} / ${round1(floorAfter.initPlusFirstMs)} ms, load ${round1(loadavg()[0] ?? 0)}`,
      );
    }

    const recommend = measured.find((m) => m.tree === 'ours' && m.subject.name === 'recommend') as Measured;
    const warm = await warmRecommend({
      bundle: recommend.bundle,
      env: envFor('reco-bench-recommend'),
      scratch,
      shoppers,
    });
    const warmOthers = await warmBlocks({
      measured: measured.filter((m) => m.tree === 'ours' && m.subject.inputs.warm !== undefined),
      envFor,
      scratch,
    });
    const [load1End, load5End] = loadavg();
    const model: ModelThroughput | undefined =
      process.env.RECO_BENCH_COLD_MODEL === '0' ? undefined : await measureModelThroughput(log);

    const metrics: Record<string, number> = {
      rounds: ROUNDS,
      floorInitPlusFirstP50Ms: round1(median(floor.runs.map((r) => r.initPlusFirstMs))),
      floorImportP50Ms: round1(median(floor.runs.map((r) => r.importMs))),
      floorFirstInvocationP50Ms: round1(median(floor.runs.map((r) => r.firstInvocationMs))),
      floorBootP50Ms: round1(median(floor.runs.map((r) => r.bootMs))),
      floorBundleBytes: floor.bundleBytes,
    };
    const targets: TargetCheck[] = [];
    for (const m of measured) {
      const key = keyOf(m);
      const initOnly = m.runs.every((r) => r.firstAnswer === undefined);
      // A handler measured on its init alone is held to the floor's init alone.
      const ratio = round3(medianPairedRatio(initOnly ? m.importRounds : m.rounds));
      Object.assign(metrics, {
        [`${key}InitPlusFirstP50Ms`]: round1(median(m.runs.map((r) => r.initPlusFirstMs))),
        [`${key}ImportP50Ms`]: round1(median(m.runs.map((r) => r.importMs))),
        [`${key}FirstInvocationP50Ms`]: round1(median(m.runs.map((r) => r.firstInvocationMs))),
        [`${key}RatioToFloor`]: ratio,
        [`${key}ImportRatioToFloor`]: round3(medianPairedRatio(m.importRounds)),
        [`${key}BundleBytes`]: m.bundleBytes,
        [`${key}InitOnly`]: initOnly ? 1 : 0,
      });
      if (m.tree === 'ours') {
        targets.push({
          description: `${m.subject.name}: ${initOnly ? 'init' : 'init + first invocation'} within ${TARGET_RATIO}× the floor (paired median)`,
          comparator: '<',
          threshold: TARGET_RATIO,
          actual: ratio,
          unit: '×',
          pass: ratio < TARGET_RATIO,
        });
      }
    }
    // Before/after in the same rounds: ours over the baseline's run of the same round, per handler.
    for (const m of measured.filter((x) => x.tree === 'baseline')) {
      const ours = measured.find((x) => x.tree === 'ours' && x.subject.name === m.subject.name) as Measured;
      const paired = (pick: (r: RunnerResult) => number) =>
        round3(median(ours.runs.map((r, i) => pick(r) / pick(m.runs[i] as RunnerResult))));
      Object.assign(metrics, {
        [`${m.subject.name}VsBaselinePaired`]: paired((r) => r.initPlusFirstMs),
        [`${m.subject.name}ImportVsBaselinePaired`]: paired((r) => r.importMs),
      });
    }
    Object.assign(metrics, {
      warmHits: warm.hits.length,
      warmMisses: warm.misses.length,
      warmHitP50Ms: round3(median(warm.hits)),
      warmHitP99Ms: round3(percentile(warm.hits, 99)),
      warmMissP50Ms: round3(median(warm.misses)),
      warmMissP99Ms: round3(percentile(warm.misses, 99)),
      billedMsPer1000Hit: Math.round(billedMsPer1000(warm.hits)),
      billedMsPer1000Miss: Math.round(billedMsPer1000(warm.misses)),
      cpuMsPer1000Hit: Math.round(per1000(warm.hitsCpu)),
      cpuMsPer1000Miss: Math.round(per1000(warm.missesCpu)),
      ...warmOthers,
      ...(model === undefined
        ? {}
        : {
            modelCatalogueItems: model.catalogueItems,
            modelRequests: model.requests,
            modelConcurrency: model.concurrency,
            modelServerMissesPerSecondWall: round1(model.serverMissesPerSecondWall),
            modelServerCpuMsPerMiss: round3(model.serverCpuMsPerMiss),
            modelServerMissesPerVcpuSecond: round1(model.serverMissesPerVcpuSecond),
            modelKernelP50Ms: round3(model.kernelP50Ms),
            modelKernelP99Ms: round3(model.kernelP99Ms),
            modelKernelMissesPerCoreSecond: round1(model.kernelMissesPerCoreSecond),
            modelServerShareOfKernel: round3(model.serverShareOfKernel),
            modelTrainMs: model.trainMs,
          }),
      loadAverage1mStart: load1Start ?? Number.NaN,
      loadAverage5mStart: load5Start ?? Number.NaN,
      loadAverage1mEnd: load1End ?? Number.NaN,
      loadAverage5mEnd: load5End ?? Number.NaN,
    });
    for (const m of measured) {
      const key = keyOf(m);
      log(
        `${key}: init+first p50 ${metrics[`${key}InitPlusFirstP50Ms`]} ms (import ${metrics[`${key}ImportP50Ms`]}), ${metrics[`${key}RatioToFloor`]}× floor, ${kib(m.bundleBytes)}`,
      );
    }

    // The summary row: recommend's init + first invocation per round against the floor's.
    const subject = throughputOf(
      'recommend bundle: init + first invocation',
      1,
      recommend.runs.map((r) => r.initPlusFirstMs),
    );
    const floorThroughput = throughputOf(
      'one DynamoDB client, one GetItem: init + first invocation',
      1,
      floor.runs.filter((_, i) => i % 2 === 0).map((r) => r.initPlusFirstMs),
    );
    return {
      subject,
      floor: floorThroughput,
      ratio: subject.medianPerSecond / floorThroughput.medianPerSecond,
      pairedRatio: 1 / medianPairedRatio(recommend.rounds),
      warmupRounds: WARMUP_ROUNDS,
      gcBetweenRounds: false,
      unit: 'cold starts',
      metrics,
      targets,
    };
  } finally {
    for (const step of cleanup.reverse()) await step().catch((error: unknown) => log(`cleanup: ${String(error)}`));
  }
}

const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;

async function bundled(subject: Subject, tree: 'ours' | 'baseline', dir: string, scratch: string): Promise<Measured> {
  const outDir = join(scratch, tree, subject.name);
  await mkdir(outDir, { recursive: true });
  // The floor is bench code, always from this tree.
  const { file, bytes } = await bundleLikeCdk(subject.name === 'floor' ? repoRoot : dir, subject.entry, outDir);
  return { subject, tree, bundle: file, bundleBytes: bytes, runs: [], rounds: [], importRounds: [] };
}
