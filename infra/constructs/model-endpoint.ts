import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ArnFormat, type CfnElement, IgnoreMode, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { envVars, lambdaDefaults, serviceName, training } from '#shared/config/index.ts';
import { pipelinePaths } from '#shared/training/pipeline.ts';
import { repoRoot } from '../paths.ts';
import { retentionDays } from '../retention.ts';
import { SERVERLESS_LIMITS } from '../shape.ts';
import { checkInstanceType } from './sagemaker-instance-types.ts';

/**
 * Build context of the model image: the repository root, because the image bundles `shared/`
 * (`docker build -f model/Dockerfile .`, see model/README.md).
 */
export const DEFAULT_MODEL_IMAGE_DIRECTORY: string = repoRoot;

/**
 * The model image's Dockerfile, relative to the build context: one image that exports, trains
 * and serves (see model/README.md).
 */
export const DEFAULT_MODEL_DOCKERFILE = 'model/Dockerfile';

/** The image's platform: SageMaker trains and processes on x86 only, and the same image serves. */
export const MODEL_IMAGE_PLATFORM = ecrAssets.Platform.LINUX_AMD64;

/** The endpoint's only production variant. */
export const VARIANT_NAME = 'AllTraffic';

/** Action the recommend function is granted on the endpoint, and nothing else of SageMaker. */
export const INVOKE_ENDPOINT_ACTIONS = ['sagemaker:InvokeEndpoint'] as const;

/** Application Auto Scaling's service-linked role for SageMaker endpoint variants. */
export const SAGEMAKER_SCALING_SERVICE_LINKED_ROLE = 'AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint';

/** The scalable dimension of an endpoint variant's instance count. */
export const VARIANT_SCALABLE_DIMENSION = 'sagemaker:variant:DesiredInstanceCount';

/** Namespace of the per-instance metrics (CPU, memory, disk) SageMaker publishes with the role. */
const ENDPOINT_METRICS_NAMESPACE = '/aws/sagemaker/Endpoints';

/** Properties of a {@link ModelEndpoint}. */
export interface ModelEndpointProps {
  /** The bucket of trained models; the execution role may read its `models/` prefix only. */
  readonly artifactsBucket: s3.IBucket;

  /**
   * Build context of the container image (it must hold {@link ModelEndpointProps.imageFile}). Only
   * what `<imageFile>.dockerignore` lets through is staged, as BuildKit would send it.
   * @default DEFAULT_MODEL_IMAGE_DIRECTORY (the repository root)
   */
  readonly imageDirectory?: string;

  /**
   * Dockerfile, relative to {@link ModelEndpointProps.imageDirectory}.
   * @default DEFAULT_MODEL_DOCKERFILE (`model/Dockerfile`)
   */
  readonly imageFile?: string;

  /**
   * Instance type of the production variant; an x86 type (the image is `linux/amd64`).
   * @default training.endpointInstanceType
   */
  readonly instanceType?: string;

  /**
   * Instances at creation and lower bound of auto scaling.
   * @default 1
   */
  readonly minInstances?: number;

  /**
   * Upper bound of auto scaling.
   * @default 4
   */
  readonly maxInstances?: number;

  /**
   * Deploy the endpoint as SageMaker Serverless Inference with this memory and concurrency instead
   * of real-time instances: no instance type, no auto scaling, no network isolation (SageMaker
   * supports neither that nor a VPC for serverless endpoints).
   * @default - real-time instances ({@link ModelEndpointProps.instanceType} and bounds)
   */
  readonly serverless?: ServerlessSizing;

  /**
   * Whether the SageMaker models run network-isolated (real-time only).
   * @default - true for real-time, false for serverless
   */
  readonly networkIsolation?: boolean;

  /**
   * Target of `SageMakerVariantInvocationsPerInstance` (invocations per instance per **minute**) that
   * target tracking keeps the variant at. Set it to about half of what one instance sustains within
   * the model budget (`serving.modelBudgetMs`) in a load test.
   * @default 3000 (50 requests/s per instance)
   */
  readonly targetInvocationsPerInstance?: number;
}

/** Memory and concurrency of a serverless endpoint (`ProductionVariantServerlessConfig`). */
export interface ServerlessSizing {
  /** 1024 to 6144, in steps of 1024. */
  readonly memoryMb: number;
  /** 1 to 200. */
  readonly maxConcurrency: number;
}

/** What the pipeline deploys: real-time instances with auto scaling, or a serverless variant. */
export type EndpointDeployment =
  | ({ readonly mode: 'realtime'; readonly networkIsolation: boolean } & EndpointSizing)
  | ({ readonly mode: 'serverless' } & ServerlessSizing);

/** How the pipeline sizes and scales a real-time endpoint. */
export interface EndpointSizing {
  readonly instanceType: string;
  readonly minInstances: number;
  readonly maxInstances: number;
  readonly targetInvocationsPerInstance: number;
  readonly scaleOutCooldownSeconds: number;
  readonly scaleInCooldownSeconds: number;
}

/**
 * Patterns of BuildKit's per-Dockerfile ignore file (`<Dockerfile>.dockerignore`), which the CDK
 * does not read itself (it reads only `<context>/.dockerignore`); `undefined` without one.
 */
export function dockerfileIgnorePatterns(dockerfilePath: string): string[] | undefined {
  const ignoreFile = `${dockerfilePath}.dockerignore`;
  if (!existsSync(ignoreFile)) return undefined;
  return readFileSync(ignoreFile, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Throws unless SageMaker accepts `sizing` as a serverless variant's configuration. */
function checkServerless(sizing: ServerlessSizing, networkIsolation: boolean | undefined): void {
  const memory = SERVERLESS_LIMITS.memoryMb;
  const concurrency = SERVERLESS_LIMITS.maxConcurrency;
  if (
    !Number.isInteger(sizing.memoryMb) ||
    sizing.memoryMb < memory.min ||
    sizing.memoryMb > memory.max ||
    sizing.memoryMb % memory.step !== 0
  ) {
    throw new Error(`ModelEndpoint: serverless memoryMb must be 1024 to 6144 in steps of 1024, got ${sizing.memoryMb}`);
  }
  if (
    !Number.isInteger(sizing.maxConcurrency) ||
    sizing.maxConcurrency < concurrency.min ||
    sizing.maxConcurrency > concurrency.max
  ) {
    throw new Error(`ModelEndpoint: serverless maxConcurrency must be 1 to 200, got ${sizing.maxConcurrency}`);
  }
  if (networkIsolation === true) {
    throw new Error('ModelEndpoint: a serverless endpoint cannot be network-isolated (SageMaker does not support it)');
  }
}

/** Logical id of a bucket of this stack, as cdk-nag names it in findings (`<id.Arn>`). */
export function bucketLogicalId(bucket: s3.IBucket): string {
  return Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnElement);
}

const ROLE_WILDCARD_REASON =
  'Two actions of the SageMaker execution role support no resource-level permissions: ' +
  'ecr:GetAuthorizationToken (the registry login SageMaker does before pulling the image, which ' +
  'itself is limited to the CDK asset repository) and cloudwatch:PutMetricData (instance metrics), ' +
  'which is further limited to the /aws/sagemaker/Endpoints namespace by a condition.';

/**
 * What the stack keeps of the model endpoint. The endpoint itself, its endpoint configs and
 * SageMaker models belong to the training pipeline (`TrainingPipeline`), which creates and updates
 * them by name; no CloudFormation resource stands for them, so no deployment of the stack can roll
 * back or remove the model being served. This construct holds what they need from the stack:
 *
 * - **Image**: a `DockerImageAsset` of `model/Dockerfile` with the repository root as build context,
 *   filtered by `model/Dockerfile.dockerignore` (synth only stages the filtered context; `cdk deploy`
 *   builds and pushes it), for {@link MODEL_IMAGE_PLATFORM}; the pipeline runs it as the export
 *   (Processing), the training job and the endpoint's container. Building it on an ARM machine needs
 *   Docker buildx with QEMU.
 * - **Fixed endpoint name** ({@link ModelEndpoint.endpointName}), so the recommend function, the
 *   pipeline, the log group and the scaling target agree on it before the endpoint exists.
 * - **Execution role** of the SageMaker models the pipeline creates (real-time models are
 *   network-isolated: the container gets no credentials, SageMaker downloads image and artifact
 *   outside it; serverless ones cannot be, so their container holds these grants): `s3:GetObject` under
 *   `models/` of the artifacts bucket, pull from the CDK asset repository, write to the endpoint's log
 *   group and instance metrics in the `/aws/sagemaker/Endpoints` namespace.
 * - **Log group** `/aws/sagemaker/Endpoints/<name>` with the service's retention.
 * - **Deployment** ({@link ModelEndpoint.deployment}): real-time, with the instance type, bounds and
 *   target of the target tracking on `SageMakerVariantInvocationsPerInstance` the pipeline registers
 *   with Application Auto Scaling (its service-linked role {@link SAGEMAKER_SCALING_SERVICE_LINKED_ROLE};
 *   no IAM role in the stack); or serverless, with memory and maximum concurrency and no scaling.
 *
 * Callers get `sagemaker:InvokeEndpoint` on this endpoint only, with {@link ModelEndpoint.bindEndpoint}.
 */
export class ModelEndpoint extends Construct {
  public readonly image: ecrAssets.DockerImageAsset;
  public readonly role: iam.Role;

  /** Name of the endpoint (what `envVars.modelEndpointName` carries). */
  public readonly endpointName: string;

  /** ARN of the endpoint, known before it exists. */
  public readonly endpointArn: string;

  /** `/aws/sagemaker/Endpoints/<endpoint name>`, where SageMaker writes the container's output. */
  public readonly logGroup: logs.LogGroup;

  /** Mode and sizing of what the pipeline deploys. */
  public readonly deployment: EndpointDeployment;

  /** Instance sizing and scaling of a real-time endpoint; `undefined` for a serverless one. */
  public readonly sizing: EndpointSizing | undefined;

  /** Application Auto Scaling's id of the variant: `endpoint/<name>/variant/<VARIANT_NAME>`. */
  public readonly scalingResourceId: string;

  public constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id);

    if (props.serverless === undefined) {
      const sizing: EndpointSizing = {
        instanceType: props.instanceType ?? training.endpointInstanceType,
        minInstances: props.minInstances ?? 1,
        maxInstances: props.maxInstances ?? 4,
        targetInvocationsPerInstance: props.targetInvocationsPerInstance ?? 3000,
        scaleOutCooldownSeconds: 60,
        scaleInCooldownSeconds: 300,
      };
      const { minInstances, maxInstances } = sizing;
      if (!Number.isInteger(minInstances) || minInstances < 1 || maxInstances < minInstances) {
        throw new Error(`ModelEndpoint: need 1 <= minInstances <= maxInstances, got ${minInstances}..${maxInstances}`);
      }
      checkInstanceType({ setting: 'training.endpointInstanceType', value: sizing.instanceType, use: 'endpoint' });
      this.sizing = sizing;
      this.deployment = { mode: 'realtime', networkIsolation: props.networkIsolation ?? true, ...sizing };
    } else {
      checkServerless(props.serverless, props.networkIsolation);
      this.sizing = undefined;
      this.deployment = { mode: 'serverless', ...props.serverless };
    }
    const imageDirectory = props.imageDirectory ?? DEFAULT_MODEL_IMAGE_DIRECTORY;
    const imageFile = props.imageFile ?? DEFAULT_MODEL_DOCKERFILE;
    if (!existsSync(path.join(imageDirectory, imageFile))) {
      throw new Error(`ModelEndpoint: ${path.join(imageDirectory, imageFile)} does not exist`);
    }

    const stack = Stack.of(this);
    // Derived from the construct path only: the same name on every deployment of this stack.
    this.endpointName = Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).toLowerCase();
    this.endpointArn = stack.formatArn({
      service: 'sagemaker',
      resource: 'endpoint',
      resourceName: this.endpointName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.scalingResourceId = `endpoint/${this.endpointName}/variant/${VARIANT_NAME}`;

    const exclude = dockerfileIgnorePatterns(path.join(imageDirectory, imageFile));
    this.image = new ecrAssets.DockerImageAsset(this, 'Image', {
      directory: imageDirectory,
      file: imageFile,
      platform: MODEL_IMAGE_PLATFORM,
      // Without this the whole context (node_modules, cdk.out, .git) would be copied into cdk.out.
      ...(exclude === undefined ? {} : { exclude, ignoreMode: IgnoreMode.DOCKER }),
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/sagemaker/Endpoints/${this.endpointName}`,
      retention: retentionDays(lambdaDefaults.logRetentionDays),
      // A fixed name: a group retained after a stack deletion would block the next creation.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Execution role of the ${serviceName} model endpoint's SageMaker models`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.artifactsBucket.arnForObjects(`${pipelinePaths.models}*`)],
      }),
    );
    this.image.repository.grantPull(this.role);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // The group exists; SageMaker may still try to create it and must not fail on a denial.
        actions: ['logs:CreateLogGroup'],
        resources: [
          stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: this.logGroup.logGroupName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': ENDPOINT_METRICS_NAMESPACE } },
      }),
    );
    const rolePolicy = this.role.node.findChild('DefaultPolicy');
    Validations.of(rolePolicy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: ROLE_WILDCARD_REASON });
    Validations.of(rolePolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId(props.artifactsBucket)}.Arn>/${pipelinePaths.models}*]`,
      reason:
        `The pipeline names each model version's artifact under ${pipelinePaths.models} (a version ` +
        'folder and the job name SageMaker appends), and the endpoint is switched from one version to ' +
        'the next without a stack deployment, so the role may read that prefix: read only, no list.',
    });
  }

  /**
   * Tells `fn` the endpoint through `envVars.modelEndpointName` and grants it
   * {@link INVOKE_ENDPOINT_ACTIONS} on this endpoint only.
   */
  public bindEndpoint(fn: lambda.Function): void {
    fn.addEnvironment(envVars.modelEndpointName, this.endpointName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: [...INVOKE_ENDPOINT_ACTIONS], resources: [this.endpointArn] }),
    );
  }
}
