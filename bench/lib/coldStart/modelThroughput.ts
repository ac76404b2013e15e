/**
 * Model server throughput per vCPU: hybrid misses (an anonymous shopper's recent items folded into
 * the 100k-item hybrid model, the top 20 scored) sent to the model server in its own process, as
 * the endpoint is another machine in AWS, against the same requests answered by the model's
 * `invoke` in this process (the kernel alone: no HTTP, no JSON). Throughput per vCPU is requests
 * per second of the server process's CPU time, so the machine's other load does not count against
 * it; the endpoint's instance count in the cost model is the peak rate over this.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServingModel } from '../../../model/lib/loading.ts';
import { invoke, parseInvocation } from '../../../model/lib/invocation.ts';
import { seededRandom } from '../serving/history.ts';
import { ITEMS, itemId } from '../serving/phases/common.ts';
import { startModel } from '../serving/phases/setup.ts';
import { median, percentile } from '../stats.ts';

const REQUESTS = 2_000;
const WARMUP_REQUESTS = 200;
/** Requests in flight: enough to keep the server's one thread busy while this process sends. */
const CONCURRENCY = 4;
/** USER_HZ, the unit of /proc/<pid>/stat times. */
const TICKS_PER_SECOND = 100;

export interface ModelThroughput {
  readonly catalogueItems: number;
  readonly requests: number;
  readonly concurrency: number;
  /** Misses answered per second of wall time, with this machine's other load. */
  readonly serverMissesPerSecondWall: number;
  /** Model-server process CPU per miss, ms (all its threads). */
  readonly serverCpuMsPerMiss: number;
  /** 1,000 / serverCpuMsPerMiss: misses per second one vCPU can answer. */
  readonly serverMissesPerVcpuSecond: number;
  /** `invoke` in this process on the same requests, median and p99 per call, ms. */
  readonly kernelP50Ms: number;
  readonly kernelP99Ms: number;
  /** 1,000 / kernelP50Ms: the kernel's misses per second on one core. */
  readonly kernelMissesPerCoreSecond: number;
  /** serverMissesPerVcpuSecond / kernelMissesPerCoreSecond. */
  readonly serverShareOfKernel: number;
  readonly trainMs: number;
}

function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "pid (comm) ": utime is field 14 and stime 15 of the line.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND) * 1000;
}

/** Request bodies of anonymous shoppers with 3 to 7 recent views each, seeded. */
function missBodies(count: number): string[] {
  const random = seededRandom(20);
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, () => {
    const recentItems = Array.from({ length: 3 + Math.floor(random() * 5) }, (_, i) => ({
      itemId: itemId(Math.floor(random() * ITEMS)),
      eventType: 'view',
      timestamp: now - 60 * i,
    }));
    return JSON.stringify({ recentItems, count: 20, filters: { excludeSeen: true } });
  });
}

async function drive(url: string, bodies: readonly string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++] as string;
      const response = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
      });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`model server answered ${response.status}: ${text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** Trains the hybrid model over 100k items in a model process, then measures both sides. */
export async function measureModelThroughput(log: (line: string) => void): Promise<ModelThroughput> {
  const dir = await mkdtemp(join(tmpdir(), 'reco-bench-model-'));
  const model = await startModel(join(dir, 'model'));
  try {
    log(`model trained in ${model.ready.trainMs} ms over ${model.ready.catalogueItems} items`);
    const bodies = missBodies(WARMUP_REQUESTS + REQUESTS);
    await drive(model.ready.url, bodies.slice(0, WARMUP_REQUESTS));
    const cpuStart = processCpuMs(model.pid);
    const wallStart = performance.now();
    await drive(model.ready.url, bodies.slice(WARMUP_REQUESTS));
    const wallMs = performance.now() - wallStart;
    const cpuMs = processCpuMs(model.pid) - cpuStart;

    const loaded = await loadServingModel(join(dir, 'model'));
    try {
      const requests = bodies.map(parseInvocation);
      for (const request of requests.slice(0, WARMUP_REQUESTS)) invoke(loaded.serving, request);
      const times: number[] = [];
      for (const request of requests.slice(WARMUP_REQUESTS)) {
        const start = performance.now();
        const answer = invoke(loaded.serving, request);
        times.push(performance.now() - start);
        if (answer.items.length !== 20) throw new Error(`the kernel answered ${answer.items.length} items, not 20`);
      }
      const kernelP50Ms = median(times);
      const serverCpuMsPerMiss = cpuMs / REQUESTS;
      return {
        catalogueItems: model.ready.catalogueItems,
        requests: REQUESTS,
        concurrency: CONCURRENCY,
        serverMissesPerSecondWall: REQUESTS / (wallMs / 1000),
        serverCpuMsPerMiss,
        serverMissesPerVcpuSecond: 1000 / serverCpuMsPerMiss,
        kernelP50Ms,
        kernelP99Ms: percentile(times, 99),
        kernelMissesPerCoreSecond: 1000 / kernelP50Ms,
        serverShareOfKernel: 1000 / serverCpuMsPerMiss / (1000 / kernelP50Ms),
        trainMs: model.ready.trainMs,
      };
    } finally {
      await loaded.cleanup();
    }
  } finally {
    await model.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
