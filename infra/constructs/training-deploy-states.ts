import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { envVars, training } from '#shared/config/index.ts';
import { pipelineStates as s } from '#shared/training/pipeline.ts';
import { type EndpointDeployment, VARIANT_NAME, VARIANT_SCALABLE_DIMENSION } from './model-endpoint.ts';
import { ERROR_PATH, guardAt, type IntegrationKind } from './training-states.ts';

/** The error RecordFailure gets when the endpoint ends up not serving this run's config. */
export const ENDPOINT_DEPLOYMENT_FAILED = 'EndpointDeploymentFailed';

/**
 * States of the serverless definition only, mostly to replace a real-time endpoint, which
 * UpdateEndpoint cannot turn into a serverless one (SageMaker answers ValidationError). The
 * real-time definition needs none of them: UpdateEndpoint converts a serverless endpoint to
 * real-time in place.
 */
export const serverlessStates = {
  /** DescribeEndpoint before the update: is the endpoint serverless already? */
  checkEndpointMode: 'CheckEndpointMode',
  /** Choice on the description: serverless → UpdateEndpoint, real-time → DeleteEndpoint. */
  endpointMode: 'EndpointMode',
  /** DeleteEndpoint of the real-time endpoint (which also deregisters its auto scaling). */
  deleteEndpoint: 'DeleteEndpoint',
  /** CreateEndpoint under the same name, retried while SageMaker still deletes the old one. */
  recreateEndpoint: 'RecreateEndpoint',
  /** Pass: in service with this run's config, nothing to scale; on to RecordLive. */
  inService: 'ServerlessInService',
} as const;

/** Where CheckEndpointMode puts the endpoint's description, as JSON text. */
export const CURRENT_ENDPOINT_PATH = '$.currentEndpoint';

/** How long RecreateEndpoint keeps trying while the old endpoint is being deleted. */
export const RECREATE_ATTEMPTS = 40;

/** What the deployment states create and call. */
export interface DeployDeps {
  readonly imageUri: string;
  /** Execution role of the SageMaker models the endpoint serves. */
  readonly modelRole: iam.IRole;
  readonly endpoint: EndpointDeployment;
  readonly resourceArns: { readonly models: string; readonly endpointConfigs: string; readonly endpoint: string };
  /** Adds the retries of `kind` and the Catch into the failure path. */
  readonly guarded: <S extends sfn.TaskStateBase>(state: S, kind: IntegrationKind) => S;
}

const sageMakerApi = (scope: Construct, stateName: string, props: Omit<tasks.CallAwsServiceProps, 'service'>) =>
  new tasks.CallAwsService(scope, stateName, { stateName, service: 'sagemaker', ...props });

/**
 * The deployment: model, endpoint config, create or update, poll until in service, then scaling
 * (real-time). A serverless deployment checks the existing endpoint's mode first and replaces a
 * real-time one (delete, then create under the same name); it registers no scaling.
 */
export function deployStates(
  scope: Construct,
  deps: DeployDeps,
): { start: sfn.IChainable; inService: sfn.INextable; notServing: (failure: sfn.IChainable) => void } {
  const { guarded } = deps;
  const deployment = deps.endpoint;
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
        // Real-time: the container makes no network calls and gets no credentials; SageMaker fetches image and
        // artifact. Serverless endpoints support no network isolation.
        ...(deployment.mode === 'realtime' && deployment.networkIsolation ? { EnableNetworkIsolation: true } : {}),
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
          deployment.mode === 'realtime'
            ? {
                VariantName: VARIANT_NAME,
                ModelName: guardAt('modelName'),
                InstanceType: deployment.instanceType,
                InitialInstanceCount: deployment.minInstances,
                InitialVariantWeight: 1,
              }
            : {
                VariantName: VARIANT_NAME,
                ModelName: guardAt('modelName'),
                ServerlessConfig: { MemorySizeInMB: deployment.memoryMb, MaxConcurrency: deployment.maxConcurrency },
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
        ...(deployment.mode === 'realtime' ? { RetainAllVariantProperties: true } : {}),
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

  createModel.next(createEndpointConfig).next(endpointExists);
  createEndpoint.next(waitForEndpoint);
  updateEndpoint.next(waitForEndpoint);
  waitForEndpoint.next(describeEndpoint).next(endpointStatus);
  const ours = sfn.Condition.stringEqualsJsonPath('$.error.EndpointConfigName', '$.guard.endpointConfigName');
  const status = (value: string) => sfn.Condition.stringEquals('$.error.EndpointStatus', value);
  const exists = sfn.Condition.booleanEquals('$.guard.endpointExists', true);

  if (deployment.mode === 'realtime') {
    endpointExists.when(exists, updateEndpoint).otherwise(createEndpoint);
    const scaling = realtimeScaling(scope, deployment, guarded);
    return {
      start: createModel,
      inService: scaling.last,
      notServing: (failure) => {
        endpointStatus
          .when(sfn.Condition.and(status('InService'), ours), scaling.first)
          .when(sfn.Condition.or(status('InService'), status('Failed'), status('OutOfService')), failure)
          .otherwise(waitForEndpoint);
      },
    };
  }

  const replace = serverlessReplacement(scope, deps, { updateEndpoint, waitForEndpoint });
  endpointExists.when(exists, replace.start).otherwise(createEndpoint);
  // Nothing to scale: the in-service choice itself goes on to record the version live.
  const live = new sfn.Pass(scope, serverlessStates.inService, { stateName: serverlessStates.inService });
  return {
    start: createModel,
    inService: live,
    notServing: (failure) => {
      endpointStatus
        .when(sfn.Condition.and(status('InService'), ours), live)
        .when(sfn.Condition.or(status('InService'), status('Failed'), status('OutOfService')), failure)
        .otherwise(waitForEndpoint);
    },
  };
}

/** RegisterScaling → PutScalingPolicy: target tracking of a real-time variant's instance count. */
function realtimeScaling(
  scope: Construct,
  sizing: Extract<EndpointDeployment, { mode: 'realtime' }>,
  guarded: DeployDeps['guarded'],
): { first: sfn.State; last: sfn.State & sfn.INextable } {
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
  registerScaling.next(putScalingPolicy);
  return { first: registerScaling, last: putScalingPolicy };
}

/**
 * CheckEndpointMode → EndpointMode: a serverless endpoint is updated; a real-time one (what the
 * stack deployed before its shape became serverless) is deleted and created again under the same
 * name, as SageMaker cannot update a real-time endpoint to serverless. Until the new endpoint is in
 * service the recommend function answers with its fallback.
 */
function serverlessReplacement(
  scope: Construct,
  deps: DeployDeps,
  next: { readonly updateEndpoint: sfn.IChainable; readonly waitForEndpoint: sfn.IChainable },
): { start: sfn.IChainable } {
  const { guarded } = deps;
  const r = serverlessStates;
  const checkEndpointMode = guarded(
    sageMakerApi(scope, r.checkEndpointMode, {
      action: 'describeEndpoint',
      parameters: { EndpointName: guardAt('endpointName') },
      iamResources: [deps.resourceArns.endpoint],
      // The variants' shape differs by mode and status; the text is enough to tell serverless apart.
      resultSelector: { Description: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$')) },
      resultPath: CURRENT_ENDPOINT_PATH,
    }),
    'sageMakerApi',
  );
  const endpointMode = new sfn.Choice(scope, r.endpointMode, { stateName: r.endpointMode });
  const deleteEndpoint = guarded(
    sageMakerApi(scope, r.deleteEndpoint, {
      action: 'deleteEndpoint',
      parameters: { EndpointName: guardAt('endpointName') },
      iamResources: [deps.resourceArns.endpoint],
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'sageMakerApi',
  );
  const recreateEndpoint = sageMakerApi(scope, r.recreateEndpoint, {
    action: 'createEndpoint',
    parameters: { EndpointName: guardAt('endpointName'), EndpointConfigName: guardAt('endpointConfigName') },
    iamResources: [deps.resourceArns.endpoint, deps.resourceArns.endpointConfigs],
    resultPath: sfn.JsonPath.DISCARD,
  });
  // SageMaker refuses the name while the old endpoint is still deleting (a few minutes).
  recreateEndpoint.addRetry({
    errors: ['SageMaker.ValidationException'],
    interval: Duration.seconds(training.deployPollSeconds),
    maxAttempts: RECREATE_ATTEMPTS,
    backoffRate: 1,
  });
  guarded(recreateEndpoint, 'sageMakerApi');

  checkEndpointMode.next(endpointMode);
  endpointMode
    .when(
      sfn.Condition.stringMatches(`${CURRENT_ENDPOINT_PATH}.Description`, '*ServerlessConfig*'),
      next.updateEndpoint,
    )
    .otherwise(deleteEndpoint);
  deleteEndpoint.next(recreateEndpoint).next(next.waitForEndpoint);
  return { start: checkEndpointMode };
}
