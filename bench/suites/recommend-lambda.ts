/**
 * The recommend function in the shape Lambda runs it: its esbuild bundle (built as the CDK app
 * builds it), imported in a process of its own and invoked one request at a time, the DynamoDB
 * stand-in in another process, the in-process LRU cache and no model endpoint. Lambda never hands
 * an execution environment a second request before the first is answered, so work that only pays
 * when one process serves many requests at once (the local stack under load) shows here as what it
 * costs a single request.
 *
 * `GET /v1/users/{userId}/recommendations` as the storefront API's events from a signed-in
 * shopper's page (the storefront key and that shopper's user token, which the function verifies),
 * in alternating rounds:
 * - cache hits: one shopper asked again and again;
 * - cache misses: a list never asked before (seeded signed-in shoppers in turn, each pass with
 *   another `count`), so each reads the profile, the popularity boards, and records the list.
 * Per invocation: latency (p50, p99) and process CPU (per block of invocations).
 *
 * The floor is the same runtime loop around a handler returning a recorded hit's result. With
 * `RECO_BENCH_BASELINE_REF` (a commit) or `RECO_BENCH_BASELINE_ROOT` (a source folder), the
 * baseline's handler runs in the same rounds, and the record has its numbers and ours / its.
 * `RECO_BENCH_SOURCE_ROOT` bundles ours from another folder than this repository's tree. A
 * baseline from before the storefront and server APIs were split ignores the API ids, the token
 * keys and the token header, and reads the same signed-in profiles.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { envVars, lambdaDefaults, metricsNamespace, serviceName, userTokens } from '#shared/config/index.ts';
import { mintUserToken, StaticUserTokenKeys } from '#shared/auth/userToken.ts';
import { systemClock } from '#shared/ports/index.ts';
import { throughputOf, type BenchResult } from '../lib/harness.ts';
import { BENCH_API_IDS, BENCH_FUNCTION_NAME, BENCH_ORIGIN, recommendationsEvent } from '../lib/lambda/apiEvent.ts';
import { bundleLikeCdk } from '../lib/lambda/bundle.ts';
import type { InvokeArgs, InvokeProcessInfo, InvokeProcessOptions, Invocations } from '../lib/lambda/invokeProcess.ts';
import { seedFeatureTable } from '../lib/lambda/seed.ts';
import { baselineFromEnv, type SourceRoot } from '../lib/lambda/sourceRoots.ts';
import { startChild, type Child } from '../lib/serving/ipc.ts';
import type { StandInsProcessInfo } from '../lib/serving/standInsProcess.ts';
import { median, percentile } from '../lib/stats.ts';

export const name = 'recommend-lambda';
export const description =
  'recommend function bundled as CDK deploys it, invoked one request at a time like the Lambda runtime (DynamoDB stand-in, in-process LRU, no model), storefront requests of signed-in shoppers with their user tokens: cache-hit and cache-miss latency and CPU per invocation; floor: a handler returning a recorded hit; optional baseline build in the same rounds';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const libDir = fileURLToPath(new URL('../lib/', import.meta.url));
const HANDLER_ENTRY = 'functions/recommend/handler.ts';
const TABLE = 'reco-bench-features';
/** Simulator events applied to the table: ~500 shoppers with profiles, a day's item boards. */
const SEED_EVENTS = 10_000;
const WARMUP_ROUNDS = 3;
const ROUNDS = 20;
const HITS_PER_BLOCK = 1_000;
/** Few: without a model every miss reads the popularity boards afresh (tens of ms of CPU each). */
const MISSES_PER_BLOCK = 15;
/** Counts a miss's list may ask for: every pass over the shoppers takes the next. */
const MISS_COUNTS = 91;

const round1 = (value: number) => Math.round(value * 10) / 10;
const round3 = (value: number) => Math.round(value * 1000) / 1000;
const log = (line: string) => console.log(`  [${name}] ${line}`);

type BuildKey = 'ours' | 'baseline' | 'floor';

interface Build {
  readonly key: BuildKey;
  readonly label: string;
  readonly child: Child<InvokeProcessInfo>;
  readonly bundleBytes: number;
  readonly hits: Invocations[];
  readonly misses: Invocations[];
  firstInvocationMs: number;
}

/**
 * The user-token signing key of this run (`envVars.userTokenKeys`' JSON). In AWS the function
 * reads it from Secrets Manager and keeps it for `userTokens.keyCacheMs`, so per request both
 * cost the same: one HMAC check of the token.
 */
const userTokenKeys = () => JSON.stringify({ current: { kid: 'bench-1', secret: randomBytes(32).toString('base64') } });

/**
 * What Lambda and the CDK app set in the function's environment, pointed at the stand-in; nothing
 * of this process's environment leaks in (no cache URL, no model endpoint).
 */
function lambdaEnvironment(dynamodbEndpoint: string, tokenKeys: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: tmpdir(),
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: BENCH_FUNCTION_NAME,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(lambdaDefaults.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
    // RecoFunction's service-wide variables and the bind calls' ones (infra/constructs/).
    POWERTOOLS_SERVICE_NAME: serviceName,
    POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
    NODE_OPTIONS: '--enable-source-maps',
    [envVars.featureTableName]: TABLE,
    [envVars.modelVersion]: 'popularity-v1',
    [envVars.corsAllowOrigins]: BENCH_ORIGIN,
    // The Api constructs' ids and the user-token keys: the caller comes from the request context.
    [envVars.storefrontApiId]: BENCH_API_IDS.storefront,
    [envVars.serverApiId]: BENCH_API_IDS.server,
    [envVars.userTokenKeys]: tokenKeys,
  };
}

/** `RECO_BENCH_SOURCE_ROOT` measures another source folder as ours; the default is this repository's tree. */
function oursFromEnv(env: NodeJS.ProcessEnv): SourceRoot {
  const dir = env.RECO_BENCH_SOURCE_ROOT;
  return { dir: dir || repoRoot, label: dir || 'working tree', release: async () => undefined };
}

async function startBuild(
  key: BuildKey,
  label: string,
  options: InvokeProcessOptions,
  env: NodeJS.ProcessEnv,
  bundleBytes: number,
): Promise<Build> {
  const child = await startChild<InvokeProcessInfo>(join(libDir, 'lambda', 'invokeProcess.ts'), {
    label: `${key} handler`,
    args: [JSON.stringify(options)],
    env,
    timeoutMs: 60_000,
  });
  return { key, label, child, bundleBytes, hits: [], misses: [], firstInvocationMs: Number.NaN };
}

const invoke = (build: Build, events: readonly string[]) =>
  build.child.call<Invocations>('invoke', { events } satisfies InvokeArgs);

let requestCounter = 0;
const nextRequestId = () => `bench-${String(++requestCounter).padStart(8, '0')}`;

function expectAll(build: Build, what: string, block: Invocations, cache: string): void {
  const count = block.latenciesMs.length;
  if (block.statuses[200] !== count || block.cache[cache] !== count) {
    throw new Error(
      `${build.key} ${what}: expected ${count} × 200 ${cache}, got ${JSON.stringify(block.statuses)} ${JSON.stringify(block.cache)}; last answer: ${block.last?.statusCode} ${block.last?.body.slice(0, 300)}`,
    );
  }
}

/** Per build: pooled latency percentiles and the median block's CPU per invocation. */
function buildMetrics(prefix: string, build: Build): Record<string, number> {
  const pooled = (blocks: readonly Invocations[]) => blocks.flatMap((b) => b.latenciesMs);
  const cpuUs = (blocks: readonly Invocations[]) => median(blocks.map((b) => b.cpuUs / b.latenciesMs.length));
  const hits = pooled(build.hits);
  const out: Record<string, number> = {
    [`${prefix}HitP50Ms`]: round3(percentile(hits, 50)),
    [`${prefix}HitP99Ms`]: round3(percentile(hits, 99)),
    [`${prefix}HitCpuUsPerInvocation`]: round1(cpuUs(build.hits)),
  };
  if (build.misses.length > 0) {
    const misses = pooled(build.misses);
    Object.assign(out, {
      [`${prefix}MissP50Ms`]: round3(percentile(misses, 50)),
      [`${prefix}MissP99Ms`]: round3(percentile(misses, 99)),
      [`${prefix}MissCpuUsPerInvocation`]: round1(cpuUs(build.misses)),
      [`${prefix}BundleBytes`]: build.bundleBytes,
      [`${prefix}ImportMs`]: round1(build.child.ready.importMs),
      [`${prefix}FirstInvocationMs`]: round1(build.firstInvocationMs),
    });
  }
  return out;
}

/**
 * A hit's CPU above the floor's in the same rounds: the handler's own work, without the runtime
 * loop's (event parsing, context, the turn between invocations).
 */
function aboveFloor(prefix: string, build: Build, floor: Build): Record<string, number> {
  const perInvocation = (block: Invocations) => block.cpuUs / block.latenciesMs.length;
  const above = build.hits.map((block, i) => perInvocation(block) - perInvocation(floor.hits[i] ?? block));
  return { [`${prefix}HitCpuUsAboveFloor`]: round1(median(above)) };
}

/** Ours / baseline for every number both have, and the per-round paired CPU ratios. */
function versusBaseline(ours: Build, baseline: Build, floor: Build): Record<string, number> {
  const a = { ...buildMetrics('', baseline), ...aboveFloor('', baseline, floor) };
  const b = { ...buildMetrics('', ours), ...aboveFloor('', ours, floor) };
  const out: Record<string, number> = {};
  const keys = ['HitP50Ms', 'HitP99Ms', 'HitCpuUsPerInvocation', 'HitCpuUsAboveFloor', 'MissP50Ms', 'MissP99Ms'];
  for (const key of [...keys, 'MissCpuUsPerInvocation']) {
    const ratio = (b[key] ?? Number.NaN) / (a[key] ?? Number.NaN);
    out[`vsBaseline${key.replace(/(Ms|UsPerInvocation|Us(?=AboveFloor))/, '')}`] = round3(ratio);
  }
  const paired = (pick: (build: Build) => Invocations[]) =>
    round3(median(pick(ours).map((block, i) => block.cpuUs / (pick(baseline)[i]?.cpuUs ?? Number.NaN))));
  out.vsBaselineHitCpuPaired = paired((build) => build.hits);
  out.vsBaselineMissCpuPaired = paired((build) => build.misses);
  return out;
}

export async function run(): Promise<BenchResult> {
  const [load1Start, load5Start] = loadavg();
  const scratch = await mkdtemp(join(tmpdir(), 'reco-bench-lambda-'));
  const cleanup: (() => Promise<void>)[] = [() => rm(scratch, { recursive: true, force: true })];
  try {
    const roots: { key: 'ours' | 'baseline'; root: SourceRoot }[] = [{ key: 'ours', root: oursFromEnv(process.env) }];
    const baselineRoot = await baselineFromEnv(process.env, repoRoot);
    if (baselineRoot) {
      cleanup.push(() => baselineRoot.release());
      roots.push({ key: 'baseline', root: baselineRoot });
    }
    const bundles = new Map<string, { file: string; bytes: number }>();
    for (const { key, root } of roots) {
      const bundle = await bundleLikeCdk(root.dir, HANDLER_ENTRY, join(scratch, key));
      bundles.set(key, bundle);
      log(`bundled ${root.label}: ${Math.round(bundle.bytes / 1024)} KiB`);
    }

    const standIns = await startChild<StandInsProcessInfo>(join(libDir, 'serving', 'standInsProcess.ts'), {
      label: 'stand-ins',
    });
    cleanup.push(() => standIns.stop());
    const endpoint = standIns.ready.dynamodbEndpoint;
    const seeded = await seedFeatureTable({ endpoint, tableName: TABLE, events: SEED_EVENTS, now: Date.now() });
    // Signed-in shoppers, each with a user token minted with the function's keys, as the shop's
    // backend mints them for its pages (POST /v1/admin/user-tokens).
    const shoppers = seeded.signedInShopperIds;
    log(
      `seeded ${seeded.applied} events of ${seeded.shopperIds.length} shoppers, ${shoppers.length} signed in (${seeded.writes} writes)`,
    );
    if (shoppers.length < 2) throw new Error('the seeded events have fewer than 2 signed-in shoppers');
    const [hitShopper, ...missShoppers] = shoppers as [string, ...string[]];
    const tokenKeys = userTokenKeys();
    const keys = new StaticUserTokenKeys(tokenKeys);
    const tokens = new Map<string, string>();
    for (const id of shoppers) {
      tokens.set(id, (await mintUserToken(id, { keys, clock: systemClock }, userTokens.ttlSeconds)).token);
    }
    const event = (id: string, query: Readonly<Record<string, string>> | undefined) =>
      JSON.stringify(recommendationsEvent(id, query, nextRequestId(), tokens.get(id)));

    const env = lambdaEnvironment(endpoint, tokenKeys);
    const settings = { memoryMb: lambdaDefaults.memoryMb, timeoutSeconds: lambdaDefaults.timeoutSeconds };
    const builds: Build[] = [];
    for (const { key, root } of roots) {
      const bundle = bundles.get(key) as { file: string; bytes: number };
      const build = await startBuild(key, root.label, { ...settings, bundle: bundle.file }, env, bundle.bytes);
      cleanup.push(() => build.child.stop());
      builds.push(build);
    }

    // Cold: the first invocation of each build is a miss for the hit shopper; the second a hit.
    const hitEvent = () => event(hitShopper, undefined);
    let hitResult: APIGatewayProxyResult | undefined;
    for (const build of builds) {
      const first = await invoke(build, [hitEvent()]);
      expectAll(build, 'first invocation', first, 'MISS');
      build.firstInvocationMs = first.latenciesMs[0] ?? Number.NaN;
      const second = await invoke(build, [hitEvent()]);
      expectAll(build, 'second invocation', second, 'HIT');
      if (build.key === 'ours') hitResult = second.last;
    }
    const floor = await startBuild('floor', 'fixed result', { ...settings, fixedResult: hitResult }, env, 0);
    cleanup.push(() => floor.child.stop());
    builds.unshift(floor);

    let missCounter = 0;
    const missEvent = () => {
      const k = missCounter++;
      const shopper = missShoppers[k % missShoppers.length] as string;
      const count = 10 + (Math.floor(k / missShoppers.length) % MISS_COUNTS);
      return event(shopper, { count: String(count) });
    };
    for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      const timed = round >= WARMUP_ROUNDS;
      const hitEvents = Array.from({ length: HITS_PER_BLOCK }, hitEvent);
      const missEvents = Array.from({ length: MISSES_PER_BLOCK }, missEvent);
      const order = round % 2 === 0 ? builds : [...builds].reverse();
      for (const build of order) {
        const kinds = build.key === 'floor' ? ['hit'] : round % 2 === 0 ? ['hit', 'miss'] : ['miss', 'hit'];
        for (const kind of kinds) {
          const block = await invoke(build, kind === 'hit' ? hitEvents : missEvents);
          expectAll(build, kind, block, kind === 'hit' ? 'HIT' : 'MISS');
          if (timed) (kind === 'hit' ? build.hits : build.misses).push(block);
        }
      }
    }
    const [load1End, load5End] = loadavg();

    const ours = builds.find((b) => b.key === 'ours') as Build;
    const baseline = builds.find((b) => b.key === 'baseline');
    const metrics: Record<string, number> = {
      ...buildMetrics('ours', ours),
      ...aboveFloor('ours', ours, floor),
      ...(baseline ? { ...buildMetrics('baseline', baseline), ...aboveFloor('baseline', baseline, floor) } : {}),
      ...(baseline ? versusBaseline(ours, baseline, floor) : {}),
      ...buildMetrics('floor', floor),
      hitsPerBlock: HITS_PER_BLOCK,
      missesPerBlock: MISSES_PER_BLOCK,
      seededShoppers: seeded.shopperIds.length,
      signedInShoppers: shoppers.length,
      seededEvents: seeded.applied,
      loadAverage1mStart: load1Start ?? Number.NaN,
      loadAverage5mStart: load5Start ?? Number.NaN,
      loadAverage1mEnd: load1End ?? Number.NaN,
      loadAverage5mEnd: load5End ?? Number.NaN,
    };
    for (const build of builds.filter((b) => b.key !== 'floor')) {
      const m = buildMetrics('', build);
      log(
        `${build.key} (${build.label}): hit p50 ${m.HitP50Ms} / p99 ${m.HitP99Ms} ms, ${m.HitCpuUsPerInvocation} µs CPU; miss p50 ${m.MissP50Ms} / p99 ${m.MissP99Ms} ms, ${m.MissCpuUsPerInvocation} µs CPU`,
      );
    }

    // Round time = the handler's time over the block (the runtime loop's own work excluded).
    const handlerMs = (blocks: readonly Invocations[]) => blocks.map((b) => b.latenciesMs.reduce((s, x) => s + x, 0));
    const oursMs = handlerMs(ours.hits);
    const floorMs = handlerMs(floor.hits);
    const subject = throughputOf(
      `recommend bundle, cache hit (${ours.label}${baseline ? `; baseline ${baseline.label} in metrics` : ''})`,
      HITS_PER_BLOCK,
      oursMs,
    );
    const floorThroughput = throughputOf('handler returning a recorded hit', HITS_PER_BLOCK, floorMs);
    return {
      subject,
      floor: floorThroughput,
      ratio: subject.medianPerSecond / floorThroughput.medianPerSecond,
      pairedRatio: median(oursMs.map((ms, i) => (floorMs[i] ?? ms) / ms)),
      warmupRounds: WARMUP_ROUNDS,
      gcBetweenRounds: false,
      unit: 'invocations',
      metrics,
      targets: [],
    };
  } finally {
    for (const step of cleanup.reverse()) await step().catch((error: unknown) => log(`cleanup: ${String(error)}`));
  }
}
