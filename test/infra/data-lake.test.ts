import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataLake, lambdaDefaults } from '#shared/config/index.ts';
import {
  DataLake,
  DELIVERY_BUCKET_ACTIONS,
  DELIVERY_KEY_ACTIONS,
  DELIVERY_OBJECT_ACTIONS,
} from '#infra/constructs/data-lake.ts';
import { FeatureStore } from '#infra/constructs/feature-store.ts';
import { Ingestion } from '#infra/constructs/ingestion.ts';
import {
  actionsOf,
  arnOf,
  logicalIdOf,
  newTestStack,
  refersTo,
  resourcesOf,
  statementsOfRole,
  newSecrets,
} from './helpers.ts';

const ONE_DAY = 1;

/** `<bucket ARN>/<suffix>` as synthesised by `bucket.arnForObjects()`. */
function objectArn(bucketId: string, suffix: string): unknown {
  return { 'Fn::Join': ['', [arnOf(bucketId), `/${suffix}`]] };
}

describe('Construct: DataLake', () => {
  let lake: DataLake;
  let template: Template;
  let ids: {
    bucket: string;
    logBucket: string;
    bucketKey: string;
    logGroup: string;
    stream: string;
    streamKey: string;
    sourceRole: string;
    destinationRole: string;
    destinationPolicy: string;
  };

  beforeAll(() => {
    // Prepare
    const stack = newTestStack();
    const ingestion = new Ingestion(stack, 'Ingestion', {
      featureStore: new FeatureStore(stack, 'FeatureStore'),
      ...newSecrets(stack),
    });

    // Act
    lake = new DataLake(stack, 'DataLake', { ingestion });
    template = Template.fromStack(stack);
    ids = {
      bucket: logicalIdOf(lake.bucket),
      logBucket: logicalIdOf(lake.accessLogBucket),
      bucketKey: logicalIdOf(lake.bucketKey),
      logGroup: logicalIdOf(lake.deliveryLogGroup),
      stream: logicalIdOf(ingestion.stream),
      streamKey: logicalIdOf(ingestion.streamKey),
      sourceRole: logicalIdOf(lake.deliveryStream.grantPrincipal as iam.Role),
      destinationRole: logicalIdOf(lake.destinationRole),
      destinationPolicy: logicalIdOf(lake.destinationPolicy),
    };
  });

  describe('bucket', () => {
    it('encrypts with its own rotating customer-managed key and S3 Bucket Keys', () => {
      expect(ids.bucketKey).not.toBe(ids.streamKey);
      template.hasResourceProperties('AWS::KMS::Key', {
        Description: Match.stringLikeRegexp('data lake'),
        EnableKeyRotation: true,
      });
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arnOf(ids.bucketKey) },
            },
          ],
        },
      });
    });

    it('blocks all public access, disables ACLs and stays unversioned', () => {
      for (const id of [ids.bucket, ids.logBucket]) {
        expect(template.findResources('AWS::S3::Bucket')[id]?.Properties).toMatchObject({
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        });
      }
      expect(template.findResources('AWS::S3::Bucket')[ids.bucket]?.Properties.VersioningConfiguration).toBeUndefined();
    });

    it('refuses plain HTTP and TLS below 1.2 on both buckets', () => {
      for (const id of [ids.bucket, ids.logBucket]) {
        template.hasResourceProperties('AWS::S3::BucketPolicy', {
          Bucket: { Ref: id },
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 's3:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
              Match.objectLike({
                Effect: 'Deny',
                Action: 's3:*',
                Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
              }),
            ]),
          },
        });
      }
    });

    it('expires every object after the configured retention', () => {
      expect(template.findResources('AWS::S3::Bucket')[ids.bucket]?.Properties.LifecycleConfiguration).toEqual({
        Rules: [
          {
            Id: 'ExpireRawEvents',
            Status: 'Enabled',
            ExpirationInDays: dataLake.retentionDays,
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: ONE_DAY },
          },
        ],
      });
    });

    it('sends server access logs to an SSE-S3 log bucket that expires them', () => {
      template.resourceCountIs('AWS::S3::Bucket', 2);
      template.hasResourceProperties('AWS::S3::Bucket', {
        LoggingConfiguration: { DestinationBucketName: { Ref: ids.logBucket }, LogFilePrefix: Match.anyValue() },
      });
      expect(template.findResources('AWS::S3::Bucket')[ids.logBucket]?.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'ExpireAccessLogs',
              Status: 'Enabled',
              ExpirationInDays: dataLake.accessLogRetentionDays,
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: ONE_DAY },
            },
          ],
        },
      });
    });
  });

  describe('delivery stream', () => {
    it('reads the event stream and writes gzipped JSON Lines under the date-partitioned prefixes', () => {
      template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
      template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: { KinesisStreamARN: arnOf(ids.stream), RoleARN: arnOf(ids.sourceRole) },
        ExtendedS3DestinationConfiguration: Match.objectLike({
          BucketARN: arnOf(ids.bucket),
          RoleARN: arnOf(ids.destinationRole),
          CompressionFormat: 'GZIP',
          // One event per line, in the files the training export reads (`*.jsonl.gz`).
          ProcessingConfiguration: {
            Enabled: true,
            Processors: [Match.objectLike({ Type: 'AppendDelimiterToRecord' })],
          },
          FileExtension: '.jsonl.gz',
          Prefix: 'events/dt=!{timestamp:yyyy-MM-dd}/',
          ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
          BufferingHints: {
            IntervalInSeconds: dataLake.bufferingIntervalSeconds,
            SizeInMBs: dataLake.bufferingSizeMiB,
          },
          EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: arnOf(ids.bucketKey) } },
          CloudWatchLoggingOptions: Match.objectLike({ Enabled: true, LogGroupName: { Ref: ids.logGroup } }),
        }),
        // Firehose cannot encrypt a Kinesis-sourced stream itself; the source stream is encrypted.
        DeliveryStreamEncryptionConfigurationInput: Match.absent(),
      });
    });

    it('keeps the configured buffering within Firehose limits', () => {
      expect(dataLake.bufferingIntervalSeconds).toBeGreaterThanOrEqual(0);
      expect(dataLake.bufferingIntervalSeconds).toBeLessThanOrEqual(900);
      expect(dataLake.bufferingSizeMiB).toBeGreaterThanOrEqual(1);
      expect(dataLake.bufferingSizeMiB).toBeLessThanOrEqual(128);
    });

    it('leaves no unreferenced mapping in the template (CloudFormation validation W7001)', () => {
      expect(template.toJSON().Mappings).toBeUndefined();
    });

    it('logs delivery errors with the service log retention', () => {
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: lambdaDefaults.logRetentionDays });
    });

    it('is created only after both roles have their permissions', () => {
      const [stream] = Object.values(template.findResources('AWS::KinesisFirehose::DeliveryStream'));
      const sourcePolicies = Object.entries(template.findResources('AWS::IAM::Policy'))
        .filter(([, policy]) => refersTo(policy.Properties.Roles, ids.sourceRole))
        .map(([id]) => id);
      expect(sourcePolicies).toHaveLength(1);
      expect(stream?.DependsOn).toEqual(expect.arrayContaining([ids.destinationPolicy, ...sourcePolicies]));
    });
  });

  describe('IAM', () => {
    it('lets only Firehose assume the two roles', () => {
      for (const id of [ids.sourceRole, ids.destinationRole]) {
        expect(template.findResources('AWS::IAM::Role')[id]?.Properties).toMatchObject({
          AssumeRolePolicyDocument: {
            Statement: [
              { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'firehose.amazonaws.com' } },
            ],
          },
        });
        expect(template.findResources('AWS::IAM::Role')[id]?.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });

    it('lets the source role read the stream and decrypt it with the stream key, and nothing else', () => {
      // Act
      const statements = statementsOfRole(template, ids.sourceRole);

      // Assess
      const onStream = statements.filter((s) => resourcesOf(s).every((r) => refersTo(r, ids.stream)));
      const onStreamKey = statements.filter((s) => resourcesOf(s).every((r) => refersTo(r, ids.streamKey)));
      expect(onStream.length + onStreamKey.length).toBe(statements.length);
      expect(onStream.flatMap(actionsOf)).toEqual(
        expect.arrayContaining(['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:DescribeStream']),
      );
      expect(onStream.flatMap(actionsOf).every((action) => action.startsWith('kinesis:'))).toBe(true);
      expect(onStream.flatMap(actionsOf)).not.toContain('kinesis:PutRecords');
      expect(onStreamKey.flatMap(actionsOf)).toEqual(['kms:Decrypt']);
    });

    it('lets the destination role write only under the lake prefixes, with no delete and no stream access', () => {
      // Act
      const statements = statementsOfRole(template, ids.destinationRole);

      // Assess
      expect(statements).toEqual([
        { Effect: 'Allow', Action: [...DELIVERY_BUCKET_ACTIONS], Resource: arnOf(ids.bucket) },
        {
          Effect: 'Allow',
          Action: [...DELIVERY_OBJECT_ACTIONS],
          Resource: [
            objectArn(ids.bucket, `${dataLake.errorsPrefix}*`),
            objectArn(ids.bucket, `${dataLake.eventsPrefix}*`),
          ],
        },
        {
          Effect: 'Allow',
          Action: [...DELIVERY_KEY_ACTIONS],
          Resource: arnOf(ids.bucketKey),
          Condition: {
            StringEquals: {
              'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] },
            },
          },
        },
        { Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: arnOf(ids.logGroup) },
      ]);
      const actions = statements.flatMap(actionsOf);
      expect(actions.filter((action) => action.startsWith('kinesis:') || action.includes('Delete'))).toEqual([]);
      expect(actions.some((action) => action.includes('*'))).toBe(false);
    });

    it('changes no key policy: both keys grant through IAM policies only', () => {
      for (const id of [ids.bucketKey, ids.streamKey]) {
        const keyPolicy = JSON.stringify(template.findResources('AWS::KMS::Key')[id]?.Properties.KeyPolicy);
        expect(keyPolicy).not.toContain('firehose');
        expect(keyPolicy).not.toContain(ids.sourceRole);
        expect(keyPolicy).not.toContain(ids.destinationRole);
      }
    });
  });
});
