/** The SageMaker model endpoint (real-time or serverless), the scheduled training runs, and ECR. */
import { training } from '#shared/config/index.ts';
import { HOURS_PER_MONTH, SECONDS_PER_MONTH } from '../assumptions.ts';
import { trainingRuns } from '../functions.ts';
import { num, use, usd, type CostContext, type LineItem } from '../model.ts';
import { instancePrice } from '../prices.ts';
import { traffic } from '../traffic.ts';

/**
 * Invocations per instance per minute the endpoint's target tracking keeps: the default of
 * `ModelEndpointProps.targetInvocationsPerInstance` (infra/constructs/model-endpoint.ts), which
 * `DeploymentShape` does not carry.
 */
export const TARGET_INVOCATIONS_PER_INSTANCE_MINUTE = 3000;

/** vCPUs of the instance types priced. */
const VCPUS: Readonly<Record<string, number>> = { 'ml.c6i.large': 2 };

/** Instances the endpoint runs on average: the scaling target, or the bench's CPU per call, whichever needs more. */
export function endpointInstances(context: CostContext): { instances: number; formula: string } {
  const { endpoint } = context.shape;
  if (endpoint.mode !== 'realtime') return { instances: 0, formula: 'serverless' };
  const t = traffic(context.load, context.assumptions);
  const byTarget = t.missesPerSecond / (TARGET_INVOCATIONS_PER_INSTANCE_MINUTE / 60);
  const vcpus = VCPUS[endpoint.instanceType] ?? 1;
  const cpu = context.bench.modelCpuMsPerRequest;
  const byCpu = (t.missesPerSecond * cpu.value) / (vcpus * 1000);
  const instances = Math.min(
    endpoint.maxInstances,
    Math.max(endpoint.minInstances, Math.ceil(Math.max(byTarget, byCpu))),
  );
  return {
    instances,
    formula:
      `clamp(ceil(max(${num(t.missesPerSecond, 1)} misses/s ÷ ${TARGET_INVOCATIONS_PER_INSTANCE_MINUTE / 60}/s target, ` +
      `${num(t.missesPerSecond, 1)}/s × ${num(cpu.value, 2)} ms CPU [${cpu.from}] ÷ ${vcpus} vCPU)), ` +
      `${endpoint.minInstances}, ${endpoint.maxInstances}) = ${instances}`,
  };
}

export function modelEndpoint(context: CostContext): LineItem[] {
  const { endpoint } = context.shape;
  const { assumptions: a } = context;
  const t = traffic(context.load, a);
  const data = use(context.prices, 'sagemakerDataProcessedGb');
  const dataGb = (t.missesPerMonth * a.endpointPayloadBytes) / 1e9;
  const dataLine: LineItem = {
    service: 'SageMaker',
    item: 'endpoint data processed',
    usd: dataGb * data[1].usd,
    formula: `${num(t.missesPerMonth)} calls × ${num(a.endpointPayloadBytes)} B = ${num(dataGb, 2)} GB × ${usd(data[1].usd)}`,
    prices: [data],
  };
  if (endpoint.mode === 'realtime') {
    const hourly = instancePrice(context.prices.sagemakerHostingHour, endpoint.instanceType, 'real-time inference');
    const { instances, formula } = endpointInstances(context);
    return [
      {
        service: 'SageMaker',
        item: `real-time endpoint (${endpoint.instanceType})`,
        usd: instances * HOURS_PER_MONTH * hourly.usd,
        formula: `${formula} instances × ${HOURS_PER_MONTH} h × ${usd(hourly.usd)}`,
        prices: [[`sagemakerHostingHour.${endpoint.instanceType}`, hourly]],
      },
      dataLine,
    ];
  }
  const gbSecond = use(context.prices, 'sagemakerServerlessGbSecond');
  const call = context.bench.modelCallMs;
  const billedMs = Math.ceil(call.value);
  const gbSeconds = t.missesPerMonth * (billedMs / 1000) * (endpoint.memoryMb / 1024);
  return [
    {
      service: 'SageMaker',
      item: `serverless endpoint (${endpoint.memoryMb} MB)`,
      usd: gbSeconds * gbSecond[1].usd,
      formula:
        `${num(t.missesPerMonth)} calls × ${billedMs} ms (ceil of ${num(call.value, 2)} ms in the model [${call.from}]) × ` +
        `${endpoint.memoryMb / 1024} GB = ${num(gbSeconds)} GB-s × ${usd(gbSecond[1].usd)}`,
      prices: [gbSecond],
    },
    dataLine,
  ];
}

/** Billed seconds of one run's export and training job, each capped by its MaxRuntimeInSeconds. */
export function jobSeconds(context: CostContext): { exportSeconds: number; trainSeconds: number } {
  const { assumptions: a, bench: b, load } = context;
  const windowEvents = load.eventsPerDay * training.windowDays;
  const exportSeconds = Math.min(
    training.exportMaxSeconds,
    windowEvents / b.decodeEventsPerSecond.value + a.jobOverheadSeconds,
  );
  const interactions = windowEvents * a.interactionsPerEvent;
  const trainSeconds = Math.min(
    training.trainingMaxSeconds,
    (interactions / 1e6) * b.trainSecondsPerMillion.value + a.jobOverheadSeconds,
  );
  return { exportSeconds, trainSeconds };
}

export function trainingJobs(context: CostContext): LineItem[] {
  const { runs } = trainingRuns(context);
  const { bench: b, assumptions: a } = context;
  const exportPrice = instancePrice(context.prices.sagemakerProcessingHour, training.exportInstanceType, 'processing');
  const trainPrice = instancePrice(context.prices.sagemakerTrainingHour, training.trainingInstanceType, 'training');
  const volume = use(context.prices, 'sagemakerStorageGbMonth');
  const { exportSeconds, trainSeconds } = jobSeconds(context);
  const jobUsd = runs * ((exportSeconds / 3600) * exportPrice.usd + (trainSeconds / 3600) * trainPrice.usd);
  const volumeUsd = runs * training.volumeGb * ((exportSeconds + trainSeconds) / SECONDS_PER_MONTH) * volume[1].usd;
  return [
    {
      service: 'SageMaker',
      item: 'scheduled training runs (export + training)',
      usd: jobUsd + volumeUsd,
      formula:
        `${num(runs, 1)} runs (${training.schedule}) × (export ${num(exportSeconds)} s on ${training.exportInstanceType} × ${usd(exportPrice.usd)}/h + ` +
        `training ${num(trainSeconds)} s on ${training.trainingInstanceType} × ${usd(trainPrice.usd)}/h) + ${training.volumeGb} GB volumes × ${usd(volume[1].usd)}/GB-month; ` +
        `export: ${training.windowDays} days of events ÷ ${num(b.decodeEventsPerSecond.value)}/s [${b.decodeEventsPerSecond.from}] + ${a.jobOverheadSeconds} s; ` +
        `training: ${a.interactionsPerEvent} interactions/event × ${num(b.trainSecondsPerMillion.value, 2)} s/M [${b.trainSecondsPerMillion.from}] + ${a.jobOverheadSeconds} s; ` +
        `capped at ${training.exportMaxSeconds} s and ${training.trainingMaxSeconds} s`,
      prices: [
        [`sagemakerProcessingHour.${training.exportInstanceType}`, exportPrice],
        [`sagemakerTrainingHour.${training.trainingInstanceType}`, trainPrice],
        volume,
      ],
    },
  ];
}

export function ecr(context: CostContext): LineItem[] {
  const price = use(context.prices, 'ecrGbMonth');
  const gb = context.assumptions.modelImageGb;
  return [
    {
      service: 'ECR',
      item: 'model image',
      usd: gb * price[1].usd,
      formula: `${gb} GB × ${usd(price[1].usd)} (old images of the CDK asset repository not counted)`,
      prices: [price],
    },
  ];
}
