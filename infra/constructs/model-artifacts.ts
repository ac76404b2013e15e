import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ttls } from '#shared/config/index.ts';
import { pipelinePaths } from '#shared/training/pipeline.ts';

/** Properties of a {@link ModelArtifacts}. */
export interface ModelArtifactsProps {
  /** Bucket receiving the S3 server access logs of the artifact bucket (it must accept SSE-S3 logs). */
  readonly accessLogBucket: s3.IBucket;

  /**
   * Key prefix of the access logs in {@link ModelArtifactsProps.accessLogBucket}.
   * @default 'model-artifacts/'
   */
  readonly accessLogPrefix?: string;
}

/** Days a replaced or deleted artifact version is kept: as long as any other per-shopper data. */
export const NONCURRENT_VERSION_DAYS = ttls.userFeaturesSeconds / (24 * 60 * 60);

/** Days a training dataset (per-shopper interactions) is kept: as long as any other per-shopper data. */
export const DATASET_DAYS = NONCURRENT_VERSION_DAYS;

/**
 * The bucket of the training pipeline: the datasets its export writes (`datasets/<version>/`) and
 * the models its training jobs write (`models/<version>/.../model.tar.gz`, which SageMaker unpacks
 * to `/opt/ml/model`).
 *
 * Versioned, so the artifact an endpoint was created from stays retrievable after the key is
 * overwritten (a deployed model can be reproduced and rolled back to). Artifacts contain factor
 * vectors of pseudonymous shopper keys, so replaced versions expire after
 * {@link NONCURRENT_VERSION_DAYS} days like every other per-shopper record; current artifacts are
 * kept (the pipeline's clean-up retires versions beyond `training.keepVersions`). Datasets are
 * shoppers' interactions and expire after {@link DATASET_DAYS} days.
 *
 * SSE-S3, TLS 1.2+ only, all public access blocked, ACLs disabled, access logs to the given log
 * bucket, retained when the stack is deleted (the CDK default for buckets).
 */
export class ModelArtifacts extends Construct {
  public readonly bucket: s3.Bucket;

  public constructor(scope: Construct, id: string, props: ModelArtifactsProps) {
    super(scope, id);

    this.bucket = new s3.Bucket(this, 'Bucket', {
      // SSE-S3: SageMaker reads and writes with the pipeline's execution roles, whose prefix-scoped
      // S3 grants are the whole access path; a customer-managed key would add a key grant per
      // role without narrowing it further.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: props.accessLogPrefix ?? 'model-artifacts/',
      lifecycleRules: [
        {
          id: 'ExpireDatasets',
          prefix: pipelinePaths.datasets,
          expiration: Duration.days(DATASET_DAYS),
        },
        {
          id: 'ExpireReplacedArtifacts',
          noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
  }
}
