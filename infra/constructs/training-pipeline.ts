import { Duration, Names, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { envVars, lambdaDefaults, serviceName, training } from '#shared/config/index.ts';
import { exportEnv, type PipelineRequest } from '#shared/training/pipeline.ts';
import { retentionDays } from '../retention.ts';
import type { DataLake } from './data-lake.ts';
import type { ErasureHashKeySecret } from './erasure-hash-key.ts';
import type { FeatureStore } from './feature-store.ts';
import type { ModelArtifacts } from './model-artifacts.ts';
import { type ModelEndpoint, VARIANT_NAME } from './model-endpoint.ts';
import type { ModelRegistry } from './model-registry.ts';
import { acknowledgePrefixedNames, createPipelineFunction, lakeUriOf } from './pipeline-function.ts';
import type { RecoFunction } from './reco-function.ts';
import { checkInstanceType } from './sagemaker-instance-types.ts';
import { PipelineArns, stateMachineStatements } from './training-access.ts';
import { trainingDefinition } from './training-definition.ts';
import { TrainingRoles } from './training-roles.ts';

/** What the schedule starts each run with. */
export const SCHEDULED_REQUEST: PipelineRequest = { trigger: 'schedule' };

/** Time the deployment part (model, config, endpoint in service, scaling) may take at most. */
const DEPLOY_SECONDS = 2 * 60 * 60;

/** Properties of a {@link TrainingPipeline}. */
export interface TrainingPipelineProps {
  readonly featureStore: FeatureStore;
  readonly dataLake: DataLake;
  readonly modelArtifacts: ModelArtifacts;
  readonly erasureHashKey: ErasureHashKeySecret;
  readonly registry: ModelRegistry;
  /** The endpoint the pipeline deploys to: its name, image, model role and sizing. */
  readonly modelEndpoint: ModelEndpoint;

  /**
   * When a run starts: an EventBridge Scheduler expression (`rate(...)`, `cron(...)`), or `off`.
   * @default training.schedule
   */
  readonly schedule?: string;

  /**
   * Instance types of the export (Processing) and the training job; x86 types only.
   * @default training.exportInstanceType and training.trainingInstanceType
   */
  readonly instanceTypes?: { readonly export?: string; readonly training?: string };
}

/**
 * The model lifecycle in AWS: a Step Functions state machine (JSONPath, `trainingDefinition`) that
 * guards, exports the lake to a dataset (SageMaker Processing), trains a candidate and scores it
 * against the live model (SageMaker training), gates it, and deploys a promoted model to the
 * stack's endpoint (real-time: create or update, wait until in service, auto scaling; serverless:
 * create, update, or replace a real-time endpoint, wait until in service), recording every outcome
 * in the model registry and notifying {@link TrainingPipeline.topic}.
 *
 * - {@link TrainingPipeline.pipelineFunction}: the guard, gate, record and clean-up steps, with
 *   exactly what they call (`createPipelineFunction`).
 * - {@link TrainingPipeline.roles}: the export's and the training job's execution roles.
 * - The state machine's role is written in full by {@link stateMachineStatements}; the tasks' own
 *   grants are not used (the role is handed to the state machine without policy updates).
 * - An EventBridge Scheduler schedule (`training.schedule`, none with `off`) starts a run with
 *   {@link SCHEDULED_REQUEST}, with a role of its own that may start this state machine only.
 * - The topic: KMS-encrypted (a key of its own, deleted with the stack: nothing outlives a
 *   notification), TLS only.
 *
 * Every SageMaker name the pipeline gives is `<namePrefix>-<version>…` ({@link TrainingPipeline.namePrefix},
 * the construct path and a hash of it), the same on every deployment and different between stacks.
 */
export class TrainingPipeline extends Construct {
  public readonly namePrefix: string;
  public readonly arns: PipelineArns;
  public readonly roles: TrainingRoles;
  public readonly pipelineFunction: RecoFunction;
  public readonly topicKey: kms.Key;
  public readonly topic: sns.Topic;
  public readonly logGroup: logs.LogGroup;
  /** The state machine's role and its only policy. */
  public readonly role: iam.Role;
  public readonly policy: iam.Policy;
  public readonly stateMachine: sfn.StateMachine;
  /** The schedule and its role; `undefined` with the schedule `off`. */
  public readonly schedule: scheduler.Schedule | undefined;
  public readonly scheduleRole: iam.Role | undefined;

  private readonly props: TrainingPipelineProps;

  public constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    this.props = props;
    const exportInstanceType = props.instanceTypes?.export ?? training.exportInstanceType;
    const trainingInstanceType = props.instanceTypes?.training ?? training.trainingInstanceType;
    checkInstanceType({ setting: 'training.exportInstanceType', value: exportInstanceType, use: 'job' });
    checkInstanceType({ setting: 'training.trainingInstanceType', value: trainingInstanceType, use: 'job' });
    const schedule = props.schedule ?? training.schedule;
    if (schedule !== 'off' && !/^(rate|cron)\(.+\)$/.test(schedule)) {
      throw new Error(`training.schedule must be rate(...), cron(...) or off, got ${JSON.stringify(schedule)}`);
    }

    // The guard names everything `<prefix>-<version>[-<hex>]`, within SageMaker's 63 characters.
    this.namePrefix = Names.uniqueResourceName(this, { maxLength: 24, separator: '-' }).toLowerCase();
    this.arns = new PipelineArns(this, this.namePrefix);
    const endpoint = props.modelEndpoint;

    this.roles = new TrainingRoles(this, 'Roles', {
      image: endpoint.image,
      modelArtifacts: props.modelArtifacts,
      dataLake: props.dataLake,
      featureStore: props.featureStore,
      erasureHashKey: props.erasureHashKey,
      namePrefix: this.namePrefix,
    });

    this.pipelineFunction = createPipelineFunction(this, {
      ...props,
      namePrefix: this.namePrefix,
      arns: this.arns,
    });

    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: `Encrypts the ${serviceName} training pipeline's notifications`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.topic = new sns.Topic(this, 'Notifications', {
      displayName: `${serviceName} training pipeline`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: retentionDays(lambdaDefaults.logRetentionDays) });
    this.role = new iam.Role(this, 'StateMachineRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: `Runs the ${serviceName} training pipeline`,
    });
    this.policy = new iam.Policy(this, 'StateMachinePolicy', {
      roles: [this.role],
      statements: stateMachineStatements(this, {
        arns: this.arns,
        endpoint,
        pipelineFunction: this.pipelineFunction,
        topic: this.topic,
        topicKey: this.topicKey,
        passedRoles: [this.roles.trainingRole, this.roles.exportRole, endpoint.role],
      }),
    });

    const definition = trainingDefinition(new Construct(this, 'Definition'), {
      pipelineFunction: this.pipelineFunction,
      topic: this.topic,
      imageUri: endpoint.image.imageUri,
      trainingRole: this.roles.trainingRole,
      exportRole: this.roles.exportRole,
      modelRole: endpoint.role,
      exportEnvironment: {
        [exportEnv.lakeUri]: lakeUriOf(props.dataLake),
        [exportEnv.featureTableName]: props.featureStore.table.tableName,
        [exportEnv.erasureHashKeySecretArn]: props.erasureHashKey.secret.secretArn,
      },
      exportInstanceType,
      trainingInstanceType,
      endpoint: endpoint.deployment,
      resourceArns: {
        models: this.arns.prefixed('model'),
        endpointConfigs: this.arns.prefixed('endpoint-config'),
        endpoint: endpoint.endpointArn,
      },
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: `${serviceName}: export, train, gate and deploy a model (docs/training.md)`,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      // Its policy is the one above; grants the tasks would add are dropped.
      role: this.role.withoutPolicyUpdates(),
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
      // A backstop above every state's own limit; a run it ends leaves the lock to expire.
      timeout: Duration.seconds(training.exportMaxSeconds + training.trainingMaxSeconds + 2 * 3600 + DEPLOY_SECONDS),
    });
    (this.stateMachine.node.defaultChild as sfn.CfnStateMachine).node.addDependency(this.policy);
    this.acknowledgeStateMachinePolicy();

    if (schedule === 'off') {
      this.schedule = undefined;
      this.scheduleRole = undefined;
    } else {
      this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
        description: `Starts the ${serviceName} training pipeline on its schedule`,
      });
      this.schedule = new scheduler.Schedule(this, 'Schedule', {
        description: `Starts the ${serviceName} training pipeline`,
        schedule: scheduler.ScheduleExpression.expression(schedule),
        target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
          role: this.scheduleRole,
          input: scheduler.ScheduleTargetInput.fromObject(SCHEDULED_REQUEST),
        }),
      });
    }
  }

  /** ARN of the state machine (what `envVars.trainingStateMachineArn` carries). */
  public get stateMachineArn(): string {
    return this.stateMachine.stateMachineArn;
  }

  /**
   * Lets `fn` start runs of this state machine (`states:StartExecution` on it only) and tells it
   * the state machine through `envVars.trainingStateMachineArn`.
   */
  public grantStartExecution(fn: lambda.Function): void {
    fn.addEnvironment(envVars.trainingStateMachineArn, this.stateMachineArn);
    this.stateMachine.grantStartExecution(fn);
  }

  private acknowledgeStateMachinePolicy(): void {
    acknowledgePrefixedNames(this.policy, {
      namePrefix: this.namePrefix,
      kinds: ['model', 'endpoint-config', 'training-job', 'processing-job'],
    });
    Validations.of(this.policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "CloudWatch Logs' vended log delivery (the state machine's execution log) and X-Ray tracing support " +
        'no resource-level permissions; every other statement of this role names its resources.',
    });
    Validations.of(this.policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:application-autoscaling:<AWS::Region>:<AWS::AccountId>:scalable-target/*]',
      reason:
        this.props.modelEndpoint.deployment.mode === 'realtime'
          ? 'Scalable targets get generated ids when registered, so no ARN can name the variant in advance; ' +
            'conditions limit both actions to the SageMaker namespace and the variant instance-count dimension.'
          : 'Replacing a real-time endpoint deregisters its scalable target, whose id was generated when it was ' +
            'registered; conditions limit the action to the SageMaker namespace and the variant instance-count dimension.',
    });
    if (this.props.modelEndpoint.deployment.mode !== 'realtime') return;
    const endpointName = this.props.modelEndpoint.endpointName;
    Validations.of(this.policy).acknowledge({
      id:
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:' +
        `TargetTracking-endpoint/${endpointName}/variant/${VARIANT_NAME}-*]`,
      reason:
        "Application Auto Scaling names the target tracking policy's alarms after the variant plus a generated " +
        "suffix; the pattern admits only the alarms of this stack's endpoint variant.",
    });
  }
}
