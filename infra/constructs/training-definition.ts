import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { serviceName } from '#shared/config/index.ts';
import { pipelineStates as s } from '#shared/training/pipeline.ts';
import type { EndpointDeployment } from './model-endpoint.ts';
import { deployStates } from './training-deploy-states.ts';
import {
  ERROR_PATH,
  exportDatasetState,
  guardAt,
  type IntegrationKind,
  lambdaStep,
  notification,
  retryAndCatch,
  trainModelState,
} from './training-states.ts';

/** What the definition's states call and run. */
export interface TrainingDefinitionDeps {
  readonly pipelineFunction: lambda.IFunction;
  readonly topic: sns.ITopic;
  /** URI of the model image (export, training and serving). */
  readonly imageUri: string;
  readonly trainingRole: iam.Role;
  readonly exportRole: iam.IRole;
  /** Execution role of the SageMaker models the endpoint serves. */
  readonly modelRole: iam.IRole;
  /** The fixed part of the export's environment (lake, feature table, erasure-hash-key secret). */
  readonly exportEnvironment: Readonly<Record<string, string>>;
  readonly exportInstanceType: string;
  readonly trainingInstanceType: string;
  /** What the deployment states deploy: real-time with scaling, or serverless. */
  readonly endpoint: EndpointDeployment;
  /**
   * ARNs the SageMaker API tasks act on. The state machine's role is written in full by
   * `TrainingPipeline` (the tasks cannot add to it); these only name the same resources in the tasks.
   */
  readonly resourceArns: { readonly models: string; readonly endpointConfigs: string; readonly endpoint: string };
}

/**
 * The training pipeline in JSONPath (the local interpreter ignores JSONata and `Assign`), with the
 * state names of `pipelineStates` and the payloads of `shared/training/pipeline.ts`. Every task
 * retries its transient errors; everything else is caught into RecordFailure → NotifyFailure →
 * Failed, which touches neither the endpoint nor the live version. Returns the start state.
 */
export function trainingDefinition(scope: Construct, deps: TrainingDefinitionDeps): sfn.IChainable {
  const fn = deps.pipelineFunction;
  const executionId = sfn.JsonPath.executionId;
  const guard = sfn.JsonPath.objectAt('$.guard');

  // The failure path. It reads only the execution id and the error: a failed Guard leaves no `$.guard`.
  const failed = new sfn.Fail(scope, s.failed, {
    stateName: s.failed,
    error: 'TrainingPipelineFailed',
    cause: 'A step of the training pipeline failed; the live model is unchanged (see the failure notification)',
  });
  const notifyFailure = retryAndCatch(
    notification(scope, {
      stateName: s.notifyFailure,
      topic: deps.topic,
      subject: `${serviceName}: a training pipeline run failed`,
      message: { outcome: 'failed', executionId, error: sfn.JsonPath.objectAt(ERROR_PATH) },
    }),
    { kind: 'sns', failure: undefined },
  );
  const recordFailure = retryAndCatch(
    lambdaStep(scope, {
      stateName: s.recordFailure,
      fn,
      payload: { step: 'record', outcome: 'failed', executionId, error: sfn.JsonPath.objectAt(ERROR_PATH) },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    { kind: 'lambda', failure: undefined },
  );
  // Not recorded is no reason not to tell: the notification still goes out, with the first error.
  recordFailure.addCatch(notifyFailure, { errors: [sfn.Errors.ALL], resultPath: '$.recordError' });
  recordFailure.next(notifyFailure).next(failed);
  const guarded = <S extends sfn.TaskStateBase | sfn.CustomState>(state: S, kind: IntegrationKind): S =>
    retryAndCatch(state, { kind, failure: recordFailure });
  const step = (stateName: (typeof s)[keyof typeof s], payload: Record<string, unknown>, resultPath: string) =>
    guarded(lambdaStep(scope, { stateName, fn, payload, resultPath }), 'lambda');

  const start = step(
    s.guard,
    {
      step: 'guard',
      executionId,
      startedAt: sfn.JsonPath.executionStartTime,
      request: sfn.JsonPath.entirePayload,
    },
    '$.guard',
  );
  // An action or verdict the contract does not know is a bug of the pipeline function, not a run to record.
  const route = new sfn.Choice(scope, s.route, { stateName: s.route });
  const skipped = new sfn.Succeed(scope, s.skipped, { stateName: s.skipped });

  const exportDataset = guarded(
    exportDatasetState(scope, {
      imageUri: deps.imageUri,
      role: deps.exportRole,
      instanceType: deps.exportInstanceType,
      environment: deps.exportEnvironment,
    }),
    'sageMakerJob',
  );
  const trainModel = guarded(
    trainModelState(scope, {
      imageUri: deps.imageUri,
      role: deps.trainingRole,
      instanceType: deps.trainingInstanceType,
    }),
    'sageMakerJob',
  );
  const gate = step(
    s.gate,
    { step: 'gate', guard, metrics: sfn.JsonPath.listAt('$.training.FinalMetricDataList') },
    '$.gate',
  );
  const verdict = new sfn.Choice(scope, s.verdict, { stateName: s.verdict });

  const recordRejected = step(
    s.recordRejected,
    { step: 'record', outcome: 'rejected', executionId, guard, gate: sfn.JsonPath.objectAt('$.gate') },
    sfn.JsonPath.DISCARD,
  );
  const notifyRejected = guarded(
    notification(scope, {
      stateName: s.notifyRejected,
      topic: deps.topic,
      subject: `${serviceName}: a candidate model was rejected`,
      message: {
        outcome: 'rejected',
        version: guardAt('version'),
        reason: sfn.JsonPath.stringAt('$.gate.reason'),
        executionId,
      },
    }),
    'sns',
  );
  const rejected = new sfn.Succeed(scope, s.rejected, { stateName: s.rejected });

  const deploy = deployStates(scope, { ...deps, guarded });
  const recordLive = step(
    s.recordLive,
    { step: 'record', outcome: 'live', executionId, guard, modelDataUrl: guardAt('modelDataUrl') },
    sfn.JsonPath.DISCARD,
  );
  const cleanUp = step(s.cleanUp, { step: 'cleanUp', guard }, sfn.JsonPath.DISCARD);
  const notifyLive = guarded(
    notification(scope, {
      stateName: s.notifyLive,
      topic: deps.topic,
      subject: `${serviceName}: a new model is live`,
      message: {
        outcome: 'live',
        version: guardAt('version'),
        endpointName: guardAt('endpointName'),
        modelDataUrl: guardAt('modelDataUrl'),
        executionId,
      },
    }),
    'sns',
  );
  const live = new sfn.Succeed(scope, s.live, { stateName: s.live });

  start.next(route);
  route
    .when(sfn.Condition.stringEquals('$.guard.action', 'skip'), skipped)
    .when(sfn.Condition.stringEquals('$.guard.action', 'promote'), deploy.start)
    .when(sfn.Condition.stringEquals('$.guard.action', 'train'), exportDataset)
    .otherwise(failed);
  exportDataset.next(trainModel).next(gate).next(verdict);
  verdict
    .when(sfn.Condition.stringEquals('$.gate.verdict', 'reject'), recordRejected)
    .when(sfn.Condition.stringEquals('$.gate.verdict', 'promote'), deploy.start)
    .otherwise(failed);
  recordRejected.next(notifyRejected).next(rejected);
  deploy.inService.next(recordLive).next(cleanUp).next(notifyLive).next(live);
  deploy.notServing(recordFailure);
  return start;
}
