import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { envVars, eventStream, serviceName, streamProcessing } from '#shared/config/index.ts';
import type { StreamShape } from '#shared/config/shapes.ts';
import { functionEntry } from '../paths.ts';
import type { ErasureHashKeySecret } from './erasure-hash-key.ts';
import type { FeatureStore } from './feature-store.ts';
import { RecoFunction } from './reco-function.ts';
import type { UserTokenKeysSecret } from './user-token-keys.ts';

/** Stream actions a producer needs; the ingest handler uses `PutRecords`. */
export const STREAM_PRODUCER_ACTIONS = ['kinesis:PutRecord', 'kinesis:PutRecords'] as const;

/** Properties of an {@link Ingestion}. */
export interface IngestionProps {
  /** The feature store the processor function reads and writes. */
  readonly featureStore: FeatureStore;

  /** The user-token signing keys the ingest function verifies storefront tokens with. */
  readonly userTokenKeys: UserTokenKeysSecret;

  /** The erasure log's hash key, with which the processor recognises erased shoppers. */
  readonly erasureHashKey: ErasureHashKeySecret;

  /**
   * The stream's capacity: on-demand (billed per stream-hour and per GB, scales by itself), or
   * provisioned with a fixed number of shards (billed per shard-hour; each takes 1 MB/s or 1,000
   * records/s of writes, beyond which the ingest function's puts are throttled).
   * @default { mode: 'on-demand' }
   */
  readonly stream?: StreamShape;
}

/**
 * The write path: storefront events enter through the ingest function, land in an encrypted
 * Kinesis stream (on-demand, or provisioned shards: {@link IngestionProps.stream}), and the processor function folds them into the feature store.
 *
 * Processor batches that keep failing (after bisecting, retries and the record-age limit of
 * `streamProcessing`) are described in {@link Ingestion.failureQueue}, where the processor also
 * parks records that can never succeed.
 */
export class Ingestion extends Construct {
  /** Customer-managed key (rotated yearly) encrypting the stream. */
  public readonly streamKey: kms.Key;

  /** The event stream, retention `eventStream.retentionHours`, deleted with the stack. */
  public readonly stream: kinesis.Stream;

  /** `POST /v1/events` handler: validates events and writes them to the stream. */
  public readonly ingestFunction: RecoFunction;

  /** Stream consumer: updates user and item features in the feature store. */
  public readonly processorFunction: RecoFunction;

  /**
   * The processor's failure queue (SSE-SQS, TLS only, 14 days): the on-failure destination of
   * its event source mapping and where it parks poison records (`envVars.poisonQueueUrl`).
   */
  public readonly failureQueue: sqs.Queue;

  /** The processor's Kinesis event source (its mapping id/ARN are available after binding). */
  public readonly eventSource: KinesisEventSource;

  public constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);

    // Both go with the stack: the stream bills by the hour, and every record it holds is in the
    // data lake within minutes (Firehose), so nothing the key encrypted outlives them.
    this.streamKey = new kms.Key(this, 'StreamKey', {
      description: `Encrypts the ${serviceName} event stream`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const capacity = props.stream ?? { mode: 'on-demand' };
    if (capacity.mode === 'provisioned' && (!Number.isInteger(capacity.shards) || capacity.shards < 1)) {
      throw new Error(`Ingestion: a provisioned stream needs a whole number of shards >= 1, got ${capacity.shards}`);
    }
    this.stream = new kinesis.Stream(this, eventStream.logicalName, {
      ...(capacity.mode === 'on-demand'
        ? { streamMode: kinesis.StreamMode.ON_DEMAND }
        : { streamMode: kinesis.StreamMode.PROVISIONED, shardCount: capacity.shards }),
      retentionPeriod: Duration.hours(eventStream.retentionHours),
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: this.streamKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.stream).acknowledge({
      id: 'AwsSolutions-KDS3',
      reason:
        'A customer-managed key is deliberate: the stream carries raw shopper activity, and the key ' +
        'policy (not only IAM) then decides who can decrypt it, CloudTrail records every use per ' +
        'principal, and disabling the key makes retained records unreadable. KMS request costs are ' +
        'the same as with aws/kinesis (Kinesis calls KMS about every five minutes per producer or ' +
        'consumer credential, not per record); the only extra is the monthly key fee.',
    });

    this.ingestFunction = new RecoFunction(this, 'IngestFunction', {
      entry: functionEntry('ingest'),
      description: 'POST /v1/events: validates storefront events and puts them on the event stream',
    });
    this.bindStream(this.ingestFunction);
    props.userTokenKeys.bindReader(this.ingestFunction);

    this.failureQueue = new sqs.Queue(this, 'ProcessorFailureQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The SQS maximum: two weeks to inspect a failure and replay from the stream or the message.
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the terminal failure queue of the processor: Lambda sends it the ' +
        'metadata of batches that exhausted their retries (on-failure destination), and the ' +
        'processor parks records that can never succeed on it. Operators inspect and replay its ' +
        'messages, so a dead-letter queue behind it would add nothing.',
    });

    this.processorFunction = new RecoFunction(this, 'ProcessorFunction', {
      entry: functionEntry('processor'),
      description: 'Consumes the event stream and updates user and item features',
    });
    props.featureStore.bindTable(this.processorFunction, 'readWrite');
    this.bindFailureQueue(this.processorFunction);
    props.erasureHashKey.bindReader(this.processorFunction);

    this.eventSource = new KinesisEventSource(this.stream, {
      // TRIM_HORIZON: the mapping is created in the same deployment that puts the API live, and
      // with LATEST every event written before its first poll would be silently skipped. Should
      // the mapping ever be re-created, the replay is bounded by maxRecordAge below.
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: streamProcessing.batchSize,
      maxBatchingWindow: Duration.seconds(streamProcessing.maxBatchingWindowSeconds),
      retryAttempts: streamProcessing.retryAttempts,
      maxRecordAge: Duration.seconds(streamProcessing.maxRecordAgeSeconds),
      parallelizationFactor: streamProcessing.parallelizationFactor,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.failureQueue),
    });
    this.processorFunction.addEventSource(this.eventSource);
  }

  /**
   * Lets `fn` park poison records on {@link Ingestion.failureQueue} and tells it the queue's URL
   * through `envVars.poisonQueueUrl` (`sqs:SendMessage`, which also covers `SendMessageBatch`).
   */
  public bindFailureQueue(fn: lambda.Function): void {
    fn.addEnvironment(envVars.poisonQueueUrl, this.failureQueue.queueUrl);
    this.failureQueue.grantSendMessages(fn);
  }

  /**
   * Lets `fn` put records on the event stream and tells it the stream's name through
   * `envVars.eventStreamName`: {@link STREAM_PRODUCER_ACTIONS} on the stream and
   * `kms:GenerateDataKey` on the stream key (all a Kinesis producer needs with SSE-KMS).
   */
  public bindStream(fn: lambda.Function): void {
    fn.addEnvironment(envVars.eventStreamName, this.stream.streamName);
    this.stream.grant(fn, ...STREAM_PRODUCER_ACTIONS);
    this.streamKey.grant(fn, 'kms:GenerateDataKey');
  }
}
