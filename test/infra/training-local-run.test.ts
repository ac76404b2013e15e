import { readFileSync } from 'node:fs';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { exportEnv, type GuardDecision, pipelineStates } from '#shared/training/pipeline.ts';
import { ENDPOINT_DEPLOYMENT_FAILED } from '#infra/constructs/training-deploy-states.ts';
import { TRAINING_ASL_FILE } from '../../tools/generate-training-asl.ts';

const s = pipelineStates;

/** The committed definition (test/infra/training-asl.test.ts proves it current). */
const committed = (): StateMachineDefinition =>
  JSON.parse(readFileSync(TRAINING_ASL_FILE, 'utf8')) as StateMachineDefinition;

/** What the stand-ins of one local run answer, and what they were asked. */
interface Scenario {
  readonly guard: Partial<GuardDecision>;
  readonly verdict?: 'promote' | 'reject';
  /** Statuses DescribeEndpoint answers, one per call (the last repeats). */
  readonly statuses?: readonly { EndpointStatus: string; EndpointConfigName?: string }[];
  /** States whose stand-in fails. */
  readonly failing?: readonly string[];
}

const GUARD: GuardDecision = {
  action: 'train',
  reason: 'enough new data',
  version: 'v20261207120000-0a1b2c3d',
  endpointExists: false,
  modelName: 'reco-training-1-v20261207120000-0a1b2c3d',
  endpointConfigName: 'reco-training-1-v20261207120000-0a1b2c3d',
  endpointName: 'reco-endpoint',
  trainingJobName: 'reco-training-1-v20261207120000-0a1b2c3d',
  exportJobName: 'reco-training-1-v20261207120000-0a1b2c3d',
  datasetS3Uri: 's3://artifacts/datasets/v20261207120000-0a1b2c3d/',
  modelOutputS3Uri: 's3://artifacts/models/v20261207120000-0a1b2c3d/',
  liveModelS3Uri: 's3://artifacts/datasets/v20261207120000-0a1b2c3d/no-live-model/NONE',
  modelDataUrl: 's3://artifacts/models/v20261207120000-0a1b2c3d/x/output/model.tar.gz',
  window: { from: '2026-11-07T12:00:00Z', holdoutFrom: '2026-11-30T12:00:00Z', to: '2026-12-07T12:00:00Z' },
  hyperparameters: { algorithm: 'hybrid' },
};

/** Runs the committed definition in aws-local-stepfunctions with a stand-in for every task. */
async function runLocally(scenario: Scenario) {
  const definition = committed();
  const calls: Record<string, unknown[]> = {};
  const guard = { ...GUARD, ...scenario.guard };
  let describes = 0;
  const answers: Record<string, (input: unknown) => unknown> = {
    [s.guard]: () => guard,
    [s.gate]: () => ({ verdict: scenario.verdict ?? 'promote', reason: 'within tolerance' }),
    [s.trainModel]: () => ({
      TrainingJobName: guard.trainingJobName,
      TrainingJobStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: guard.modelDataUrl },
      FinalMetricDataList: [{ MetricName: 'candidate_ndcg10', Value: 0.3 }],
    }),
    [s.describeEndpoint]: () => {
      const statuses = scenario.statuses ?? [{ EndpointStatus: 'InService' }];
      const status = statuses[Math.min(describes++, statuses.length - 1)];
      return { EndpointName: guard.endpointName, EndpointConfigName: guard.endpointConfigName, ...status };
    },
  };
  const tasks = Object.entries(definition.States)
    .filter(([, state]) => state.Type === 'Task')
    .map(([name]) => name);
  const machine = new StateMachine(definition, { validationOptions: { checkArn: false } });
  const execution = machine.run(
    { trigger: 'schedule' },
    {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(
          tasks.map((name) => [
            name,
            async (input: unknown) => {
              (calls[name] ??= []).push(input);
              if (scenario.failing?.includes(name)) {
                throw Object.assign(new Error(`${name} failed`), { name: 'States.TaskFailed' });
              }
              return answers[name]?.(input) ?? {};
            },
          ]),
        ) as never,
        waitTimeOverrides: { [s.waitForEndpoint]: 0 },
        retryIntervalOverrides: Object.fromEntries(tasks.map((name) => [name, 0])),
      },
      context: { Execution: { Id: 'arn:execution:1', StartTime: '2026-12-07T12:00:00Z' } } as never,
    },
  );
  let status: 'SUCCEEDED' | 'FAILED' = 'SUCCEEDED';
  try {
    await execution.result;
  } catch {
    status = 'FAILED';
  }
  return { status, calls };
}

describe('Generated ASL in the local interpreter', () => {
  it('trains, promotes and deploys a new endpoint, polling until it is in service', async () => {
    // Act
    const { status, calls } = await runLocally({
      guard: {},
      statuses: [{ EndpointStatus: 'Creating' }, { EndpointStatus: 'InService' }],
    });

    // Assess
    expect(status).toBe('SUCCEEDED');
    expect(Object.keys(calls)).toEqual([
      s.guard,
      s.exportDataset,
      s.trainModel,
      s.gate,
      s.createModel,
      s.createEndpointConfig,
      s.createEndpoint,
      s.describeEndpoint,
      s.registerScaling,
      s.putScalingPolicy,
      s.recordLive,
      s.cleanUp,
      s.notifyLive,
    ]);
    expect(calls[s.describeEndpoint]).toHaveLength(2);
    expect(calls[s.exportDataset]?.[0]).toMatchObject({
      Environment: {
        [exportEnv.windowFrom]: GUARD.window?.from,
        [exportEnv.holdoutFrom]: GUARD.window?.holdoutFrom,
        [exportEnv.windowTo]: GUARD.window?.to,
      },
    });
    expect(calls[s.trainModel]?.[0]).toMatchObject({
      InputDataConfig: [
        { DataSource: { S3DataSource: { S3Uri: `${GUARD.datasetS3Uri}interactions/` } } },
        { DataSource: { S3DataSource: { S3Uri: `${GUARD.datasetS3Uri}items/` } } },
        { DataSource: { S3DataSource: { S3Uri: `${GUARD.datasetS3Uri}holdout/` } } },
        { DataSource: { S3DataSource: { S3Uri: GUARD.liveModelS3Uri } } },
      ],
      HyperParameters: GUARD.hyperparameters,
    });
    expect(calls[s.gate]?.[0]).toMatchObject({ metrics: [{ MetricName: 'candidate_ndcg10', Value: 0.3 }] });
    expect(calls[s.createModel]?.[0]).toMatchObject({
      ModelName: GUARD.modelName,
      PrimaryContainer: { ModelDataUrl: GUARD.modelDataUrl, Environment: { MODEL_VERSION: GUARD.version } },
    });
    expect(calls[s.recordLive]?.[0]).toMatchObject({
      modelDataUrl: GUARD.modelDataUrl,
      executionId: 'arn:execution:1',
    });
  });

  it('records and notifies a rejected candidate, and deploys nothing', async () => {
    const { status, calls } = await runLocally({ guard: {}, verdict: 'reject' });

    expect(status).toBe('SUCCEEDED');
    expect(Object.keys(calls).slice(-2)).toEqual([s.recordRejected, s.notifyRejected]);
    expect(calls[s.createModel]).toBeUndefined();
  });

  it('skips without a job', async () => {
    const { status, calls } = await runLocally({ guard: { action: 'skip' } });

    expect(status).toBe('SUCCEEDED');
    expect(Object.keys(calls)).toEqual([s.guard]);
  });

  it('promotes an earlier version by updating the endpoint, without export, training or gate', async () => {
    const { status, calls } = await runLocally({ guard: { action: 'promote', endpointExists: true } });

    expect(status).toBe('SUCCEEDED');
    expect(Object.keys(calls)).toEqual([
      s.guard,
      s.createModel,
      s.createEndpointConfig,
      s.updateEndpoint,
      s.describeEndpoint,
      s.registerScaling,
      s.putScalingPolicy,
      s.recordLive,
      s.cleanUp,
      s.notifyLive,
    ]);
  });

  it('takes the failure path when SageMaker rolls the update back, and records why', async () => {
    // Act: in service again, but on the previous config.
    const { status, calls } = await runLocally({
      guard: { action: 'promote', endpointExists: true },
      statuses: [{ EndpointStatus: 'Updating' }, { EndpointStatus: 'InService', EndpointConfigName: 'previous' }],
    });

    // Assess
    expect(status).toBe('FAILED');
    expect(Object.keys(calls).slice(-2)).toEqual([s.recordFailure, s.notifyFailure]);
    expect(calls[s.registerScaling]).toBeUndefined();
    expect(calls[s.recordFailure]?.[0]).toMatchObject({
      outcome: 'failed',
      error: { Error: ENDPOINT_DEPLOYMENT_FAILED, Cause: expect.stringContaining('previous') },
    });
  });

  it.each([s.guard, s.trainModel, s.createEndpoint, s.cleanUp])(
    'records and notifies a failure of %s, and touches the endpoint no more',
    async (failing) => {
      const { status, calls } = await runLocally({ guard: {}, failing: [failing] });

      expect(status).toBe('FAILED');
      const entered = Object.keys(calls);
      expect(entered.slice(entered.indexOf(failing) + 1)).toEqual([s.recordFailure, s.notifyFailure]);
      expect(calls[s.recordFailure]?.[0]).toMatchObject({ error: { Error: 'States.TaskFailed' } });
    },
  );
});
