/**
 * Phase 1, cache hit (the suite's paired measurement): `GET /v1/users/u1/recommendations` from
 * u1's page (the storefront key and u1's user token), warm, against a bare `node:http` server answering the same recorded response, in alternating rounds;
 * the same bare server inside the stack's process splits the gap into the process's weight and
 * the serving path's own code.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { throughputOf, type BenchResult } from '../../harness.ts';
import { median } from '../../stats.ts';
import type { BareResponse } from '../bareProcess.ts';
import { startChild, type Child } from '../ipc.ts';
import { cpuMeter, runLoad, type CpuShare } from '../load.ts';
import type { StackProcessInfo } from '../stackProcess.ts';
import type { ShopperTokens } from '../tokens.ts';
import { count, log, newTally, round1, round3, servingLibDir, share } from './common.ts';

const HIT_SHOPPER = 'u1';
const HIT_PATH = `/v1/users/${HIT_SHOPPER}/recommendations`;
export const HIT_CONNECTIONS = 32;
const HIT_ROUNDS = 5;
const HIT_ROUND_SECONDS = 3;
const HIT_WARMUP_SECONDS = 2;
const HIT_IDLE_SECONDS = 2;

/** Response headers node:http writes itself, for the floor as for ours. */
const NODE_ADDED_HEADERS: ReadonlySet<string> = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

export interface HitResult {
  readonly result: Pick<BenchResult, 'subject' | 'floor' | 'ratio' | 'pairedRatio'>;
  readonly metrics: Record<string, number>;
}

export async function cacheHit(stack: Child<StackProcessInfo>, tokens: ShopperTokens): Promise<HitResult> {
  const url = `${stack.ready.url}${HIT_PATH}`;
  const headers = await tokens.headersOf(HIT_SHOPPER);
  // What the stack process spends without requests (its stream pollers and stand-ins): part of
  // every hit round's CPU too.
  const idleMeter = cpuMeter({ server: stack.pid });
  await sleep(HIT_IDLE_SECONDS * 1000);
  const idleCpuPct = idleMeter().processes.server ?? Number.NaN;
  log(`local stack without requests: ${round1(idleCpuPct)} % of a core`);
  // A degraded first answer (the model over its budget on a busy machine) is not cached: ask again.
  let recorded: Response | undefined;
  let body = '';
  for (let attempt = 0; attempt < 5 && recorded?.headers.get('x-cache') !== 'HIT'; attempt++) {
    recorded = await fetch(url, { headers });
    body = await recorded.text();
  }
  if (recorded?.status !== 200 || recorded.headers.get('x-cache') !== 'HIT') {
    throw new Error(
      `${HIT_PATH} is not a cache hit when warm: ${recorded?.status} ${recorded?.headers.get('x-cache')}`,
    );
  }
  // The same response: the body byte for byte and the same headers (content-type, x-cache and the
  // CORS ones: each header costs node:http a few percent of a hit's throughput here, so a floor
  // without them would charge ours for the header set rather than for the serving path); Node adds
  // date, connection, keep-alive and transfer-encoding to both.
  const recordedHeaders: Record<string, string> = {};
  recorded.headers.forEach((value, name) => {
    if (!NODE_ADDED_HEADERS.has(name)) recordedHeaders[name] = value;
  });
  const response: BareResponse = { status: 200, headers: recordedHeaders, body };
  const bare = await startChild<{ url: string }>(join(servingLibDir, 'bareProcess.ts'), {
    label: 'bare node:http server',
    args: [JSON.stringify(response)],
  });
  // The same bare server inside the stack's process: splits the gap between ours and the floor
  // into what the process carries (heap, pollers, clients) and what the serving path's code costs.
  const inside = await stack.call<{ url: string }>('bareInside', response);
  try {
    const tallies = { ours: newTally(), floor: newTally(), inside: newTally() };
    const cpu = { ours: [] as CpuShare[], floor: [] as CpuShare[], inside: [] as CpuShare[] };
    const latencies = { ours: [] as number[], floor: [] as number[], inside: [] as number[] };
    const msPerThousand = { ours: [] as number[], floor: [] as number[], inside: [] as number[] };
    const run = async (which: 'ours' | 'floor' | 'inside', seconds: number, record: boolean) => {
      const base = which === 'ours' ? stack.ready.url : which === 'floor' ? bare.ready.url : inside.url;
      const tally = tallies[which];
      const meter = cpuMeter({ server: which === 'floor' ? bare.pid : stack.pid });
      const load = await runLoad({
        url: base,
        connections: HIT_CONNECTIONS,
        duration: seconds,
        requests: [
          {
            method: 'GET',
            path: HIT_PATH,
            headers,
            onResponse: (status, text, _context, responseHeaders) => count(tally, status, text, responseHeaders),
          },
        ],
      });
      if (!record) return;
      cpu[which].push(meter());
      latencies[which].push(load.result.latency.p99);
      msPerThousand[which].push((load.wallMs * 1000) / Math.max(1, load.result.requests.total));
      log(`cache hit, ${which}: ${Math.round(load.rps)} requests/s, p99 ${load.result.latency.p99} ms`);
    };
    await run('floor', HIT_WARMUP_SECONDS, false);
    await run('ours', HIT_WARMUP_SECONDS, false);
    await run('inside', HIT_WARMUP_SECONDS, false);
    for (const key of ['ours', 'floor', 'inside'] as const) tallies[key] = newTally();
    for (let round = 0; round < HIT_ROUNDS; round++) {
      const order = round % 2 === 0 ? (['floor', 'ours', 'inside'] as const) : (['inside', 'ours', 'floor'] as const);
      for (const which of order) await run(which, HIT_ROUND_SECONDS, true);
    }
    const insidePerSecond = throughputOf(
      'bare node:http in the stack process',
      1000,
      msPerThousand.inside,
    ).medianPerSecond;
    const subject = throughputOf('GET recommendations, cache hit (local stack)', 1000, msPerThousand.ours);
    const floor = throughputOf('bare node:http, same response', 1000, msPerThousand.floor);
    const paired = msPerThousand.ours.map((ms, i) => (msPerThousand.floor[i] ?? ms) / ms);
    const ours = tallies.ours;
    return {
      result: {
        subject,
        floor,
        ratio: subject.medianPerSecond / floor.medianPerSecond,
        pairedRatio: median(paired),
      },
      metrics: {
        hitRps: Math.round(subject.medianPerSecond),
        bareRps: Math.round(floor.medianPerSecond),
        hitRatio: round3(subject.medianPerSecond / floor.medianPerSecond),
        hitConnections: HIT_CONNECTIONS,
        hitRoundSeconds: HIT_ROUND_SECONDS,
        hitRequests: ours.count,
        stackIdleCpuPct: round1(idleCpuPct),
        hitXCacheHitShare: round3(share(ours.cache.HIT ?? 0, ours.count)),
        hitNon200: ours.count - (ours.status[200] ?? 0),
        hitP99MsMedianRound: median(latencies.ours),
        bareP99MsMedianRound: median(latencies.floor),
        hitResponseBytes: Buffer.byteLength(body),
        hitCpuStackPct: round1(median(cpu.ours.map((c) => c.processes.server ?? Number.NaN))),
        hitStackCpuMsPerRequest: round3(
          median(
            cpu.ours.map((c, i) => (((c.processes.server ?? Number.NaN) / 100) * (msPerThousand.ours[i] ?? 0)) / 1000),
          ),
        ),
        hitCpuBenchPct: round1(median(cpu.ours.map((c) => c.processes.bench ?? Number.NaN))),
        hitCpuMachinePct: round1(median(cpu.ours.map((c) => c.machinePct))),
        bareCpuServerPct: round1(median(cpu.floor.map((c) => c.processes.server ?? Number.NaN))),
        bareCpuBenchPct: round1(median(cpu.floor.map((c) => c.processes.bench ?? Number.NaN))),
        // The bare server in the stack's process: vs the floor, the process's weight; ours vs it,
        // the serving path's own code (local API Gateway, handler, cache read).
        bareInsideStackRps: Math.round(insidePerSecond),
        bareInsideStackRatio: round3(insidePerSecond / floor.medianPerSecond),
        hitVsBareInsideStackRatio: round3(subject.medianPerSecond / insidePerSecond),
      },
    };
  } finally {
    await bare.stop();
  }
}
