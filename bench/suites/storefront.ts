/**
 * Storefront traffic on the local stack as `npm start -- --rate 0` runs it: loops of "POST 5
 * views of one signed-in shopper, then GET that shopper's list", 32 in flight for 30 s, with the
 * load generator in this process and the stack (its stand-ins and model server in processes of
 * their own) on the same machine. See bench/README.md#storefront.
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { atLeast, below, throughputOf, type BenchResult, type TargetCheck } from '../lib/harness.ts';
import { percentile } from '../lib/stats.ts';
import { cpuMeter } from '../lib/serving/load.ts';
import { ShopperTokens } from '../lib/serving/tokens.ts';
import { localSecrets } from '#local/stack.ts';
import { runLoops } from '../lib/storefront/loops.ts';
import { drained, startStorefrontStack, statsOf } from '../lib/storefront/stack.ts';
import type { ProfileWindowFile } from '../lib/cpuProfile.ts';
import { measureCeiling, operationsBetween, type StandInCeiling } from '../lib/storefront/ceiling.ts';

export const name = 'storefront';
export const description =
  "local stack (npm start --rate 0) under storefront pages: 32 loops of POST 5 views + GET that shopper's list for 30 s";

const API_KEY = 'bench-key';
const SEED = 42;
const LOOPS = Number(process.env.RECO_BENCH_STOREFRONT_LOOPS ?? 32);
const SECONDS = Number(process.env.RECO_BENCH_STOREFRONT_SECONDS ?? 30);
const EVENTS_PER_POST = 5;
/** From the issue tracker. */
const TARGETS = { eventsPerSecond: 1_000, listsPerSecond: 200, ingestP99Ms: 150, lagMs: 2_000, drainMs: 5_000 };
const TARGET_CEILING_SHARE = 0.8;

const log = (line: string) => console.log(`  [storefront] ${line}`);
/** The clock V8 stamps `.cpuprofile` samples with, µs. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * With `--cpu-prof-dir=<dir>` in RECO_BENCH_CHILD_NODE_ARGS, the load's window and each role's
 * pid go to `<dir>/window.json`, for `npx tsx bench/profile.ts <dir>`.
 */
async function writeProfileWindow(window: ProfileWindowFile): Promise<void> {
  const dir = /--cpu-prof-dir=(\S+)/.exec(process.env.RECO_BENCH_CHILD_NODE_ARGS ?? '')?.[1];
  if (dir === undefined) return;
  await writeFile(
    join(dir, 'window.json'),
    JSON.stringify({ ...window, roles: { ...window.roles, bench: process.pid } }),
  );
}
const round1 = (value: number) => Math.round(value * 10) / 10;

export async function run(): Promise<BenchResult> {
  const [load1Start = 0, load5Start = 0] = loadavg();
  // For paired runs of the stack's options: where the stand-ins and the processor run.
  const standIns = process.env.RECO_BENCH_STOREFRONT_STANDINS as 'process' | 'in-process' | undefined;
  const processor = process.env.RECO_BENCH_STOREFRONT_PROCESSOR as 'thread' | 'in-process' | undefined;
  const writes = process.env.RECO_BENCH_STOREFRONT_WRITE_CONCURRENCY;
  const tokens = new ShopperTokens(API_KEY, localSecrets.userTokenKeys);
  log('starting the local stack (training the bootstrap model)…');
  const stack = await startStorefrontStack({
    apiKey: API_KEY,
    userTokenKeys: tokens.keysJson,
    seed: SEED,
    ...(standIns === undefined ? {} : { standIns }),
    ...(processor === undefined ? {} : { processor }),
    ...(writes === undefined ? {} : { processorWriteConcurrency: Number(writes) }),
  });
  try {
    const shoppers = Array.from({ length: 500 }, (_, i) => `u${i + 1}`);
    await tokens.mint(shoppers);
    const loops = {
      url: stack.ready.url,
      tokens,
      shoppers,
      itemIds: stack.ready.itemIds,
      eventsPerPost: EVENTS_PER_POST,
    };
    log('warm-up: 5 s of loops');
    await runLoops({ ...loops, loops: LOOPS, seconds: 5, seed: SEED + 1 });
    await drained(stack, 60_000);
    await stack.call('resetMaxLag');

    const { pids } = stack.ready;
    const roles: Record<string, number> = { stack: pids.stack, model: pids.model };
    if (pids.dynamodb !== pids.stack) roles.dynamodb = pids.dynamodb;
    if (pids.kinesis !== pids.stack) roles.kinesis = pids.kinesis;
    await stack.call('startCapture');
    const before = await statsOf(stack);
    const [load1 = 0] = loadavg();
    log(`load: ${LOOPS} loops for ${SECONDS} s (load average ${load1.toFixed(2)})`);
    const cpu = cpuMeter(roles);
    const fromUs = monotonicUs();
    const ran = await runLoops({ ...loops, loops: LOOPS, seconds: SECONDS, seed: SEED });
    const cpuShare = cpu();
    await writeProfileWindow({ fromUs, toUs: monotonicUs(), roles });
    const atEnd = await statsOf(stack);
    const drainMs = (await drained(stack, 60_000)) ?? Number.POSITIVE_INFINITY;
    const after = await statsOf(stack);
    const [load1End = 0, load5End = 0] = loadavg();

    const operations = operationsBetween(before.standInOperations, after.standInOperations);
    const ceiling: StandInCeiling | undefined = await measureCeiling(stack, operations, ran.events).catch(
      (error: unknown) => {
        log(`stand-in ceiling not measured: ${(error as Error).message}`);
        return undefined;
      },
    );

    const eventsPerSecond = ran.events / ran.seconds;
    const listsPerSecond = ran.lists / ran.seconds;
    const errors = Object.entries(ran.status)
      .filter(([status]) => status !== '200')
      .reduce((sum, [, n]) => sum + n, 0);
    const misses = ran.cache.MISS ?? 0;
    const cpuMetrics: Record<string, number> = { machineCpuPct: round1(cpuShare.machinePct) };
    for (const [role, pct] of Object.entries(cpuShare.processes)) {
      cpuMetrics[`cpuPct_${role}`] = round1(pct);
      // CPU ms each process spent per event (a list's share included): the cost of each hop.
      cpuMetrics[`cpuMsPerEvent_${role}`] = Math.round(((pct / 100) * 1000 * 1000) / eventsPerSecond) / 1000;
    }
    const operationMetrics: Record<string, number> = {};
    for (const [service, byOperation] of Object.entries(operations)) {
      for (const [operation, n] of Object.entries(byOperation)) {
        operationMetrics[`opsPerEvent_${service}_${operation}`] = Math.round((n / ran.events) * 1000) / 1000;
      }
    }
    const metrics: Record<string, number> = {
      loops: LOOPS,
      seconds: round1(ran.seconds),
      eventsPerSecond: Math.round(eventsPerSecond),
      listsPerSecond: Math.round(listsPerSecond),
      ingestP50Ms: round1(percentile(ran.postMs, 50)),
      ingestP99Ms: round1(percentile(ran.postMs, 99)),
      listP50Ms: round1(percentile(ran.listMs, 50)),
      listP99Ms: round1(percentile(ran.listMs, 99)),
      errors,
      rejectedEvents: ran.rejectedEvents,
      degradedLists: ran.degraded,
      missesPerSecond: round1(misses / ran.seconds),
      missShare: Math.round((misses / Math.max(1, ran.lists)) * 1000) / 1000,
      ...Object.fromEntries(Object.entries(ran.cache).map(([value, n]) => [`xCache_${value}`, n])),
      maxLagMs: Math.round(after.maxLagMs),
      backlogAtEnd: atEnd.eventsAccepted - atEnd.processed - atEnd.discarded,
      drainMs: Math.round(drainMs),
      processorInvocations: after.invocations - before.invocations,
      ...cpuMetrics,
      ...operationMetrics,
      ...(ceiling ? ceiling.metrics : {}),
      standInsInOwnProcess: pids.dynamodb === pids.stack ? 0 : 1,
      loadAverage1mStart: round1(load1Start),
      loadAverage5mStart: round1(load5Start),
      loadAverage1mAtLoad: round1(load1),
      loadAverage1mEnd: round1(load1End),
      loadAverage5mEnd: round1(load5End),
    };
    log(JSON.stringify(metrics));
    const subject = throughputOf('POST 5 views + GET the list, 32 loops', ran.events, [ran.seconds * 1000]);
    const floorEventsPerSecond = ceiling?.eventsPerSecond ?? Number.NaN;
    const floor = throughputOf(
      `${ceiling?.service ?? 'stand-in'} ceiling for one event's operations and a list's share`,
      Math.round(floorEventsPerSecond * 10),
      [10_000],
    );
    const targets: TargetCheck[] = [
      atLeast('events/s', eventsPerSecond, TARGETS.eventsPerSecond, 'events/s'),
      atLeast('lists/s', listsPerSecond, TARGETS.listsPerSecond, 'lists/s'),
      // Latencies are fractional ms: "≤ 150 ms" is "< 150.5 ms" after rounding.
      below('ingest p99 (≤ 150 ms)', metrics.ingestP99Ms as number, TARGETS.ingestP99Ms + 0.5, 'ms'),
      below('5xx + other errors (zero)', errors, 1, ''),
      below('max lag, arrival → processed', metrics.maxLagMs as number, TARGETS.lagMs, 'ms'),
      below('backlog drained after the load stops', metrics.drainMs as number, TARGETS.drainMs, 'ms'),
      ...(ceiling
        ? [
            atLeast(
              `share of the ${ceiling.service} stand-in's ceiling`,
              eventsPerSecond / floorEventsPerSecond,
              TARGET_CEILING_SHARE,
              '%',
            ),
          ]
        : []),
    ];
    return {
      unit: 'events',
      subject,
      floor,
      ratio: eventsPerSecond / floorEventsPerSecond,
      pairedRatio: eventsPerSecond / floorEventsPerSecond,
      warmupRounds: 1,
      gcBetweenRounds: false,
      metrics,
      targets,
    };
  } finally {
    await stack.stop(20_000);
  }
}
