import { ArnFormat, CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { lambdaDefaults, serviceName } from '#shared/config/index.ts';
import { functionEntry } from '../paths.ts';
import { retentionDays } from '../retention.ts';
import type { ModelEndpoint } from './model-endpoint.ts';
import { RecoFunction } from './reco-function.ts';
import { VARIANT_SCALING_CONDITION } from './training-access.ts';
import type { TrainingPipeline } from './training-pipeline.ts';

/** Properties of a {@link PipelineTeardown}. */
export interface PipelineTeardownProps {
  readonly pipeline: TrainingPipeline;
  readonly modelEndpoint: ModelEndpoint;
}

/** SageMaker listings, which support no resource-level permissions. */
export const TEARDOWN_LIST_ACTIONS = [
  'sagemaker:ListTrainingJobs',
  'sagemaker:ListProcessingJobs',
  'sagemaker:ListEndpointConfigs',
  'sagemaker:ListModels',
] as const;

/**
 * What the training pipeline creates outside CloudFormation goes with the stack: a custom resource
 * whose handler (`functions/pipelineTeardown/`, through the CDK provider framework) does nothing on
 * create and update and, when the stack is deleted, stops the state machine's running executions,
 * stops the pipeline's running training and processing jobs, deletes the endpoint (which also
 * deregisters its auto scaling) and every endpoint config and model named with the pipeline's
 * prefix. CloudFormation deletes it after the schedule (no run starts behind it) and before the
 * state machine, the roles and the endpoint's construct, which it needs.
 *
 * Its logical id and physical id must never change: CloudFormation would delete the old resource in
 * an update, and with it the live endpoint.
 */
export class PipelineTeardown extends Construct {
  public readonly handler: RecoFunction;
  public readonly provider: cr.Provider;
  public readonly resource: CustomResource;

  public constructor(scope: Construct, id: string, props: PipelineTeardownProps) {
    super(scope, id);
    const { pipeline, modelEndpoint } = props;
    const stack = Stack.of(this);
    const arns = pipeline.arns;

    this.handler = new RecoFunction(this, 'Handler', {
      entry: functionEntry('pipelineTeardown'),
      description: `Stops and deletes what the ${serviceName} training pipeline created, when the stack is deleted`,
      timeout: Duration.minutes(5),
    });
    const fn = this.handler;
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [pipeline.stateMachineArn] }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:StopExecution'],
        resources: [
          stack.formatArn({
            service: 'states',
            resource: 'execution',
            resourceName: `${pipeline.stateMachine.stateMachineName}:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...TEARDOWN_LIST_ACTIONS], resources: ['*'] }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:StopTrainingJob'], resources: [arns.prefixed('training-job')] }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:StopProcessingJob'],
        resources: [arns.prefixed('processing-job')],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:DeleteEndpoint'], resources: [modelEndpoint.endpointArn] }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:DeleteEndpointConfig'],
        resources: [arns.prefixed('endpoint-config')],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:DeleteModel'], resources: [arns.prefixed('model')] }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['application-autoscaling:DeregisterScalableTarget'],
        resources: [arns.scalableTargets()],
        conditions: VARIANT_SCALING_CONDITION,
      }),
    );
    this.acknowledgeHandler(fn, pipeline);

    // The framework function gets a role and log group of its own instead of the AWS managed
    // AWSLambdaBasicExecutionRole policy and a log group without retention.
    const frameworkRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the CDK provider framework of the ${serviceName} training pipeline teardown`,
    });
    const frameworkLogs = new logs.LogGroup(this, 'ProviderLogs', {
      retention: retentionDays(lambdaDefaults.logRetentionDays),
    });
    frameworkLogs.grantWrite(frameworkRole);
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: fn,
      frameworkOnEventRole: frameworkRole,
      logGroup: frameworkLogs,
    });
    this.acknowledgeProvider(frameworkRole, fn);

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::TrainingPipelineTeardown',
      properties: {
        StateMachineArn: pipeline.stateMachineArn,
        NamePrefix: pipeline.namePrefix,
        EndpointName: modelEndpoint.endpointName,
      },
    });
    // Deleted before what it needs (state machine, roles, function, endpoint's role) and after the
    // schedule, which could otherwise start a run once the teardown is done.
    this.resource.node.addDependency(
      pipeline.stateMachine,
      pipeline.policy,
      pipeline.roles,
      pipeline.pipelineFunction,
      modelEndpoint,
    );
    pipeline.schedule?.node.addDependency(this.resource);
  }

  private acknowledgeHandler(fn: RecoFunction, pipeline: TrainingPipeline): void {
    const policy = fn.executionRole.node.findChild('DefaultPolicy');
    const namePrefix = pipeline.namePrefix;
    const stateMachineId = Stack.of(this).getLogicalId(pipeline.stateMachine.node.defaultChild as sfn.CfnStateMachine);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${stateMachineId}.Name>:*]`,
      reason:
        "Execution ARNs carry the execution's name, chosen when a run starts; the pattern admits only the " +
        "executions of the pipeline's own state machine, which the teardown stops.",
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:application-autoscaling:<AWS::Region>:<AWS::AccountId>:scalable-target/*]',
      reason:
        "DeleteEndpoint deregisters the variant's scalable target when the caller may; scalable targets have " +
        'generated ids, and conditions limit the action to the SageMaker variant instance-count dimension.',
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Besides X-Ray, the SageMaker List actions (ListTrainingJobs, ListProcessingJobs, ' +
        'ListEndpointConfigs, ListModels) support no resource-level permissions; the handler acts only ' +
        "on the listed names that start with the pipeline's prefix, which the other statements enforce.",
    });
    for (const kind of ['training-job', 'processing-job', 'endpoint-config', 'model']) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:${kind}/${namePrefix}-*]`,
        reason:
          `The pipeline names its SageMaker ${kind}s at run time; the teardown may stop or delete only ` +
          "those whose names start with this stack's prefix.",
      });
    }
  }

  private acknowledgeProvider(frameworkRole: iam.Role, fn: lambda.Function): void {
    const policy = frameworkRole.node.tryFindChild('DefaultPolicy');
    const fnId = Stack.of(this).getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
    if (policy !== undefined) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${fnId}.Arn>:*]`,
        reason:
          'The CDK provider framework grants itself lambda:InvokeFunction on the handler and its versions ' +
          '(<arn>:*); it invokes only the teardown handler.',
      });
    }
  }
}
