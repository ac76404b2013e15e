import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { DATASET_DAYS, ModelArtifacts, NONCURRENT_VERSION_DAYS } from '#infra/constructs/model-artifacts.ts';
import { logicalIdOf, newTestStack } from './helpers.ts';

function synthArtifacts() {
  const stack = newTestStack();
  const accessLogBucket = new s3.Bucket(stack, 'AccessLogs', { encryption: s3.BucketEncryption.S3_MANAGED });
  const artifacts = new ModelArtifacts(stack, 'ModelArtifacts', { accessLogBucket });
  return { stack, accessLogBucket, artifacts, template: Template.fromStack(stack) };
}

describe('Construct: ModelArtifacts', () => {
  it('keeps versions, encrypts, blocks public access and logs access to the given bucket', () => {
    // Act
    const { artifacts, accessLogBucket, template } = synthArtifacts();

    // Assess
    const bucket = template.findResources('AWS::S3::Bucket')[logicalIdOf(artifacts.bucket)];
    expect(bucket?.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: logicalIdOf(accessLogBucket) },
        LogFilePrefix: 'model-artifacts/',
      },
    });
    expect(bucket?.DeletionPolicy).toBe('Retain');
  });

  it('denies requests without TLS 1.2', () => {
    const { artifacts, template } = synthArtifacts();

    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalIdOf(artifacts.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });

  it('expires datasets and replaced artifact versions after the per-shopper retention, keeping current models', () => {
    const { artifacts, template } = synthArtifacts();

    expect(NONCURRENT_VERSION_DAYS).toBe(90);
    expect(DATASET_DAYS).toBe(90);
    const bucket = template.findResources('AWS::S3::Bucket')[logicalIdOf(artifacts.bucket)];
    const rules = bucket?.Properties.LifecycleConfiguration.Rules as Record<string, unknown>[];
    expect(rules).toEqual([
      { Id: 'ExpireDatasets', Status: 'Enabled', Prefix: 'datasets/', ExpirationInDays: DATASET_DAYS },
      expect.objectContaining({
        Status: 'Enabled',
        NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_VERSION_DAYS },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      }),
    ]);
    expect(rules[1]).not.toHaveProperty('ExpirationInDays');
    expect(rules[1]).not.toHaveProperty('Prefix');
  });
});
