import { Aws, Duration, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { training } from '#shared/config/index.ts';
import {
  exportEnv,
  exportOutputDir,
  gateMetricDefinitions,
  tuningMetricDefinitions,
  type PipelineStateName,
  pipelineStates,
  trainingChannels,
} from '#shared/training/pipeline.ts';

/** A string of the guard's decision (`$.guard.<field>`), where every state reads its names. */
export const guardAt = (field: string): string => sfn.JsonPath.stringAt(`$.guard.${field}`);

/** Where a Catch puts `{Error, Cause}`, and where RecordFailure and NotifyFailure read it. */
export const ERROR_PATH = '$.error';

/**
 * Errors worth retrying, by integration: throttling and service faults, never a refusal of the
 * request itself. Step Functions names AWS SDK errors `<Service>.<Exception>`; the optimized
 * SageMaker job integrations report every API error as `SageMaker.AmazonSageMakerException`.
 */
export const TRANSIENT_ERRORS = {
  lambda: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    // The state's own time limit (above the function's): an invocation lost on the way.
    'States.Timeout',
  ],
  sageMakerApi: ['SageMaker.ThrottlingException'],
  sageMakerJob: ['SageMaker.AmazonSageMakerException'],
  autoScaling: [
    'ApplicationAutoScaling.ConcurrentUpdateException',
    'ApplicationAutoScaling.InternalServiceException',
    // A scalable target registered a moment ago may not be visible yet to PutScalingPolicy.
    'ApplicationAutoScaling.ObjectNotFoundException',
  ],
  sns: ['SNS.ThrottledException', 'SNS.InternalErrorException', 'SNS.KMSThrottlingException'],
} as const;

export type IntegrationKind = keyof typeof TRANSIENT_ERRORS;

/** A task state that takes Retry and Catch (the L2 tasks and the custom ExportDataset). */
type RetryCatchState = sfn.TaskStateBase | sfn.CustomState;

/**
 * Retries `state` on the transient errors of its integration and, unless `failure` is undefined,
 * catches everything else into the failure path with the error at {@link ERROR_PATH}.
 */
export function retryAndCatch<S extends RetryCatchState>(
  state: S,
  { kind, failure }: { kind: IntegrationKind; failure: sfn.IChainable | undefined },
): S {
  // Jobs wait in SageMaker's queue: start slower and try fewer times than an API call.
  const job = kind === 'sageMakerJob';
  state.addRetry({
    errors: [...TRANSIENT_ERRORS[kind]],
    interval: Duration.seconds(job ? 30 : 2),
    maxAttempts: job ? 3 : 5,
    backoffRate: 2,
  });
  if (failure !== undefined) state.addCatch(failure, { errors: [sfn.Errors.ALL], resultPath: ERROR_PATH });
  return state;
}

/** A step of the pipeline function: its payload in, its answer (the payload only) at `resultPath`. */
export interface LambdaStepOptions {
  readonly stateName: PipelineStateName;
  readonly fn: lambda.IFunction;
  readonly payload: Readonly<Record<string, unknown>>;
  /** Where the answer goes; `JsonPath.DISCARD` keeps the input unchanged. */
  readonly resultPath: string;
}

/** Seconds the state waits for one invocation beyond the function's own timeout. */
const INVOKE_GRACE_SECONDS = 30;

/** A LambdaInvoke of the pipeline function; the caller adds Retry and Catch. */
export function lambdaStep(scope: Construct, options: LambdaStepOptions): tasks.LambdaInvoke {
  const functionTimeout = (options.fn as lambda.Function).timeout?.toSeconds() ?? 900;
  return new tasks.LambdaInvoke(scope, options.stateName, {
    stateName: options.stateName,
    lambdaFunction: options.fn,
    payload: sfn.TaskInput.fromObject(options.payload),
    // The function's answer itself, not the Invoke API's envelope: later states read `$.guard.action`.
    payloadResponseOnly: true,
    // Retries come from retryAndCatch, the same for every Lambda step.
    retryOnServiceExceptions: false,
    resultPath: options.resultPath,
    taskTimeout: sfn.Timeout.duration(Duration.seconds(functionTimeout + INVOKE_GRACE_SECONDS)),
  });
}

/** An SNS notification; the state's input passes through. */
export function notification(
  scope: Construct,
  options: { stateName: PipelineStateName; topic: sns.ITopic; subject: string; message: Record<string, unknown> },
): tasks.SnsPublish {
  return new tasks.SnsPublish(scope, options.stateName, {
    stateName: options.stateName,
    topic: options.topic,
    subject: options.subject,
    message: sfn.TaskInput.fromObject(options.message),
    resultPath: sfn.JsonPath.DISCARD,
  });
}

/** What the two SageMaker job states run with. */
export interface JobStateDeps {
  readonly imageUri: string;
  readonly role: iam.IRole;
  readonly instanceType: string;
}

/** Extra time a job state allows beyond the job's own limit: queueing, image pull, upload. */
const JOB_GRACE_SECONDS = 60 * 60;

/**
 * ExportDataset: a SageMaker Processing job (`createProcessingJob.sync`, which the CDK has no task
 * for) running the model image's `export` mode, which writes {@link exportOutputDir} and SageMaker
 * uploads it to `$.guard.datasetS3Uri` when the job ends. Its result is not kept.
 */
export function exportDatasetState(
  scope: Construct,
  deps: JobStateDeps & {
    /** The fixed part of the environment: lake URI, feature table, erasure-hash-key secret. */
    readonly environment: Readonly<Record<string, string>>;
  },
): sfn.CustomState {
  return new sfn.CustomState(scope, pipelineStates.exportDataset, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${Aws.PARTITION}:states:::sagemaker:createProcessingJob.sync`,
      Parameters: {
        'ProcessingJobName.$': '$.guard.exportJobName',
        RoleArn: deps.role.roleArn,
        AppSpecification: {
          ImageUri: deps.imageUri,
          ContainerEntrypoint: ['/opt/program/docker-entrypoint.sh', 'export'],
        },
        Environment: {
          ...deps.environment,
          [`${exportEnv.windowFrom}.$`]: '$.guard.window.from',
          [`${exportEnv.holdoutFrom}.$`]: '$.guard.window.holdoutFrom',
          [`${exportEnv.windowTo}.$`]: '$.guard.window.to',
        },
        ProcessingResources: {
          ClusterConfig: {
            InstanceCount: 1,
            InstanceType: deps.instanceType,
            VolumeSizeInGB: training.volumeGb,
          },
        },
        ProcessingOutputConfig: {
          Outputs: [
            {
              OutputName: 'dataset',
              S3Output: { 'S3Uri.$': '$.guard.datasetS3Uri', LocalPath: exportOutputDir, S3UploadMode: 'EndOfJob' },
            },
          ],
        },
        StoppingCondition: { MaxRuntimeInSeconds: training.exportMaxSeconds },
      },
      ResultPath: null,
      TimeoutSeconds: training.exportMaxSeconds + JOB_GRACE_SECONDS,
    },
  });
}

/** An image whose URI the stack already knows (the model image asset); pull rights are the role's own. */
class KnownImage extends tasks.DockerImage {
  public constructor(private readonly imageUri: string) {
    super();
  }

  public override bind(): tasks.DockerImageConfig {
    return { imageUri: this.imageUri };
  }
}

/** A channel's S3 location, computed from the state's input (`States.Format` or a path). */
class ComputedS3Location extends tasks.S3Location {
  public constructor(private readonly uri: string) {
    super();
  }

  public override bind(): tasks.S3LocationConfig {
    return { uri: this.uri };
  }
}

/** A training channel under `$.guard.datasetS3Uri` (a prefix ending in `/`). */
function datasetChannel(name: string): tasks.Channel {
  return {
    channelName: name,
    dataSource: {
      s3DataSource: {
        s3Location: new ComputedS3Location(
          sfn.JsonPath.format(`{}${name}/`, sfn.JsonPath.stringAt('$.guard.datasetS3Uri')),
        ),
      },
    },
  };
}

/**
 * TrainModel: a SageMaker training job (`createTrainingJob.sync`), network-isolated, on the channels
 * of `trainingChannels`; it prints the gate's metric lines, which `MetricDefinitions` turn into
 * `FinalMetricDataList`. Kept at `$.training`: the artifact, the metrics and the job's name.
 */
export function trainModelState(
  scope: Construct,
  deps: JobStateDeps & { readonly role: iam.Role },
): tasks.SageMakerCreateTrainingJob {
  return new tasks.SageMakerCreateTrainingJob(scope, pipelineStates.trainModel, {
    stateName: pipelineStates.trainModel,
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    trainingJobName: sfn.JsonPath.stringAt('$.guard.trainingJobName'),
    // Without policy updates: the task would grant the role S3 on `*` for channels taken from the input.
    role: deps.role.withoutPolicyUpdates(),
    enableNetworkIsolation: true,
    algorithmSpecification: {
      trainingImage: new KnownImage(deps.imageUri),
      trainingInputMode: tasks.InputMode.FILE,
      metricDefinitions: [...gateMetricDefinitions, ...tuningMetricDefinitions].map(({ Name, Regex }) => ({
        name: Name,
        regex: Regex,
      })),
    },
    inputDataConfig: [
      datasetChannel(trainingChannels.interactions),
      datasetChannel(trainingChannels.items),
      datasetChannel(trainingChannels.holdout),
      {
        channelName: trainingChannels.live,
        dataSource: { s3DataSource: { s3Location: tasks.S3Location.fromJsonExpression('$.guard.liveModelS3Uri') } },
      },
    ],
    outputDataConfig: { s3OutputLocation: tasks.S3Location.fromJsonExpression('$.guard.modelOutputS3Uri') },
    resourceConfig: {
      instanceCount: 1,
      // The task prefixes `ml.`.
      instanceType: new ec2.InstanceType(deps.instanceType.replace(/^ml\./, '')),
      volumeSize: Size.gibibytes(training.volumeGb),
    },
    stoppingCondition: { maxRuntime: Duration.seconds(training.trainingMaxSeconds) },
    // The guard's strings as they are (SageMaker takes only string values).
    hyperparameters: sfn.JsonPath.objectAt('$.guard.hyperparameters') as unknown as Record<string, unknown>,
    resultSelector: {
      ModelArtifacts: { S3ModelArtifacts: sfn.JsonPath.stringAt('$.ModelArtifacts.S3ModelArtifacts') },
      FinalMetricDataList: sfn.JsonPath.listAt('$.FinalMetricDataList'),
      TrainingJobName: sfn.JsonPath.stringAt('$.TrainingJobName'),
    },
    resultPath: '$.training',
    taskTimeout: sfn.Timeout.duration(Duration.seconds(training.trainingMaxSeconds + JOB_GRACE_SECONDS)),
  });
}
