import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { envVars, training } from '#shared/config/index.ts';
import { pipelineStates as s } from '#shared/training/pipeline.ts';
import { type EndpointSizing, VARIANT_NAME, VARIANT_SCALABLE_DIMENSION } from './model-endpoint.ts';
import { ERROR_PATH, guardAt, type IntegrationKind } from './training-states.ts';

/** The error RecordFailure gets when the endpoint ends up not serving this run's config. */
export const ENDPOINT_DEPLOYMENT_FAILED = 'EndpointDeploymentFailed';

/** What the deployment states create and call. */
export interface DeployDeps {
  readonly imageUri: string;
  /** Execution role of the SageMaker models the endpoint serves. */
  readonly modelRole: iam.IRole;
  readonly endpoint: EndpointSizing;
  readonly resourceArns: { readonly models: string; readonly endpointConfigs: string; readonly endpoint: string };
  /** Adds the retries of `kind` and the Catch into the failure path. */
  readonly guarded: <S extends sfn.TaskStateBase>(state: S, kind: IntegrationKind) => S;
}

const sageMakerApi = (scope: Construct, stateName: string, props: Omit<tasks.CallAwsServiceProps, 'service'>) =>
  new tasks.CallAwsService(scope, stateName, { stateName, service: 'sagemaker', ...props });

/** The deployment: model, endpoint config, create or update, poll until in service, then scaling. */
export function deployStates(
  scope: Construct,
  deps: DeployDeps,
): { start: sfn.IChainable; inService: sfn.INextable; notServing: (failure: sfn.IChainable) => void } {
  const { guarded } = deps;
  const sizing = deps.endpoint;
  const createModel = guarded(
    sageMakerApi(scope, s.createModel, {
      action: 'createModel',
      parameters: {
        ModelName: guardAt('modelName'),
        ExecutionRoleArn: deps.modelRole.roleArn,
        PrimaryContainer: {
          Image: deps.imageUri,
          ModelDataUrl: guardAt('modelDataUrl'),
          Mode: 'SingleModel',
          // What the container's answers say they were ranked by.
          Environment: { [envVars.modelVersion]: guardAt('version') },
        },
        // The container makes no network calls and gets no credentials; SageMaker fetches image and artifact.
        EnableNetworkIsolation: true,
      },
      iamResources: [deps.resourceArns.models],
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'sageMakerApi',
  );
  const createEndpointConfig = guarded(
    sageMakerApi(scope, s.createEndpointConfig, {
      action: 'createEndpointConfig',
      parameters: {
        EndpointConfigName: guardAt('endpointConfigName'),
        ProductionVariants: [
          {
            VariantName: VARIANT_NAME,
            ModelName: guardAt('modelName'),
            InstanceType: sizing.instanceType,
            InitialInstanceCount: sizing.minInstances,
            InitialVariantWeight: 1,
          },
        ],
      },
      iamResources: [deps.resourceArns.endpointConfigs],
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'sageMakerApi',
  );
  const endpointExists = new sfn.Choice(scope, s.endpointExists, { stateName: s.endpointExists });
  const createEndpoint = guarded(
    sageMakerApi(scope, s.createEndpoint, {
      action: 'createEndpoint',
      parameters: { EndpointName: guardAt('endpointName'), EndpointConfigName: guardAt('endpointConfigName') },
      iamResources: [deps.resourceArns.endpoint, deps.resourceArns.endpointConfigs],
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'sageMakerApi',
  );
  const updateEndpoint = guarded(
    sageMakerApi(scope, s.updateEndpoint, {
      action: 'updateEndpoint',
      parameters: {
        EndpointName: guardAt('endpointName'),
        EndpointConfigName: guardAt('endpointConfigName'),
        // A new model keeps the instance count auto scaling has reached instead of dropping to the minimum.
        RetainAllVariantProperties: true,
      },
      iamResources: [deps.resourceArns.endpoint, deps.resourceArns.endpointConfigs],
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'sageMakerApi',
  );
  const waitForEndpoint = new sfn.Wait(scope, s.waitForEndpoint, {
    stateName: s.waitForEndpoint,
    time: sfn.WaitTime.duration(Duration.seconds(training.deployPollSeconds)),
  });
  // The status goes where RecordFailure reads its error, already worded as one: a Failed endpoint, or
  // an update SageMaker rolled back (in service, but with the previous config), takes the failure path.
  const describeEndpoint = guarded(
    sageMakerApi(scope, s.describeEndpoint, {
      action: 'describeEndpoint',
      parameters: { EndpointName: guardAt('endpointName') },
      iamResources: [deps.resourceArns.endpoint],
      resultSelector: {
        EndpointStatus: sfn.JsonPath.stringAt('$.EndpointStatus'),
        EndpointConfigName: sfn.JsonPath.stringAt('$.EndpointConfigName'),
        Error: ENDPOINT_DEPLOYMENT_FAILED,
        Cause: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$')),
      },
      resultPath: ERROR_PATH,
    }),
    'sageMakerApi',
  );
  const endpointStatus = new sfn.Choice(scope, s.endpointStatus, { stateName: s.endpointStatus });

  const resourceId = sfn.JsonPath.format(`endpoint/{}/variant/${VARIANT_NAME}`, guardAt('endpointName'));
  const scaling = {
    ServiceNamespace: 'sagemaker',
    ResourceId: resourceId,
    ScalableDimension: VARIANT_SCALABLE_DIMENSION,
  };
  const autoScaling = (stateName: string, action: string, parameters: Record<string, unknown>) =>
    guarded(
      new tasks.CallAwsService(scope, stateName, {
        stateName,
        service: 'applicationautoscaling',
        action,
        iamAction: `application-autoscaling:${action.charAt(0).toUpperCase()}${action.slice(1)}`,
        parameters: { ...scaling, ...parameters },
        // Scalable targets have generated ARNs; TrainingPipeline's policy narrows by namespace and dimension.
        iamResources: ['*'],
        resultPath: sfn.JsonPath.DISCARD,
      }),
      'autoScaling',
    );
  // No RoleARN: Application Auto Scaling uses (and creates on first use) its service-linked role.
  const registerScaling = autoScaling(s.registerScaling, 'registerScalableTarget', {
    MinCapacity: sizing.minInstances,
    MaxCapacity: sizing.maxInstances,
  });
  const putScalingPolicy = autoScaling(s.putScalingPolicy, 'putScalingPolicy', {
    PolicyName: 'InvocationsPerInstance',
    PolicyType: 'TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration: {
      TargetValue: sizing.targetInvocationsPerInstance,
      PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
      ScaleOutCooldown: sizing.scaleOutCooldownSeconds,
      ScaleInCooldown: sizing.scaleInCooldownSeconds,
    },
  });

  createModel.next(createEndpointConfig).next(endpointExists);
  endpointExists
    .when(sfn.Condition.booleanEquals('$.guard.endpointExists', true), updateEndpoint)
    .otherwise(createEndpoint);
  createEndpoint.next(waitForEndpoint);
  updateEndpoint.next(waitForEndpoint);
  waitForEndpoint.next(describeEndpoint).next(endpointStatus);
  const ours = sfn.Condition.stringEqualsJsonPath('$.error.EndpointConfigName', '$.guard.endpointConfigName');
  const status = (value: string) => sfn.Condition.stringEquals('$.error.EndpointStatus', value);
  registerScaling.next(putScalingPolicy);
  return {
    start: createModel,
    inService: putScalingPolicy,
    notServing: (failure) => {
      endpointStatus
        .when(sfn.Condition.and(status('InService'), ours), registerScaling)
        .when(sfn.Condition.or(status('InService'), status('Failed'), status('OutOfService')), failure)
        .otherwise(waitForEndpoint);
    },
  };
}
