import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct, IConstruct } from 'constructs';
import { dataLake } from '#shared/config/index.ts';
import { pipelinePaths } from '#shared/training/pipeline.ts';
import { pipelineFunctionEnv } from '#shared/training/pipelineEnv.ts';
import { functionEntry } from '../paths.ts';
import type { DataLake } from './data-lake.ts';
import type { ModelArtifacts } from './model-artifacts.ts';
import { bucketLogicalId, type ModelEndpoint } from './model-endpoint.ts';
import type { ModelRegistry } from './model-registry.ts';
import { RecoFunction } from './reco-function.ts';
import type { PipelineArns } from './training-access.ts';

/** SageMaker listings clean-up makes, which support no resource-level permissions. */
export const CLEAN_UP_LIST_ACTIONS = ['sagemaker:ListModels', 'sagemaker:ListEndpointConfigs'] as const;

/** Longest a pipeline function step may take (the guard counts a window of lake objects, clean-up deletes). */
const PIPELINE_FUNCTION_TIMEOUT = Duration.minutes(5);

/** What the pipeline function works on. */
export interface PipelineFunctionOptions {
  readonly dataLake: DataLake;
  readonly modelArtifacts: ModelArtifacts;
  readonly registry: ModelRegistry;
  readonly modelEndpoint: ModelEndpoint;
  readonly namePrefix: string;
  readonly arns: PipelineArns;
}

/** `s3://<lake bucket>/events/`: where the guard counts new data and the export reads it. */
export const lakeUriOf = (lake: DataLake): string => `s3://${lake.bucket.bucketName}/${dataLake.eventsPrefix}`;

/**
 * The pipeline function (`functions/pipeline/`, the guard, gate, record and clean-up steps) in
 * `scope`, with the environment of `pipelineFunctionEnv` and what its steps call: the registry
 * (read/write); `DescribeEndpoint` on the endpoint; `ListBucket` on the lake's `events/` only (the
 * guard counts new objects, reading none); and for clean-up the SageMaker listings,
 * `DeleteModel` / `DeleteEndpointConfig` on prefixed names, and list and `DeleteObject` under
 * `datasets/` and `models/` of the artifacts bucket. No S3 read or write, no secret, no job.
 */
export function createPipelineFunction(scope: Construct, options: PipelineFunctionOptions): RecoFunction {
  const artifacts = options.modelArtifacts.bucket;
  const fn = new RecoFunction(scope, 'PipelineFunction', {
    entry: functionEntry('pipeline'),
    description: 'Training pipeline steps: guard, gate, record and clean-up',
    timeout: PIPELINE_FUNCTION_TIMEOUT,
    // The registry's name comes with its grant.
    environment: {
      [pipelineFunctionEnv.artifactsBucket]: artifacts.bucketName,
      [pipelineFunctionEnv.lakeUri]: lakeUriOf(options.dataLake),
      [pipelineFunctionEnv.endpointName]: options.modelEndpoint.endpointName,
      [pipelineFunctionEnv.namePrefix]: options.namePrefix,
    },
  });
  options.registry.grantReadWrite(fn);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['sagemaker:DescribeEndpoint'],
      resources: [options.modelEndpoint.endpointArn],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [options.dataLake.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${dataLake.eventsPrefix}*`] } },
    }),
  );
  // Clean-up finds a version's models and configs by name (`NameContains`), then deletes them.
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...CLEAN_UP_LIST_ACTIONS], resources: ['*'] }));
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['sagemaker:DeleteModel', 'sagemaker:DeleteEndpointConfig'],
      resources: [options.arns.prefixed('model'), options.arns.prefixed('endpoint-config')],
    }),
  );
  const versionPrefixes = [pipelinePaths.datasets, pipelinePaths.models];
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [artifacts.bucketArn],
      conditions: { StringLike: { 's3:prefix': versionPrefixes.map((prefix) => `${prefix}*`) } },
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:DeleteObject'],
      resources: versionPrefixes.map((prefix) => artifacts.arnForObjects(`${prefix}*`)),
    }),
  );
  const policy = fn.executionRole.node.findChild('DefaultPolicy');
  for (const prefix of versionPrefixes) {
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId(artifacts)}.Arn>/${prefix}*]`,
      reason:
        `Clean-up deletes the objects of versions beyond training.keepVersions under ${prefix}<version>/, ` +
        'versions named at run time. Delete only, under that prefix only (the bucket keeps replaced ' +
        'versions for the per-shopper retention).',
    });
  }
  Validations.of(policy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Besides X-Ray, SageMaker ListModels and ListEndpointConfigs support no resource-level permissions; ' +
      "clean-up deletes only the listed names that start with the pipeline's prefix, which the delete " +
      'statement enforces.',
  });
  acknowledgePrefixedNames(policy, { namePrefix: options.namePrefix, kinds: ['model', 'endpoint-config'] });
  return fn;
}

/** Acknowledges cdk-nag's finding on SageMaker ARNs of `kinds` named `<prefix>-*`. */
export function acknowledgePrefixedNames(
  policy: IConstruct,
  { namePrefix, kinds }: { namePrefix: string; kinds: readonly string[] },
): void {
  for (const kind of kinds) {
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:${kind}/${namePrefix}-*]`,
      reason:
        `The pipeline names a new SageMaker ${kind} for every model version at run time; the pattern ` +
        "admits only names that start with this stack's prefix, never another stack's resources.",
    });
  }
}
