import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { training } from '#shared/config/index.ts';
import {
  exportEnv,
  exportOutputDir,
  gateMetricDefinitions,
  tuningMetricDefinitions,
  pipelineStates,
  trainingChannels,
} from '#shared/training/pipeline.ts';
import { VARIANT_NAME } from '#infra/constructs/model-endpoint.ts';
import { ASL_PLACEHOLDERS, generateTrainingAsl, TRAINING_ASL_FILE } from '../../tools/generate-training-asl.ts';
import { stubModelImageDirectory } from './helpers.ts';

interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly ResultPath?: string | null;
  readonly Choices?: readonly Record<string, unknown>[];
  readonly Retry?: readonly { ErrorEquals: string[] }[];
  readonly Catch?: readonly { ErrorEquals: string[]; ResultPath?: string; Next: string }[];
}

const s = pipelineStates;

/** The committed definition, parsed. */
const committed = (): { StartAt: string; States: Record<string, AslState> } =>
  JSON.parse(readFileSync(TRAINING_ASL_FILE, 'utf8')) as { StartAt: string; States: Record<string, AslState> };

/** Names of the states `from` can reach by Next, Default, Choices and Catch. */
function reachable(states: Record<string, AslState>, from: string): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string | undefined) => {
    if (name === undefined || seen.has(name)) return;
    seen.add(name);
    const state = states[name];
    visit(state?.Next);
    visit(state?.Default);
    for (const choice of state?.Choices ?? []) visit(choice.Next as string);
    for (const handler of state?.Catch ?? []) visit(handler.Next);
  };
  visit(from);
  return seen;
}

describe('Generated ASL: infra/generated/training-pipeline.asl.json', () => {
  let states: Record<string, AslState>;
  beforeAll(() => {
    states = committed().States;
  });

  it('is what the current stack synthesises', async () => {
    // Act
    const generated = await generateTrainingAsl(stubModelImageDirectory());

    // Assess
    expect(generated === readFileSync(TRAINING_ASL_FILE, 'utf8'), 'run npx tsx tools/generate-training-asl.ts').toBe(
      true,
    );
  });

  it('is valid ASL', () => {
    // Act: the validator writes defaults into what it checks.
    const result = aslValidator(committed());

    // Assess
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('has exactly the states of pipelineStates', () => {
    expect(Object.keys(states).sort()).toEqual(Object.values(pipelineStates).sort());
    expect(committed().StartAt).toBe(s.guard);
  });

  it('is JSONPath only: no JSONata, no variables', () => {
    const text = readFileSync(TRAINING_ASL_FILE, 'utf8');
    for (const key of ['"QueryLanguage"', '"Assign"', '"Arguments"', '"Output"', 'JSONata', '{%']) {
      expect(text, key).not.toContain(key);
    }
  });

  it('retries every task and catches it into RecordFailure, but the failure path itself', () => {
    const tasks = Object.entries(states).filter(([, state]) => state.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(15);
    for (const [name, state] of tasks) {
      expect(state.Retry?.length, name).toBeGreaterThan(0);
      if (name === s.recordFailure || name === s.notifyFailure) continue;
      expect(state.Catch, name).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: s.recordFailure },
      ]);
    }
    // A failure to record still notifies; nothing on the failure path loops back or deploys.
    expect(states[s.recordFailure]?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.recordError', Next: s.notifyFailure },
    ]);
    expect(states[s.notifyFailure]?.Catch).toBeUndefined();
    expect([...reachable(states, s.recordFailure)].sort()).toEqual([s.failed, s.notifyFailure, s.recordFailure].sort());
  });

  it('routes skip, promote and train, and has both gate branches', () => {
    const next = (choice: string, value: string) =>
      states[choice]?.Choices?.find((candidate) => candidate.StringEquals === value)?.Next;
    expect(next(s.route, 'skip')).toBe(s.skipped);
    expect(next(s.route, 'promote')).toBe(s.createModel);
    expect(next(s.route, 'train')).toBe(s.exportDataset);
    expect(next(s.verdict, 'reject')).toBe(s.recordRejected);
    expect(next(s.verdict, 'promote')).toBe(s.createModel);
    expect(states[s.recordRejected]?.Next).toBe(s.notifyRejected);
    expect(states[s.notifyRejected]?.Next).toBe(s.rejected);
    for (const end of [s.skipped, s.rejected, s.live]) expect(states[end]?.Type, end).toBe('Succeed');
    expect(states[s.failed]?.Type).toBe('Fail');
  });

  it('sends the step payloads of the contract to the pipeline function', () => {
    expect(states[s.guard]).toMatchObject({
      ResultPath: '$.guard',
      Parameters: {
        step: 'guard',
        'executionId.$': '$$.Execution.Id',
        'startedAt.$': '$$.Execution.StartTime',
        'request.$': '$',
      },
    });
    expect(states[s.gate]).toMatchObject({
      ResultPath: '$.gate',
      Parameters: { step: 'gate', 'guard.$': '$.guard', 'metrics.$': '$.training.FinalMetricDataList' },
    });
    expect(states[s.recordLive]?.Parameters).toMatchObject({ step: 'record', outcome: 'live', 'guard.$': '$.guard' });
    expect(states[s.recordRejected]?.Parameters).toMatchObject({ step: 'record', outcome: 'rejected' });
    expect(states[s.recordFailure]?.Parameters).toEqual({
      step: 'record',
      outcome: 'failed',
      'executionId.$': '$$.Execution.Id',
      'error.$': '$.error',
    });
    expect(states[s.cleanUp]?.Parameters).toEqual({ step: 'cleanUp', 'guard.$': '$.guard' });
    const lambda = `arn:aws:lambda:${ASL_PLACEHOLDERS.region}:${ASL_PLACEHOLDERS.account}:function:`;
    for (const name of [s.guard, s.gate, s.recordRejected, s.recordLive, s.cleanUp, s.recordFailure]) {
      expect(states[name]?.Resource, name).toMatch(new RegExp(`^${lambda}TrainingPipelineFunction`));
    }
  });

  it("runs the export as a Processing job of the model image's export mode", () => {
    const state = states[s.exportDataset];
    expect(state?.Resource).toBe('arn:aws:states:::sagemaker:createProcessingJob.sync');
    expect(state?.Parameters).toMatchObject({
      'ProcessingJobName.$': '$.guard.exportJobName',
      AppSpecification: {
        ImageUri: expect.stringMatching(new RegExp(`:${ASL_PLACEHOLDERS.imageTag}$`)),
        ContainerEntrypoint: ['/opt/program/docker-entrypoint.sh', 'export'],
      },
      ProcessingResources: { ClusterConfig: { InstanceType: training.exportInstanceType } },
      ProcessingOutputConfig: {
        Outputs: [{ S3Output: { 'S3Uri.$': '$.guard.datasetS3Uri', LocalPath: exportOutputDir } }],
      },
      StoppingCondition: { MaxRuntimeInSeconds: training.exportMaxSeconds },
    });
    const environment = Object.keys(state?.Parameters?.Environment as object).map((key) => key.replace(/\.\$$/, ''));
    expect(environment.sort()).toEqual(Object.values(exportEnv).sort());
  });

  it('trains on the channels of the contract with the gate and tuning metrics, kept at $.training', () => {
    const state = states[s.trainModel];
    expect(state?.Resource).toBe('arn:aws:states:::sagemaker:createTrainingJob.sync');
    const parameters = state?.Parameters as Record<string, unknown> & {
      InputDataConfig: { ChannelName: string }[];
      AlgorithmSpecification: { MetricDefinitions: unknown };
    };
    expect(parameters.InputDataConfig.map((channel) => channel.ChannelName).sort()).toEqual(
      Object.values(trainingChannels).sort(),
    );
    expect(parameters.AlgorithmSpecification.MetricDefinitions).toEqual([
      ...gateMetricDefinitions,
      ...tuningMetricDefinitions,
    ]);
    expect(parameters).toMatchObject({
      'TrainingJobName.$': '$.guard.trainingJobName',
      'HyperParameters.$': '$.guard.hyperparameters',
      OutputDataConfig: { 'S3OutputPath.$': '$.guard.modelOutputS3Uri' },
      ResourceConfig: { InstanceType: training.trainingInstanceType },
      StoppingCondition: { MaxRuntimeInSeconds: training.trainingMaxSeconds },
    });
    expect(state).toMatchObject({
      ResultPath: '$.training',
      ResultSelector: {
        ModelArtifacts: { 'S3ModelArtifacts.$': '$.ModelArtifacts.S3ModelArtifacts' },
        'FinalMetricDataList.$': '$.FinalMetricDataList',
        'TrainingJobName.$': '$.TrainingJobName',
      },
    });
  });

  it('deploys one variant of the configured type and polls until its own config is in service', () => {
    expect(states[s.createEndpointConfig]?.Parameters).toMatchObject({
      ProductionVariants: [{ VariantName: VARIANT_NAME, InstanceType: training.endpointInstanceType }],
    });
    expect(states[s.waitForEndpoint]).toMatchObject({ Seconds: training.deployPollSeconds, Next: s.describeEndpoint });
    expect(states[s.endpointStatus]?.Default).toBe(s.waitForEndpoint);
    expect(states[s.registerScaling]?.Parameters).toMatchObject({
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      'ResourceId.$': `States.Format('endpoint/{}/variant/${VARIANT_NAME}', $.guard.endpointName)`,
    });
  });
});
