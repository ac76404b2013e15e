/**
 * The Lambda functions' invocations and billed duration a month. Billed time per invocation is
 * the cold-start bench's billed time of the bundled handler's warm invocations
 * (`bench/results/cold-start.json`: each invocation rounded up to 1 ms, on one full x86 core) with
 * its CPU part scaled to the deployed memory: Lambda gives a function `memoryMb / 1769` of a vCPU
 * below 1,769 MB (a Graviton core is taken as fast as the bench core). Waits (stand-ins, AWS
 * round trips) do not scale. Without that record, the CPU figures of the other benches and the
 * assumptions' round trips stand in. The result is rounded up to Lambda's 1 ms billing step.
 */
import { lambdaDefaults, streamProcessing, training } from '#shared/config/index.ts';
import { HOURS_PER_MONTH, SECONDS_PER_MONTH } from './assumptions.ts';
import type { WarmBilling, WarmInvocation } from './bench.ts';
import { num, type CostContext } from './model.ts';
import { traffic } from './traffic.ts';

export interface FunctionUse {
  readonly name: string;
  readonly invocationsPerMonth: number;
  readonly billedMs: number;
  readonly memoryMb: number;
  /** Instances warm at the peak rate (for per-instance calls such as secret reads). */
  readonly peakInstances: number;
  /** How `billedMs` was reached. */
  readonly formula: string;
}

/** CPU slowdown at `memoryMb` against one full core. */
export function cpuScale(memoryMb: number, fullVcpuMb: number): number {
  return Math.max(1, fullVcpuMb / memoryMb);
}

/** Billed ms of an invocation doing `cpuMs` of work on a full core and waiting `waitMs`. */
export function billedMs(options: { cpuMs: number; waitMs: number; memoryMb: number; fullVcpuMb: number }): number {
  return Math.max(1, Math.ceil(options.cpuMs * cpuScale(options.memoryMb, options.fullVcpuMb) + options.waitMs));
}

/**
 * Billed ms of a warm invocation the cold-start bench measured, at a CPU `scale` (its CPU part
 * stretched, the rest kept), plus waits the bench did not have (a Valkey GET, a model call).
 */
export function warmBilledMs(invocation: Pick<WarmInvocation, 'billedMs' | 'cpuMs'>, scale: number, extraWaitMs = 0) {
  return Math.max(1, Math.ceil(invocation.billedMs + invocation.cpuMs * (scale - 1) + extraWaitMs));
}

/**
 * Billed ms of a processor batch of `records` records, from the bench's batches of one record and
 * of `largeRecords`: a fixed part and a per-record part, each CPU (scaled) and wait (kept).
 */
export function processorBatchMs(
  batches: Extract<WarmBilling, { measured: true }>['processorBatches'] & object,
  records: number,
  scale: number,
): { ms: number; cpuPerRecord: number; waitPerRecord: number; fixedCpu: number; fixedWait: number } {
  const { one, large, largeRecords } = batches;
  const span = largeRecords - 1;
  const waitOf = (w: WarmInvocation) => Math.max(0, w.billedMs - w.cpuMs);
  const cpuPerRecord = Math.max(0, (large.cpuMs - one.cpuMs) / span);
  const waitPerRecord = Math.max(0, (waitOf(large) - waitOf(one)) / span);
  const fixedCpu = Math.max(0, one.cpuMs - cpuPerRecord);
  const fixedWait = Math.max(0, waitOf(one) - waitPerRecord);
  const ms = Math.max(1, Math.ceil((fixedCpu + records * cpuPerRecord) * scale + fixedWait + records * waitPerRecord));
  return { ms, cpuPerRecord, waitPerRecord, fixedCpu, fixedWait };
}

/**
 * Billed ms of a recommend hit and miss at the bench's times: ElastiCache adds a round trip to a
 * hit (the bench's hit is in-process), a live model adds the call (time in the model from the
 * serving bench, plus SageMaker's overhead).
 */
export function recommendTimes(context: CostContext): {
  hitMs: number;
  missMs: number;
  cacheWait: number;
  modelWait: number;
} {
  const { assumptions: a, bench: b, shape } = context;
  const bill = (cpuMs: number, waitMs: number) =>
    billedMs({ cpuMs, waitMs, memoryMb: lambdaDefaults.memoryMb, fullVcpuMb: a.lambdaFullVcpuMb });
  const cacheWait = shape.cache === 'elasticache' ? a.cacheRoundTripMs : 0;
  const modelWaitMs = b.modelCallMs.value + a.endpointOverheadMs;
  if (b.warm.measured) {
    const scale = cpuScale(lambdaDefaults.memoryMb, a.lambdaFullVcpuMb);
    return {
      hitMs: warmBilledMs(b.warm.recommendHit, scale, cacheWait),
      missMs: warmBilledMs(b.warm.recommendMiss, scale, cacheWait + modelWaitMs),
      cacheWait,
      modelWait: modelWaitMs,
    };
  }
  const hitMs = bill(b.recommendHitCpuMs.value, b.recommendHitMs.value - b.recommendHitCpuMs.value + cacheWait);
  const modelWait = b.modelCallMs.value + a.endpointOverheadMs;
  const missMs = bill(
    b.recommendMissCpuMs.value,
    b.recommendMissMs.value - b.recommendMissCpuMs.value + cacheWait + modelWait,
  );
  return { hitMs, missMs, cacheWait, modelWait };
}

/** Shards of the stream the shape deploys. */
export function streamShards(context: CostContext): number {
  const { stream } = context.shape;
  return stream.mode === 'provisioned' ? stream.shards : context.assumptions.onDemandShards;
}

export function functionUses(context: CostContext): FunctionUse[] {
  const { assumptions: a, bench: b } = context;
  const t = traffic(context.load, a);
  const memoryMb = lambdaDefaults.memoryMb;
  const scale = cpuScale(memoryMb, a.lambdaFullVcpuMb);
  const bill = (cpuMs: number, waitMs: number) => billedMs({ cpuMs, waitMs, memoryMb, fullVcpuMb: a.lambdaFullVcpuMb });
  const instances = (perSecond: number, ms: number) =>
    perSecond > 0 ? Math.max(1, Math.ceil((perSecond * a.peakToMean * ms) / 1000)) : 0;
  const scaleText = `× ${num(scale, 3)} (1,769 MB / ${num(memoryMb)} MB arm64)`;

  const { hitMs, missMs, cacheWait, modelWait } = recommendTimes(context);
  const recommendInvocations = t.recommendationsPerMonth;
  const recommendMs =
    recommendInvocations > 0 ? (t.hitsPerMonth * hitMs + t.missesPerMonth * missMs) / recommendInvocations : 0;

  const warm = b.warm.measured ? b.warm : undefined;
  // Ingest: one request of `eventsPerRequest` events, then a PutRecords round trip. Measured: the
  // bench's request of `events` events, its CPU per event scaled to this many.
  const ingestMeasured = warm?.ingestRequest;
  const ingestMs = ingestMeasured
    ? Math.max(
        1,
        Math.ceil(
          ingestMeasured.billedMs -
            ingestMeasured.cpuMs +
            (a.eventsPerRequest * ingestMeasured.cpuMs * scale) / ingestMeasured.events,
        ),
      )
    : bill(a.eventsPerRequest * b.ingestCpuMsPerEvent.value, a.kinesisPutMs);

  // Processor: each shard's events arrive in batches of one batching window, or of batchSize.
  const shards = streamShards(context);
  const perShard = t.eventsPerSecond / shards;
  const batchesPerShardSecond =
    perShard > 0
      ? Math.max(
          perShard / streamProcessing.batchSize,
          Math.min(perShard, 1 / streamProcessing.maxBatchingWindowSeconds),
        )
      : 0;
  const eventsPerBatch = batchesPerShardSecond > 0 ? perShard / batchesPerShardSecond : 0;
  const processorMeasured = warm?.processorBatches
    ? processorBatchMs(warm.processorBatches, eventsPerBatch, scale)
    : undefined;
  const processorMs =
    processorMeasured?.ms ??
    bill(eventsPerBatch * b.processorCpuMsPerEvent.value, a.processorRoundTrips * a.dynamoRoundTripMs);
  const processorInvocations = batchesPerShardSecond * shards * SECONDS_PER_MONTH;

  const catalogueMs = bill(a.itemsPerCatalogueRequest * b.ingestCpuMsPerEvent.value, a.dynamoRoundTripMs * 4);

  return [
    {
      name: 'recommend function',
      invocationsPerMonth: recommendInvocations,
      billedMs: recommendMs,
      memoryMb,
      peakInstances: instances(t.recommendationsPerSecond, recommendMs),
      formula: warm
        ? `hit: ceil(${num(warm.recommendHit.billedMs, 3)} ms billed + ${num(warm.recommendHit.cpuMs, 3)} ms CPU × (${num(scale, 3)} − 1) (1,769 MB / ${num(memoryMb)} MB arm64)` +
          `${cacheWait > 0 ? ` + ${num(cacheWait)} ms Valkey` : ''}) = ${hitMs} ms; ` +
          `miss: ceil(${num(warm.recommendMiss.billedMs, 3)} ms billed + ${num(warm.recommendMiss.cpuMs, 3)} ms CPU × (${num(scale, 3)} − 1) + ` +
          `${num(modelWait, 1)} ms model${cacheWait > 0 ? ` + ${num(cacheWait)} ms Valkey` : ''}) = ${missMs} ms ` +
          `[${warm.recommendHit.from}; ${warm.recommendMiss.from}; ${b.modelCallMs.from}]`
        : `hit: ceil(${num(b.recommendHitCpuMs.value, 3)} ms CPU ${scaleText} + ${num(b.recommendHitMs.value - b.recommendHitCpuMs.value, 3)} ms wait` +
          `${cacheWait > 0 ? ` + ${num(cacheWait)} ms Valkey` : ''}) = ${hitMs} ms; ` +
          `miss: ceil(${num(b.recommendMissCpuMs.value, 3)} ms CPU ${scaleText} + ${num(b.recommendMissMs.value - b.recommendMissCpuMs.value, 3)} ms wait + ` +
          `${num(modelWait, 1)} ms model${cacheWait > 0 ? ` + ${num(cacheWait)} ms Valkey` : ''}) = ${missMs} ms ` +
          `[${b.recommendHitCpuMs.from}, ${b.recommendHitMs.from}, ${b.recommendMissMs.from}, ${b.modelCallMs.from}]`,
    },
    {
      name: 'ingest function',
      invocationsPerMonth: t.eventRequestsPerMonth,
      billedMs: ingestMs,
      memoryMb,
      peakInstances: instances(t.eventsPerSecond / a.eventsPerRequest, ingestMs),
      formula: ingestMeasured
        ? `ceil(${num(ingestMeasured.billedMs - ingestMeasured.cpuMs, 3)} ms wait + ${a.eventsPerRequest} events × ` +
          `${num(ingestMeasured.cpuMs / ingestMeasured.events, 4)} ms CPU ${scaleText}) = ${ingestMs} ms ` +
          `[${ingestMeasured.from}, requests of ${num(ingestMeasured.events)} events]`
        : `ceil(${a.eventsPerRequest} events × ${num(b.ingestCpuMsPerEvent.value, 4)} ms ${scaleText} + ${a.kinesisPutMs} ms PutRecords) ` +
          `= ${ingestMs} ms [${b.ingestCpuMsPerEvent.from}]`,
    },
    {
      name: 'processor function',
      invocationsPerMonth: processorInvocations,
      billedMs: processorInvocations > 0 ? processorMs : 0,
      memoryMb,
      peakInstances: processorInvocations > 0 ? shards * streamProcessing.parallelizationFactor : 0,
      formula:
        processorMeasured && warm?.processorBatches
          ? `${num(shards)} shards, ${num(eventsPerBatch, 1)} events a batch: ceil((${num(processorMeasured.fixedCpu, 3)} + ` +
            `${num(eventsPerBatch, 1)} × ${num(processorMeasured.cpuPerRecord, 4)}) ms CPU ${scaleText} + ` +
            `${num(processorMeasured.fixedWait, 3)} + ${num(eventsPerBatch, 1)} × ${num(processorMeasured.waitPerRecord, 4)} ms wait) ` +
            `= ${processorMs} ms [${warm.processorBatches.one.from}; ${warm.processorBatches.large.from}: batches of 1 and ` +
            `${num(warm.processorBatches.largeRecords)} records]`
          : `${num(shards)} shards, ${num(eventsPerBatch, 1)} events a batch: ceil(${num(eventsPerBatch, 1)} × ` +
            `${num(b.processorCpuMsPerEvent.value, 4)} ms ${scaleText} + ${a.processorRoundTrips} × ${a.dynamoRoundTripMs} ms DynamoDB) ` +
            `= ${processorMs} ms [${b.processorCpuMsPerEvent.from}]`,
    },
    {
      name: 'catalogue function',
      invocationsPerMonth: t.catalogueRequestsPerMonth,
      billedMs: catalogueMs,
      memoryMb,
      peakInstances: t.catalogueRequestsPerMonth > 0 ? 1 : 0,
      formula: `ceil(${a.itemsPerCatalogueRequest} items × ${num(b.ingestCpuMsPerEvent.value, 4)} ms ${scaleText} + 4 × ${a.dynamoRoundTripMs} ms BatchWrite) = ${catalogueMs} ms`,
    },
    {
      name: 'training pipeline functions',
      invocationsPerMonth: trainingRuns(context).runs * a.pipelineInvocationsPerRun,
      billedMs: a.pipelineInvocationSeconds * 1000,
      memoryMb,
      peakInstances: 0,
      formula: `${a.pipelineInvocationsPerRun} invocations a run × ${a.pipelineInvocationSeconds} s (assumed)`,
    },
  ];
}

/** Scheduled training runs a month: each is skipped while fewer than `training.minNewEvents` arrived. */
export function trainingRuns(context: CostContext): { runs: number; skipped: number } {
  const { runs: scheduled, hoursBetween } = trainingSchedule();
  const newEvents = (context.load.eventsPerDay * hoursBetween) / 24;
  const runs = newEvents >= training.minNewEvents ? scheduled : 0;
  return { runs, skipped: scheduled - runs };
}

/** Runs a month of `training.schedule` (`rate(N day|days|hour|hours)`, or `off`). */
export function trainingSchedule(schedule: string = training.schedule): { runs: number; hoursBetween: number } {
  if (schedule === 'off') return { runs: 0, hoursBetween: Number.POSITIVE_INFINITY };
  const match = /^rate\((\d+) (day|days|hour|hours)\)$/.exec(schedule);
  if (match === null) throw new Error(`cannot price training.schedule ${schedule}: expected rate(N days|hours) or off`);
  const every = Number(match[1]);
  const hoursBetween = match[2]?.startsWith('day') ? every * 24 : every;
  return { runs: HOURS_PER_MONTH / hoursBetween, hoursBetween };
}
