import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { envVars, training } from '#shared/config/index.ts';
import { exportEnv, pipelineStates, type GateVerdict, type PipelineRequest } from '#shared/training/pipeline.ts';
import { exportFromEnvironment } from '#shared/training/exportMain.ts';
import type { ModelResources, NewDataCounter } from '#shared/training/ports.ts';
import type { ModelRegistry } from '#shared/training/registry.ts';
import { parseS3Uri } from '#shared/training/plan.ts';
import { repoRoot } from '../../infra/paths.ts';
import type { LocalBuckets } from './buckets.ts';
import { LocalSageMaker } from './deployTasks.ts';
import { runLocally, type LocalExecutionResult, type LocalTask } from './interpreter.ts';
import type { LocalEndpoint } from './localEndpoint.ts';
import { runTrainingJob } from './trainingJob.ts';

/** The definition CDK synthesises, as `tools/generate-training-asl.ts` writes it (a test keeps them equal). */
export const GENERATED_DEFINITION = join(repoRoot, 'infra', 'generated', 'training-pipeline.asl.json');

export async function loadDefinition(path = GENERATED_DEFINITION): Promise<StateMachineDefinition> {
  return JSON.parse(await readFile(path, 'utf8')) as StateMachineDefinition;
}

export interface LocalPipelineOptions {
  readonly definition: StateMachineDefinition;
  readonly registry: ModelRegistry;
  readonly buckets: LocalBuckets;
  /** The artifacts bucket's name in `buckets`. */
  readonly artifactsBucket: string;
  /** The local lake's `events/` folder. */
  readonly lakeEventsDir: string;
  readonly newData: NewDataCounter;
  readonly endpoint: LocalEndpoint;
  readonly endpointName: string;
  /** The local feature table (the catalogue and the erasure log the export reads). */
  readonly dynamoDb: DynamoDBClient;
  readonly featureTableName: string;
  /** The erasure log's key, inline as the local stack has it. */
  readonly erasureHashKey: string;
  /** The newest slice of the window the gate scores on. @default training.localHoldout */
  readonly holdout?: { readonly seconds: number };
  /** Hyperparameters of every run (strings, as SageMaker takes them). */
  readonly hyperparameters?: Readonly<Record<string, string>>;
  readonly log: (line: string) => void;
}

export interface LocalExecutionId {
  readonly executionId: string;
  readonly name: string;
  readonly startedAt: string;
}

export interface LocalPipelineRun extends LocalExecutionResult {
  readonly executionId: string;
  readonly startedAt: string;
  readonly durationMs: number;
}

/**
 * The training pipeline on this machine: the synthesised definition in aws-local-stepfunctions,
 * its Lambda steps run by the pipeline function's own handler over the local registry and lake,
 * the export and the training job by the model image's entry points, and the deployment by a
 * swap of the local endpoint's model.
 */
export class LocalPipeline {
  private readonly sageMaker: LocalSageMaker;
  private handler: ((event: unknown) => Promise<unknown>) | undefined;

  constructor(private readonly options: LocalPipelineOptions) {
    this.sageMaker = new LocalSageMaker({ buckets: options.buckets, endpoint: options.endpoint });
  }

  /** An execution's id and name, as Step Functions would give them. */
  static execution(request: PipelineRequest, at = Date.now()): LocalExecutionId {
    const startedAt = new Date(at).toISOString();
    const name = `${request.trigger}-${startedAt.replace(/[-:.]/g, '')}-${Math.random().toString(16).slice(2, 8)}`;
    return { executionId: `arn:aws:states:local:000000000000:execution:reco-training:${name}`, name, startedAt };
  }

  /** Runs one execution to its end. */
  async run(request: PipelineRequest, execution = LocalPipeline.execution(request)): Promise<LocalPipelineRun> {
    const started = Date.now();
    const result = await runLocally({
      definition: this.options.definition,
      tasks: await this.tasks(),
      input: request,
      execution: { id: execution.executionId, name: execution.name, startTime: execution.startedAt },
    });
    return {
      ...result,
      executionId: execution.executionId,
      startedAt: execution.startedAt,
      durationMs: Date.now() - started,
    };
  }

  private async pipelineHandler(): Promise<(event: unknown) => Promise<unknown>> {
    if (this.handler) return this.handler;
    const { createDeps, createHandler } = await import('#functions/pipeline/app.ts');
    const { options, sageMaker } = this;
    const resources: ModelResources = {
      deleteModels: async (prefix) => sageMaker.deleteModels(prefix),
      deleteEndpointConfigs: async (prefix) => sageMaker.deleteEndpointConfigs(prefix),
      deleteObjects: async (s3Prefix) => {
        await rm(options.buckets.pathOf(s3Prefix), { recursive: true, force: true });
        return 1;
      },
    };
    this.handler = createHandler(
      createDeps(
        {},
        {
          registry: options.registry,
          newData: options.newData,
          endpoints: { endpointExists: async () => sageMaker.endpointExists },
          resources,
          guardOptions: {
            bucket: options.artifactsBucket,
            namePrefix: 'reco-local',
            endpointName: options.endpointName,
            hyperparameters: options.hyperparameters ?? {},
            holdout: options.holdout ?? training.localHoldout,
            minNewEvents: training.localMinNewEvents,
          },
        },
      ),
    );
    return this.handler;
  }

  private async tasks(): Promise<Record<string, LocalTask>> {
    const step = await this.pipelineHandler();
    const { options, sageMaker } = this;
    const notify = (input: unknown) => {
      const { Subject, Message } = input as { Subject?: string; Message?: unknown };
      options.log(`notification: ${Subject ?? ''} ${JSON.stringify(Message)}`);
      return Promise.resolve({ MessageId: `local-${Date.now()}` });
    };
    const noop = () => Promise.resolve({});
    return {
      [pipelineStates.guard]: step,
      [pipelineStates.gate]: step,
      [pipelineStates.recordRejected]: step,
      [pipelineStates.recordLive]: step,
      [pipelineStates.recordFailure]: step,
      [pipelineStates.cleanUp]: step,
      [pipelineStates.exportDataset]: (input) => this.exportDataset(input),
      [pipelineStates.trainModel]: (input) =>
        runTrainingJob(input as Parameters<typeof runTrainingJob>[0], { buckets: options.buckets, log: options.log }),
      [pipelineStates.createModel]: sageMaker.createModel,
      [pipelineStates.createEndpointConfig]: sageMaker.createEndpointConfig,
      [pipelineStates.createEndpoint]: sageMaker.createEndpoint,
      [pipelineStates.updateEndpoint]: sageMaker.updateEndpoint,
      [pipelineStates.describeEndpoint]: sageMaker.describeEndpoint,
      [pipelineStates.registerScaling]: noop,
      [pipelineStates.putScalingPolicy]: noop,
      [pipelineStates.notifyLive]: notify,
      [pipelineStates.notifyRejected]: notify,
      [pipelineStates.notifyFailure]: notify,
    };
  }

  /** The processing job's export, reading the local lake and table into the dataset's folder. */
  private async exportDataset(input: unknown): Promise<unknown> {
    const request = input as {
      readonly ProcessingJobName: string;
      readonly Environment: Readonly<Record<string, string>>;
      readonly ProcessingOutputConfig: {
        readonly Outputs: readonly { readonly S3Output: { readonly S3Uri: string } }[];
      };
    };
    const output = request.ProcessingOutputConfig.Outputs[0]?.S3Output.S3Uri;
    if (output === undefined) throw new Error(`${request.ProcessingJobName} has no output`);
    parseS3Uri(output);
    const summary = await exportFromEnvironment(
      {
        ...request.Environment,
        [exportEnv.lakeUri]: this.options.lakeEventsDir,
        [exportEnv.featureTableName]: this.options.featureTableName,
        [envVars.erasureHashKey]: this.options.erasureHashKey,
      },
      this.options.buckets.pathOf(output),
      { dynamoDb: this.options.dynamoDb },
    );
    this.options.log(`  export: ${JSON.stringify(summary)}`);
    return { ProcessingJobName: request.ProcessingJobName, ProcessingJobStatus: 'Completed' };
  }
}

/** The lines `npm run train:local` prints: the path, the metrics side by side, the verdict. */
export function describeRun(run: LocalPipelineRun): string[] {
  const output = (run.output ?? {}) as {
    guard?: { action?: string; version?: string; reason?: string };
    gate?: GateVerdict;
  };
  const lines = [`execution ${run.executionId}: ${run.status} in ${(run.durationMs / 1000).toFixed(1)} s`];
  lines.push(`path: ${run.path.join(' → ')}`);
  if (output.guard)
    lines.push(`guard: ${output.guard.action} ${output.guard.version ?? ''} (${output.guard.reason ?? ''})`);
  const gate = output.gate;
  if (gate) {
    const row = (name: string, metrics: GateVerdict['candidate'] | undefined) =>
      metrics
        ? `  ${name.padEnd(9)} HR@10 ${metrics.hr10.toFixed(4)}  NDCG@10 ${metrics.ndcg10.toFixed(4)}  coverage ${metrics.coverage.toFixed(4)}`
        : `  ${name.padEnd(9)} (none)`;
    lines.push(`holdout: ${gate.holdoutUsers} shoppers`, row('candidate', gate.candidate), row('live', gate.live));
    lines.push(`verdict: ${gate.verdict} (${gate.reason})`);
  }
  if (run.error) lines.push(`error: ${run.error.Error}: ${run.error.Cause}`);
  return lines;
}
