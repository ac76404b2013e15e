import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import {
  type ModelEndpoint,
  SAGEMAKER_SCALING_SERVICE_LINKED_ROLE,
  VARIANT_NAME,
  VARIANT_SCALABLE_DIMENSION,
} from './model-endpoint.ts';

/** The SageMaker resource kinds the pipeline names with its prefix. */
export type PrefixedKind = 'model' | 'endpoint-config' | 'training-job' | 'processing-job';

/** ARNs of what the pipeline creates in SageMaker, every one named with the stack's prefix. */
export class PipelineArns {
  public constructor(
    private readonly scope: Construct,
    /** The prefix of every name the pipeline gives (the guard plans names as `<prefix>-<version>...`). */
    public readonly namePrefix: string,
  ) {}

  /** `arn:...:sagemaker:<region>:<account>:<kind>/<prefix>-*`. */
  public prefixed(kind: PrefixedKind): string {
    return Stack.of(this.scope).formatArn({
      service: 'sagemaker',
      resource: kind,
      resourceName: `${this.namePrefix}-*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /** Application Auto Scaling's scalable targets of this account and region (their ids are generated). */
  public scalableTargets(): string {
    return Stack.of(this.scope).formatArn({
      service: 'application-autoscaling',
      resource: 'scalable-target',
      resourceName: '*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }
}

/** The condition that narrows scaling actions to SageMaker variants' instance counts. */
export const VARIANT_SCALING_CONDITION = {
  StringEquals: {
    'application-autoscaling:service-namespace': 'sagemaker',
    'application-autoscaling:scalable-dimension': VARIANT_SCALABLE_DIMENSION,
  },
} as const;

/**
 * Real-time: describe for the deployment loop, register and scale the variant (and what
 * Application Auto Scaling checks the caller for: the variant's capacity, its service-linked role,
 * the target tracking alarms).
 */
function realtimeScalingStatements(scope: Construct, access: StateMachineAccess): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const { arns, endpoint } = access;
  return [
    new iam.PolicyStatement({
      actions: ['sagemaker:DescribeEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities'],
      resources: [endpoint.endpointArn],
    }),
    new iam.PolicyStatement({
      actions: ['application-autoscaling:RegisterScalableTarget', 'application-autoscaling:PutScalingPolicy'],
      resources: [arns.scalableTargets()],
      conditions: VARIANT_SCALING_CONDITION,
    }),
    new iam.PolicyStatement({
      actions: ['iam:CreateServiceLinkedRole'],
      resources: [
        stack.formatArn({
          service: 'iam',
          region: '',
          resource: 'role',
          resourceName: `aws-service-role/sagemaker.application-autoscaling.amazonaws.com/${SAGEMAKER_SCALING_SERVICE_LINKED_ROLE}`,
        }),
      ],
      conditions: { StringEquals: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' } },
    }),
    // The target tracking policy's alarms, which Application Auto Scaling names after the variant.
    new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'],
      resources: [
        stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: `TargetTracking-endpoint/${endpoint.endpointName}/variant/${VARIANT_NAME}-*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    }),
  ];
}

/**
 * Serverless: describe (mode check and deployment loop) and delete the stack's endpoint, to replace
 * a real-time one; DeleteEndpoint deregisters the old variant's scalable target when the caller may.
 */
function serverlessReplacementStatements(scope: Construct, access: StateMachineAccess): iam.PolicyStatement[] {
  const { arns, endpoint } = access;
  return [
    new iam.PolicyStatement({
      actions: ['sagemaker:DescribeEndpoint', 'sagemaker:DeleteEndpoint'],
      resources: [endpoint.endpointArn],
    }),
    new iam.PolicyStatement({
      actions: ['application-autoscaling:DeregisterScalableTarget'],
      resources: [arns.scalableTargets()],
      conditions: VARIANT_SCALING_CONDITION,
    }),
  ];
}

/** The EventBridge rules Step Functions manages to learn that a SageMaker job it waits for has ended. */
const SYNC_RULES = [
  'StepFunctionsGetEventsForSageMakerTrainingJobsRule',
  'StepFunctionsGetEventsForSageMakerProcessingJobsRule',
] as const;

/** What the state machine's statements are about. */
export interface StateMachineAccess {
  readonly arns: PipelineArns;
  readonly endpoint: ModelEndpoint;
  readonly pipelineFunction: lambda.IFunction;
  readonly topic: sns.ITopic;
  readonly topicKey: kms.IKey;
  /** The roles the state machine hands to SageMaker: training, export and the endpoint's models. */
  readonly passedRoles: readonly iam.IRole[];
}

/**
 * Every statement of the state machine's role, written out instead of collected from the tasks (the
 * L2 tasks grant `training-job/*` for a name taken from the input, and the processing job has no
 * task): invoke the pipeline function; start, watch and stop only jobs named with the prefix (and
 * the EventBridge rules `.sync` uses); create only prefixed models and endpoint configs; create,
 * update and describe only the stack's endpoint; hand SageMaker only the pipeline's roles; real-time:
 * scale only SageMaker variants; serverless: delete the stack's endpoint (to replace a real-time
 * one) and deregister its scaling; publish only to the pipeline's topic; and deliver its own logs
 * and traces.
 */
export function stateMachineStatements(scope: Construct, access: StateMachineAccess): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const { arns, endpoint } = access;
  const endpointConfigs = arns.prefixed('endpoint-config');
  return [
    new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [access.pipelineFunction.functionArn] }),
    new iam.PolicyStatement({
      actions: [
        'sagemaker:CreateProcessingJob',
        'sagemaker:DescribeProcessingJob',
        'sagemaker:StopProcessingJob',
        'sagemaker:CreateTrainingJob',
        'sagemaker:DescribeTrainingJob',
        'sagemaker:StopTrainingJob',
        'sagemaker:ListTags',
      ],
      resources: [arns.prefixed('processing-job'), arns.prefixed('training-job')],
    }),
    new iam.PolicyStatement({
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: SYNC_RULES.map((rule) => stack.formatArn({ service: 'events', resource: 'rule', resourceName: rule })),
    }),
    new iam.PolicyStatement({ actions: ['sagemaker:CreateModel'], resources: [arns.prefixed('model')] }),
    new iam.PolicyStatement({
      actions: ['sagemaker:CreateEndpointConfig', 'sagemaker:DescribeEndpointConfig'],
      resources: [endpointConfigs],
    }),
    new iam.PolicyStatement({
      actions: ['sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint'],
      resources: [endpoint.endpointArn, endpointConfigs],
    }),
    new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: access.passedRoles.map((role) => role.roleArn),
      conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    }),
    ...(endpoint.deployment.mode === 'realtime'
      ? realtimeScalingStatements(scope, access)
      : serverlessReplacementStatements(scope, access)),
    new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [access.topic.topicArn] }),
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [access.topicKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sns.${stack.region}.${stack.urlSuffix}` } },
    }),
    // CloudWatch Logs vended delivery and X-Ray: neither supports resource-level permissions.
    new iam.PolicyStatement({
      actions: [
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      actions: [
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
      ],
      resources: ['*'],
    }),
  ];
}
