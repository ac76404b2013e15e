import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ArnFormat, Duration, IgnoreMode, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { envVars, lambdaDefaults, serviceName } from '#shared/config/index.ts';
import { repoRoot } from '../paths.ts';
import { retentionDays } from '../retention.ts';

/**
 * Build context of the model image: the repository root, because the image bundles `shared/`
 * (`docker build -f model/Dockerfile .`, see model/README.md).
 */
export const DEFAULT_MODEL_IMAGE_DIRECTORY: string = repoRoot;

/**
 * The model image's Dockerfile, relative to the build context: one image that trains
 * (`train`) and serves (`serve` on 8080 with `/ping` and `/invocations`).
 */
export const DEFAULT_MODEL_DOCKERFILE = 'model/Dockerfile';

/** The endpoint's only production variant. */
export const VARIANT_NAME = 'AllTraffic';

/** Action the recommend function is granted on the endpoint, and nothing else of SageMaker. */
export const INVOKE_ENDPOINT_ACTIONS = ['sagemaker:InvokeEndpoint'] as const;

/** Application Auto Scaling's service-linked role for SageMaker endpoint variants. */
export const SAGEMAKER_SCALING_SERVICE_LINKED_ROLE = 'AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint';

/** Namespace of the per-instance metrics (CPU, memory, disk) SageMaker publishes with the role. */
const ENDPOINT_METRICS_NAMESPACE = '/aws/sagemaker/Endpoints';

/** Properties of a {@link ModelEndpoint}. */
export interface ModelEndpointProps {
  /** `s3://<bucket>/<key>` of the model artifact (`model.tar.gz`); the role may read this object only. */
  readonly modelDataUrl: string;

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
   * Instance type of the production variant. Graviton types (`ml.c7g.*`, `ml.m7g.*`, ...) get an
   * `linux/arm64` image, all others `linux/amd64` (see {@link imagePlatformFor}).
   * @default 'ml.c7g.large'
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
   * Target of `SageMakerVariantInvocationsPerInstance` (invocations per instance per **minute**) that
   * target tracking keeps the variant at. Set it to about half of what one instance sustains within
   * the model budget (`serving.modelBudgetMs`) in a load test.
   * @default 3000 (50 requests/s per instance)
   */
  readonly targetInvocationsPerInstance?: number;

  /**
   * Key encrypting the ML storage volumes of the instances.
   * @default - the volumes are encrypted with an AWS managed key
   */
  readonly volumeKey?: kms.IKey;
}

/** `linux/arm64` for Graviton instance families (`c7g`, `m6g`, `r7gd`, `c6gn` ...), otherwise `linux/amd64`. */
export function imagePlatformFor(instanceType: string): ecrAssets.Platform {
  return /^ml\.[a-z]+\d+g[a-z]*\./.test(instanceType) ? ecrAssets.Platform.LINUX_ARM64 : ecrAssets.Platform.LINUX_AMD64;
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

/** Bucket and key of an `s3://bucket/key` URL; throws on anything else (including IAM wildcards). */
export function parseS3Url(url: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/([^*?]+)$/.exec(url);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new Error(`Model data URL must look like s3://<bucket>/<key> (no wildcards), got "${url}"`);
  }
  return { bucket: match[1], key: match[2] };
}

const ROLE_WILDCARD_REASON =
  'Two actions of the SageMaker execution role support no resource-level permissions: ' +
  'ecr:GetAuthorizationToken (the registry login SageMaker does before pulling the image, which ' +
  'itself is limited to the CDK asset repository) and cloudwatch:PutMetricData (instance metrics), ' +
  'which is further limited to the /aws/sagemaker/Endpoints namespace by a condition.';

/**
 * The trained model behind a SageMaker real-time endpoint, built only when a model artifact is
 * configured (`ServingProps.model`); without it the recommend function gets no
 * `MODEL_ENDPOINT_NAME` and serves the popularity ranking.
 *
 * - **Image**: a `DockerImageAsset` of `model/Dockerfile` with the repository root as build context,
 *   filtered by `model/Dockerfile.dockerignore` (synth only stages the filtered context; `cdk deploy`
 *   builds and pushes it; the container's `serve` mode runs on the endpoint). Its platform follows the instance type: the
 *   default `ml.c7g.large` is Graviton, hence `linux/arm64` (like the Lambda functions), which gives
 *   the CPU-bound scoring of the recommender more throughput per dollar than x86 instances of the
 *   same size; building it on an x86 machine needs Docker buildx with QEMU.
 * - **Model** (`CfnModel`): the image plus the artifact at {@link ModelEndpointProps.modelDataUrl},
 *   with **network isolation**: the container can make no network calls at all and gets no AWS
 *   credentials; SageMaker downloads the image and the artifact outside it. The container only
 *   answers `/ping` and `/invocations` from `/opt/ml/model`. It is not attached to a VPC: with
 *   isolation a VPC would only carry SageMaker's own downloads and cost network-interface
 *   permissions on `*` plus S3/ECR endpoints (cdk-nag's SageMaker rules concern notebooks only).
 * - **Execution role**: `s3:GetObject` on the artifact object only, pull from the CDK asset
 *   repository, write to the endpoint's log group (created here with the service's log retention),
 *   and instance metrics in the `/aws/sagemaker/Endpoints` namespace.
 * - **Endpoint config and endpoint**: one production variant ({@link VARIANT_NAME}), instance type
 *   and volume key from the props. The endpoint has a fixed name (needed for its log group and the
 *   scaling target) and keeps its current instance count when a new model is deployed
 *   (`retainAllVariantProperties`); a new artifact URL replaces model and config, and SageMaker
 *   switches the endpoint over without downtime.
 * - **Auto scaling**: the variant's `DesiredInstanceCount` between min and max instances, target
 *   tracking on `SageMakerVariantInvocationsPerInstance`, with Application Auto Scaling's
 *   service-linked role ({@link SAGEMAKER_SCALING_SERVICE_LINKED_ROLE}; no IAM role in the stack).
 *
 * Callers get `sagemaker:InvokeEndpoint` on this endpoint only, with {@link ModelEndpoint.bindEndpoint}.
 */
export class ModelEndpoint extends Construct {
  public readonly image: ecrAssets.DockerImageAsset;
  public readonly role: iam.Role;
  public readonly model: sagemaker.CfnModel;
  public readonly endpointConfig: sagemaker.CfnEndpointConfig;
  public readonly endpoint: sagemaker.CfnEndpoint;

  /** Name of the endpoint (what `envVars.modelEndpointName` carries). */
  public readonly endpointName: string;

  /** `/aws/sagemaker/Endpoints/<endpoint name>`, where SageMaker writes the container's output. */
  public readonly logGroup: logs.LogGroup;

  public readonly scalableTarget: appscaling.ScalableTarget;

  public constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id);

    const instanceType = props.instanceType ?? 'ml.c7g.large';
    const minInstances = props.minInstances ?? 1;
    const maxInstances = props.maxInstances ?? 4;
    if (!Number.isInteger(minInstances) || minInstances < 1 || maxInstances < minInstances) {
      throw new Error(`ModelEndpoint: need 1 <= minInstances <= maxInstances, got ${minInstances}..${maxInstances}`);
    }
    const artifact = parseS3Url(props.modelDataUrl);
    const imageDirectory = props.imageDirectory ?? DEFAULT_MODEL_IMAGE_DIRECTORY;
    const imageFile = props.imageFile ?? DEFAULT_MODEL_DOCKERFILE;
    if (!existsSync(path.join(imageDirectory, imageFile))) {
      throw new Error(
        `ModelEndpoint: ${path.join(imageDirectory, imageFile)} does not exist; it is needed because a model ` +
          `artifact is configured (${props.modelDataUrl})`,
      );
    }

    const stack = Stack.of(this);
    this.endpointName = Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).toLowerCase();

    const exclude = dockerfileIgnorePatterns(path.join(imageDirectory, imageFile));
    this.image = new ecrAssets.DockerImageAsset(this, 'Image', {
      directory: imageDirectory,
      file: imageFile,
      platform: imagePlatformFor(instanceType),
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
      description: `Execution role of the ${serviceName} model endpoint`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [`arn:${stack.partition}:s3:::${artifact.bucket}/${artifact.key}`],
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

    this.model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: this.role.roleArn,
      primaryContainer: { image: this.image.imageUri, modelDataUrl: props.modelDataUrl, mode: 'SingleModel' },
      enableNetworkIsolation: true,
    });
    // SageMaker uses the role as soon as the endpoint is created from the model.
    this.model.node.addDependency(this.role);

    this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', {
      productionVariants: [
        {
          variantName: VARIANT_NAME,
          modelName: this.model.attrModelName,
          instanceType,
          initialInstanceCount: minInstances,
          initialVariantWeight: 1,
        },
      ],
      ...(props.volumeKey === undefined ? {} : { kmsKeyId: props.volumeKey.keyArn }),
    });

    this.endpoint = new sagemaker.CfnEndpoint(this, 'Endpoint', {
      endpointName: this.endpointName,
      endpointConfigName: this.endpointConfig.attrEndpointConfigName,
      // A new model keeps the instance count auto scaling has reached instead of dropping to min.
      retainAllVariantProperties: true,
    });
    this.endpoint.node.addDependency(this.logGroup);

    this.scalableTarget = new appscaling.ScalableTarget(this, 'ScalableTarget', {
      // Application Auto Scaling's service-linked role for SageMaker (created on first use when its
      // ARN is given), instead of the CDK default: a new role without the permissions it needs.
      role: iam.Role.fromRoleArn(
        this,
        'AutoScalingServiceLinkedRole',
        stack.formatArn({
          service: 'iam',
          region: '',
          resource: 'role',
          resourceName: `aws-service-role/sagemaker.application-autoscaling.amazonaws.com/${SAGEMAKER_SCALING_SERVICE_LINKED_ROLE}`,
        }),
        { mutable: false },
      ),
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      resourceId: `endpoint/${this.endpoint.attrEndpointName}/variant/${VARIANT_NAME}`,
      minCapacity: minInstances,
      maxCapacity: maxInstances,
    });
    this.scalableTarget.scaleToTrackMetric('InvocationsPerInstance', {
      predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
      targetValue: props.targetInvocationsPerInstance ?? 3000,
      scaleOutCooldown: Duration.minutes(1),
      scaleInCooldown: Duration.minutes(5),
    });
  }

  /** ARN of the endpoint (the `Ref` of `AWS::SageMaker::Endpoint`). */
  public get endpointArn(): string {
    return this.endpoint.ref;
  }

  /**
   * Tells `fn` the endpoint through `envVars.modelEndpointName` and grants it
   * {@link INVOKE_ENDPOINT_ACTIONS} on this endpoint only.
   */
  public bindEndpoint(fn: lambda.Function): void {
    fn.addEnvironment(envVars.modelEndpointName, this.endpoint.attrEndpointName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: [...INVOKE_ENDPOINT_ACTIONS], resources: [this.endpointArn] }),
    );
  }
}
