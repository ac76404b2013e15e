import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { envVars, eventStream, streamProcessing } from '#shared/config/index.ts';
import { FeatureStore } from '#infra/constructs/feature-store.ts';
import { Ingestion, STREAM_PRODUCER_ACTIONS } from '#infra/constructs/ingestion.ts';
import {
  actionsOf,
  arnOf,
  logicalIdOf,
  newPlainFunction,
  newTestStack,
  refersTo,
  resourcesOf,
  roleLogicalIdOf,
  statementsOfRole,
  type Statement,
  newSecrets,
} from './helpers.ts';

const FOURTEEN_DAYS_IN_SECONDS = 14 * 24 * 60 * 60;

describe('Construct: Ingestion', () => {
  let ingestion: Ingestion;
  let template: Template;
  let ids: { stream: string; key: string; queue: string; table: string };

  beforeAll(() => {
    // Prepare
    const stack = newTestStack();
    const featureStore = new FeatureStore(stack, 'FeatureStore');

    // Act
    ingestion = new Ingestion(stack, 'Ingestion', { featureStore, ...newSecrets(stack) });
    template = Template.fromStack(stack);
    ids = {
      stream: logicalIdOf(ingestion.stream),
      key: logicalIdOf(ingestion.streamKey),
      queue: logicalIdOf(ingestion.failureQueue),
      table: logicalIdOf(featureStore.table),
    };
  });

  it('creates an on-demand stream with the configured retention', () => {
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: eventStream.retentionHours,
      ShardCount: Match.absent(),
    });
  });

  it('encrypts the stream with a customer-managed key that rotates', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: arnOf(ids.key) },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('deletes the stream and its key with the stack (the lake has every record)', () => {
    expect(template.findResources('AWS::Kinesis::Stream')[ids.stream]?.DeletionPolicy).toBe('Delete');
    expect(template.findResources('AWS::KMS::Key')[ids.key]?.DeletionPolicy).toBe('Delete');
  });

  it('maps the stream to the processor with the settings of streamProcessing', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(ids.stream),
      FunctionName: { Ref: logicalIdOf(ingestion.processorFunction) },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: streamProcessing.batchSize,
      MaximumBatchingWindowInSeconds: streamProcessing.maxBatchingWindowSeconds,
      MaximumRetryAttempts: streamProcessing.retryAttempts,
      MaximumRecordAgeInSeconds: streamProcessing.maxRecordAgeSeconds,
      ParallelizationFactor: streamProcessing.parallelizationFactor,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: arnOf(ids.queue) } },
    });
  });

  it('keeps failures 14 days in an encrypted queue that refuses plain HTTP', () => {
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: FOURTEEN_DAYS_IN_SECONDS,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: ids.queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('tells the processor the table name and the poison queue URL', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [envVars.featureTableName]: { Ref: ids.table },
          [envVars.poisonQueueUrl]: { Ref: ids.queue },
        }),
      },
    });
  });

  it('lets the processor read and decrypt the stream and send to the failure queue', () => {
    // Act
    const statements = statementsOfRole(template, roleLogicalIdOf(ingestion.processorFunction));

    // Assess
    const on = (logicalId: string): string[] =>
      statements.filter((s) => resourcesOf(s).some((r) => refersTo(r, logicalId))).flatMap(actionsOf);
    expect(on(ids.stream)).toEqual(expect.arrayContaining(['kinesis:GetRecords', 'kinesis:GetShardIterator']));
    expect(on(ids.key)).toEqual(['kms:Decrypt']);
    expect(on(ids.queue)).toContain('sqs:SendMessage');
  });

  it('bindStream(fn) sets the stream name and grants PutRecord(s) and kms:GenerateDataKey only', () => {
    // Prepare
    const stack = newTestStack();
    const local = new Ingestion(stack, 'Ingestion', {
      featureStore: new FeatureStore(stack, 'FeatureStore'),
      ...newSecrets(stack),
    });
    const producer = newPlainFunction(stack, 'Producer');

    // Act
    local.bindStream(producer);

    // Assess
    const localTemplate = Template.fromStack(stack);
    const streamId = logicalIdOf(local.stream);
    localTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: { Variables: { [envVars.eventStreamName]: { Ref: streamId } } },
    });
    const statements: Statement[] = statementsOfRole(localTemplate, roleLogicalIdOf(producer));
    expect(statements).toEqual([
      { Effect: 'Allow', Action: [...STREAM_PRODUCER_ACTIONS], Resource: arnOf(streamId) },
      { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: arnOf(logicalIdOf(local.streamKey)) },
    ]);
  });
});
