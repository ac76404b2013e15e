import { type CfnElement, Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { dataLake, lambdaDefaults, serviceName } from '#shared/config/index.ts';
import { retentionDays } from '../retention.ts';
import type { Ingestion } from './ingestion.ts';

/**
 * Bucket-level actions of the delivery role: what Firehose's S3 destination documents, no more.
 * Granted on the data-lake bucket only.
 */
export const DELIVERY_BUCKET_ACTIONS = [
  's3:GetBucketLocation',
  's3:ListBucket',
  's3:ListBucketMultipartUploads',
] as const;

/**
 * Object-level actions of the delivery role (Firehose uploads large batches in parts, hence abort).
 * Granted on the `events/` and `errors/` prefixes of the data-lake bucket only; no delete.
 */
export const DELIVERY_OBJECT_ACTIONS = ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'] as const;

/** Key actions of the delivery role on the data-lake key, only when called through S3. */
export const DELIVERY_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;

/** Properties of a {@link DataLake}. */
export interface DataLakeProps {
  /**
   * The ingestion whose event stream is delivered to the lake. Firehose reads the stream as an
   * additional consumer (it does not take records away from the processor) and decrypts it with
   * {@link Ingestion.streamKey}.
   */
  readonly ingestion: Ingestion;
}

/**
 * Construct id of the stack-level mapping of Firehose's CIDR blocks per region that every
 * `DeliveryStream` adds for its `connections` (used only by VPC destinations such as Redshift).
 * The L2 names it `@aws-cdk/aws-kinesisfirehose.CidrBlocks`; construct ids turn `/` into `--`.
 */
const FIREHOSE_CIDR_MAPPING_ID = '@aws-cdk--aws-kinesisfirehose.CidrBlocks';

/** Firehose's partition expression for the UTC day a batch is delivered. */
const ARRIVAL_DAY = '!{timestamp:yyyy-MM-dd}';

/**
 * Raw storefront events land in S3 for training: an Amazon Data Firehose delivery stream reads
 * the event stream and writes gzipped JSON Lines objects (`*.jsonl.gz`, one event per line: the
 * producer writes one JSON event per record, Firehose appends the newline) to
 * `events/dt=<yyyy-MM-dd>/` of {@link DataLake.bucket}, the layout `local/dataLake.ts` imitates.
 *
 * Partitioning is by **arrival** date (UTC; Firehose takes the approximate arrival time of the
 * oldest record in each object, so an object written just after midnight can hold a few seconds
 * of the next day), not by the event's own time: events carry their own timestamp, and late or
 * replayed events land in the partition of the day they arrived. The ingest API accepts events up to
 * `apiLimits.maxEventAgeMs` old and `apiLimits.maxClockSkewFutureMs` ahead, so readers selecting
 * by event day D read partitions D-1 to D+8 (with the stream's and Firehose's delays) and filter
 * on the event timestamp.
 *
 * Records Firehose cannot deliver go to `errors/<error type>/dt=<yyyy-MM-dd>/`; its delivery
 * errors are logged to {@link DataLake.deliveryLogGroup}.
 *
 * Encryption: SSE-KMS with a customer-managed key ({@link DataLake.bucketKey}) and S3 Bucket
 * Keys. The lake keeps the same raw shopper activity as the (CMK-encrypted) stream, but for
 * 13 months instead of a day, so the same reasoning applies more strongly: a reader needs
 * `kms:Decrypt` from the key policy as well as `s3:GetObject`, CloudTrail records key use per
 * principal, and disabling the key makes the whole lake unreadable. A key of its own (not the
 * stream key) so that training jobs can decrypt the lake without being able to read the stream.
 * S3 Bucket Keys cut S3's KMS requests by up to 99 %, so the extra cost is mostly the monthly key
 * fee. Server access logs go to {@link DataLake.accessLogBucket}, which uses SSE-S3:
 * S3 cannot deliver access logs to an SSE-KMS bucket.
 *
 * Both buckets are retained when the stack is deleted (the CDK default for buckets).
 */
export class DataLake extends Construct {
  /** Customer-managed key (rotated yearly) encrypting the objects of {@link DataLake.bucket}. */
  public readonly bucketKey: kms.Key;

  /**
   * The raw-event bucket: SSE-KMS, TLS 1.2+ only, all public access blocked, ACLs disabled,
   * unversioned (a deleted object is gone), every object expires after `dataLake.retentionDays`.
   */
  public readonly bucket: s3.Bucket;

  /**
   * Receives the S3 server access logs of {@link DataLake.bucket} (SSE-S3), under `data-lake/`;
   * other buckets of the stack log here under their own prefix (`ModelArtifacts`: `model-artifacts/`).
   */
  public readonly accessLogBucket: s3.Bucket;

  /** Firehose's delivery error log. */
  public readonly deliveryLogGroup: logs.LogGroup;

  /**
   * Role Firehose assumes to write to S3 (the S3 destination's role): {@link DELIVERY_BUCKET_ACTIONS}
   * on the bucket, {@link DELIVERY_OBJECT_ACTIONS} under `events/` and `errors/`,
   * {@link DELIVERY_KEY_ACTIONS} on {@link DataLake.bucketKey} through S3, and `logs:PutLogEvents`
   * on {@link DataLake.deliveryLogGroup}. It cannot read the stream.
   */
  public readonly destinationRole: iam.Role;

  /** The only policy of {@link DataLake.destinationRole}. */
  public readonly destinationPolicy: iam.Policy;

  /**
   * Reads the event stream and writes to {@link DataLake.bucket}. Its own service role (the
   * source role, `grantPrincipal`) may only read the stream and decrypt it with the stream key.
   * Its `connections` are not usable: the CIDR mapping behind them is removed (see below).
   */
  public readonly deliveryStream: firehose.DeliveryStream;

  public constructor(scope: Construct, id: string, props: DataLakeProps) {
    super(scope, id);

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      // Server access log delivery supports only SSE-S3 on the target bucket.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'ExpireAccessLogs',
          expiration: Duration.days(dataLake.accessLogRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });

    this.bucketKey = new kms.Key(this, 'BucketKey', {
      description: `Encrypts the raw events of the ${serviceName} data lake`,
      enableKeyRotation: true,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.bucketKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Unversioned on purpose: objects are written once, and noncurrent versions would keep
      // personal data past the lifecycle expiry below.
      versioned: false,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'data-lake/',
      lifecycleRules: [
        {
          // No prefix: events and delivery errors are both raw shopper activity.
          id: 'ExpireRawEvents',
          expiration: Duration.days(dataLake.retentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });

    this.deliveryLogGroup = new logs.LogGroup(this, 'DeliveryLogs', {
      retention: retentionDays(lambdaDefaults.logRetentionDays),
    });

    // The S3 destination of the L2 would grant its role Bucket.grantReadWrite() (s3:DeleteObject*,
    // s3:GetObject*, s3:List*, ... on every key, kms:ReEncrypt* ...). Instead it gets an immutable
    // view of this role, so its grants are no-ops, and the role gets exactly what Firehose
    // documents for an S3 destination, through the policy below.
    this.destinationRole = new iam.Role(this, 'DestinationRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com'),
      description: `Lets the ${serviceName} data-lake delivery stream write to the data-lake bucket`,
    });
    const objectPrefixes = [dataLake.eventsPrefix, dataLake.errorsPrefix];
    this.destinationPolicy = new iam.Policy(this, 'DestinationPolicy', {
      roles: [this.destinationRole],
      statements: [
        new iam.PolicyStatement({ actions: [...DELIVERY_BUCKET_ACTIONS], resources: [this.bucket.bucketArn] }),
        new iam.PolicyStatement({
          actions: [...DELIVERY_OBJECT_ACTIONS],
          resources: objectPrefixes.map((prefix) => this.bucket.arnForObjects(`${prefix}*`)),
        }),
        new iam.PolicyStatement({
          actions: [...DELIVERY_KEY_ACTIONS],
          resources: [this.bucketKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.${Stack.of(this).urlSuffix}` },
          },
        }),
        // The L2 creates the log stream; Firehose only puts events into it.
        new iam.PolicyStatement({ actions: ['logs:PutLogEvents'], resources: [this.deliveryLogGroup.logGroupArn] }),
      ],
    });
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
    for (const prefix of objectPrefixes) {
      Validations.of(this.destinationPolicy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason:
          `Firehose names every object it writes under ${prefix} itself (date partition, stream name, ` +
          'timestamp and a random suffix), so the object ARN can only be a prefix pattern. The ' +
          'statement allows AbortMultipartUpload, GetObject and PutObject only (no delete, no ACL or ' +
          'tagging changes), only in this bucket and only under the prefixes Firehose writes to.',
      });
    }

    this.deliveryStream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      // The L2 creates the source role ("Service Role") and grants it Stream.grantRead(): kinesis
      // read actions on the stream and kms:Decrypt on the stream key. The delivery stream depends
      // on that grant, so it never starts reading without it.
      source: new firehose.KinesisStreamSource(props.ingestion.stream),
      destination: new firehose.S3Bucket(this.bucket, {
        role: this.destinationRole.withoutPolicyUpdates(),
        compression: firehose.Compression.GZIP,
        // Kinesis records are single JSON events without a trailing newline; without this
        // processor an object would be `{...}{...}`, which no JSON Lines reader accepts.
        processors: [new firehose.AppendDelimiterToRecordProcessor()],
        fileExtension: dataLake.objectExtension,
        dataOutputPrefix: `${dataLake.eventsPrefix}dt=${ARRIVAL_DAY}/`,
        errorOutputPrefix: `${dataLake.errorsPrefix}!{firehose:error-output-type}/dt=${ARRIVAL_DAY}/`,
        bufferingInterval: Duration.seconds(dataLake.bufferingIntervalSeconds),
        bufferingSize: Size.mebibytes(dataLake.bufferingSizeMiB),
        // Explicit, so objects are encrypted with the lake key even if the bucket default changes.
        encryptionKey: this.bucketKey,
        loggingConfig: new firehose.EnableLogging(this.deliveryLogGroup),
      }),
    });
    // The grants the L2 would have made dependencies are no-ops (immutable role): depend on the
    // real policy, so Firehose never starts delivering before it can write.
    (this.deliveryStream.node.defaultChild as firehose.CfnDeliveryStream).node.addDependency(this.destinationPolicy);
    // An S3 destination has no use for the CIDR mapping, and in this environment-agnostic stack
    // it is rendered although nothing references it (CloudFormation validation W7001). Nothing
    // in the stack reads `deliveryStream.connections`; a VPC destination would need it back.
    Stack.of(this).node.tryRemoveChild(FIREHOSE_CIDR_MAPPING_ID);

    Validations.of(this.deliveryStream).acknowledge({
      id: 'AwsSolutions-KDF1',
      reason:
        'The delivery stream reads a Kinesis data stream, and Firehose rejects server-side ' +
        'encryption of its own for that source type (the CDK throws ' +
        'ServerSideEncryptionNotSupportedWithKinesisSource). Records are encrypted at rest in the ' +
        'source stream with the customer-managed stream key, in transit over TLS, and in S3 with the ' +
        'data-lake key (SSE-KMS on the destination).',
    });
  }
}
