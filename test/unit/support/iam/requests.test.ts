import { describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../../support/iam/recorder.ts';
import { actionOf, iamRequestsOf, S3_TLS_VERSION, type TableSchemas } from '../../../support/iam/requests.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:111122223333:table/Features';
const tables: TableSchemas = {
  hashKeyOf: (tableName, indexName) => {
    if (tableName !== 'Features') throw new Error(`unknown table ${tableName}`);
    return indexName === undefined ? 'pk' : 'board';
  },
};

const call = (client: string, command: string, input: Record<string, unknown>): RecordedCall => ({
  functionName: 'recommend',
  client,
  command,
  input,
});
const documents = (command: string, input: Record<string, unknown>) => call('DynamoDBDocumentClient', command, input);

describe('Function: actionOf', () => {
  it.each([
    ['DynamoDBDocumentClient', 'PutCommand', 'dynamodb:PutItem'],
    ['DynamoDBDocumentClient', 'BatchWriteCommand', 'dynamodb:BatchWriteItem'],
    ['DynamoDBClient', 'PutItemCommand', 'dynamodb:PutItem'],
    ['SQSClient', 'SendMessageBatchCommand', 'sqs:SendMessage'],
    ['SageMakerRuntimeClient', 'InvokeEndpointCommand', 'sagemaker:InvokeEndpoint'],
    ['SecretsManagerClient', 'UpdateSecretVersionStageCommand', 'secretsmanager:UpdateSecretVersionStage'],
    ['S3Client', 'ListObjectsV2Command', 's3:ListBucket'],
    ['S3Client', 'DeleteObjectsCommand', 's3:DeleteObject'],
    ['S3Client', 'GetObjectCommand', 's3:GetObject'],
    ['SageMakerClient', 'ListEndpointConfigsCommand', 'sagemaker:ListEndpointConfigs'],
    ['SFNClient', 'StartExecutionCommand', 'states:StartExecution'],
  ])('returns the IAM action of %s %s: %s', (client, command, expected) => {
    // Act + Assess
    expect(actionOf({ client, command })).toBe(expected);
  });

  it('throws on a client or document command it does not know', () => {
    // Act + Assess
    expect(() => actionOf({ client: 'EC2Client', command: 'DescribeVpcsCommand' })).toThrow(/KNOWN_CLIENTS/);
    expect(() => actionOf({ client: 'DynamoDBDocumentClient', command: 'ExecuteStatementCommand' })).toThrow(
      /DOCUMENT_ACTIONS/,
    );
  });
});

describe('Function: iamRequestsOf', () => {
  it('gives a PutItem the partition key of its item as dynamodb:LeadingKeys', () => {
    // Act
    const requests = iamRequestsOf(
      documents('PutCommand', { TableName: 'Features', Item: { pk: 'REC#1', sk: 'REC', items: [] } }),
      tables,
    );

    // Assess
    expect(requests).toEqual([
      {
        action: 'dynamodb:PutItem',
        resource: TABLE,
        context: { 'aws:SecureTransport': 'true', 'dynamodb:LeadingKeys': ['REC#1'] },
        endpointService: 'dynamodb',
      },
    ]);
  });

  it('reads the low-level client key values', () => {
    // Act
    const [request] = iamRequestsOf(
      call('DynamoDBClient', 'GetItemCommand', {
        TableName: 'Features',
        Key: { pk: { S: 'U#a' }, sk: { S: 'PROFILE' } },
      }),
      tables,
    );

    // Assess
    expect(request?.context['dynamodb:LeadingKeys']).toEqual(['U#a']);
  });

  it('gives a Query on an index the index ARN and the partition its key condition names', () => {
    // Act
    const [request] = iamRequestsOf(
      documents('QueryCommand', {
        TableName: 'Features',
        IndexName: 'byScore',
        KeyConditionExpression: '#board = :board AND score > :min',
        ExpressionAttributeNames: { '#board': 'board' },
        ExpressionAttributeValues: { ':board': 'POP#2026-12-07#1', ':min': 0 },
      }),
      tables,
    );

    // Assess
    expect(request).toMatchObject({
      action: 'dynamodb:Query',
      resource: `${TABLE}/index/byScore`,
      context: { 'dynamodb:LeadingKeys': ['POP#2026-12-07#1'] },
    });
  });

  it('throws when a Query key condition names no partition-key value', () => {
    // Act + Assess
    expect(() =>
      iamRequestsOf(documents('QueryCommand', { TableName: 'Features', KeyConditionExpression: 'sk = :sk' }), tables),
    ).toThrow(/cannot read the partition-key value/);
  });

  it('makes one BatchWriteItem request per table with every written partition', () => {
    // Act
    const requests = iamRequestsOf(
      documents('BatchWriteCommand', {
        RequestItems: {
          Features: [
            { PutRequest: { Item: { pk: 'I#a', sk: 'META' } } },
            { DeleteRequest: { Key: { pk: 'I#b', sk: 'META' } } },
            { PutRequest: { Item: { pk: 'I#a', sk: 'DAY#1' } } },
          ],
        },
      }),
      tables,
    );

    // Assess
    expect(requests).toEqual([
      expect.objectContaining({
        action: 'dynamodb:BatchWriteItem',
        resource: TABLE,
        context: expect.objectContaining({ 'dynamodb:LeadingKeys': ['I#a', 'I#b'] }),
      }),
    ]);
  });

  it('makes one request per operation of a transaction, as the operation', () => {
    // Act
    const requests = iamRequestsOf(
      documents('TransactWriteCommand', {
        TransactItems: [
          { Put: { TableName: 'Features', Item: { pk: 'U#a', sk: 'PROFILE' } } },
          { ConditionCheck: { TableName: 'Features', Key: { pk: 'ERASED', sk: 'x' } } },
        ],
      }),
      tables,
    );

    // Assess
    expect(requests.map((request) => [request.action, request.context['dynamodb:LeadingKeys']])).toEqual([
      ['dynamodb:PutItem', ['U#a']],
      ['dynamodb:ConditionCheckItem', ['ERASED']],
    ]);
  });

  it('gives a Scan no dynamodb:LeadingKeys', () => {
    // Act
    const [request] = iamRequestsOf(documents('ScanCommand', { TableName: 'Features' }), tables);

    // Assess
    expect(request?.context).toEqual({ 'aws:SecureTransport': 'true' });
  });

  it('maps queue URLs, stream names, secret ARNs and endpoint names to ARNs', () => {
    // Act
    const resources = [
      call('SQSClient', 'SendMessageBatchCommand', {
        QueueUrl: 'http://127.0.0.1:4566/111122223333/Poison',
        Entries: [],
      }),
      call('KinesisClient', 'PutRecordsCommand', { StreamName: 'Events', Records: [] }),
      call('SecretsManagerClient', 'GetSecretValueCommand', {
        SecretId: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:Keys-AbCdEf',
      }),
      call('SageMakerRuntimeClient', 'InvokeEndpointCommand', { EndpointName: 'Reco-Endpoint' }),
    ].map((recorded) => iamRequestsOf(recorded, tables)[0]?.resource);

    // Assess
    expect(resources).toEqual([
      'arn:aws:sqs:us-east-1:111122223333:Poison',
      'arn:aws:kinesis:us-east-1:111122223333:stream/Events',
      'arn:aws:secretsmanager:us-east-1:111122223333:secret:Keys-AbCdEf',
      'arn:aws:sagemaker:us-east-1:111122223333:endpoint/reco-endpoint',
    ]);
  });

  it('gives an S3 listing the bucket ARN and its prefix as s3:prefix, and none without a Prefix', () => {
    // Act
    const [withPrefix] = iamRequestsOf(
      call('S3Client', 'ListObjectsV2Command', { Bucket: 'lake', Prefix: 'events/dt=2026-12-07/', MaxKeys: 10 }),
      tables,
    );
    const [withoutPrefix] = iamRequestsOf(call('S3Client', 'ListObjectsV2Command', { Bucket: 'lake' }), tables);

    // Assess
    expect(withPrefix).toEqual({
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::lake',
      context: { 'aws:SecureTransport': 'true', 's3:TlsVersion': S3_TLS_VERSION, 's3:prefix': 'events/dt=2026-12-07/' },
      endpointService: 's3',
    });
    expect(withoutPrefix?.context).not.toHaveProperty('s3:prefix');
  });

  it('makes a DeleteObject request per key of a DeleteObjects call, and one per object read or written', () => {
    // Act
    const deletes = iamRequestsOf(
      call('S3Client', 'DeleteObjectsCommand', {
        Bucket: 'artifacts',
        Delete: { Objects: [{ Key: 'models/v1/model.tar.gz' }, { Key: 'datasets/v1/items/items.csv' }], Quiet: true },
      }),
      tables,
    );
    const [read] = iamRequestsOf(call('S3Client', 'GetObjectCommand', { Bucket: 'lake', Key: 'events/a.gz' }), tables);
    const [written] = iamRequestsOf(
      call('S3Client', 'PutObjectCommand', { Bucket: 'artifacts', Key: 'datasets/v1/export.json', Body: '{}' }),
      tables,
    );

    // Assess
    expect(deletes.map((request) => [request.action, request.resource])).toEqual([
      ['s3:DeleteObject', 'arn:aws:s3:::artifacts/models/v1/model.tar.gz'],
      ['s3:DeleteObject', 'arn:aws:s3:::artifacts/datasets/v1/items/items.csv'],
    ]);
    expect([read?.action, read?.resource]).toEqual(['s3:GetObject', 'arn:aws:s3:::lake/events/a.gz']);
    expect([written?.action, written?.resource]).toEqual([
      's3:PutObject',
      'arn:aws:s3:::artifacts/datasets/v1/export.json',
    ]);
  });

  it('maps SageMaker names to lower-case ARNs of their kind, and listings to *', () => {
    // Act
    const resources = [
      call('SageMakerClient', 'DescribeEndpointCommand', { EndpointName: 'Reco-Endpoint' }),
      call('SageMakerClient', 'DeleteEndpointCommand', { EndpointName: 'reco-endpoint' }),
      call('SageMakerClient', 'DeleteModelCommand', { ModelName: 'reco-v1' }),
      call('SageMakerClient', 'DeleteEndpointConfigCommand', { EndpointConfigName: 'reco-v1' }),
      call('SageMakerClient', 'StopTrainingJobCommand', { TrainingJobName: 'reco-v2' }),
      call('SageMakerClient', 'StopProcessingJobCommand', { ProcessingJobName: 'reco-v2' }),
      call('SageMakerClient', 'ListModelsCommand', { NameContains: 'reco-v1' }),
      call('SageMakerClient', 'ListTrainingJobsCommand', { StatusEquals: 'InProgress' }),
    ].map((recorded) => iamRequestsOf(recorded, tables)[0]?.resource);

    // Assess
    const sageMaker = 'arn:aws:sagemaker:us-east-1:111122223333';
    expect(resources).toEqual([
      `${sageMaker}:endpoint/reco-endpoint`,
      `${sageMaker}:endpoint/reco-endpoint`,
      `${sageMaker}:model/reco-v1`,
      `${sageMaker}:endpoint-config/reco-v1`,
      `${sageMaker}:training-job/reco-v2`,
      `${sageMaker}:processing-job/reco-v2`,
      '*',
      '*',
    ]);
  });

  it('gives Step Functions calls the state machine or execution ARN they name', () => {
    // Prepare
    const stateMachineArn = 'arn:aws:states:us-east-1:111122223333:stateMachine:Training';
    const executionArn = 'arn:aws:states:us-east-1:111122223333:execution:Training:manual-1';

    // Act
    const resources = [
      call('SFNClient', 'StartExecutionCommand', { stateMachineArn, name: 'manual-1', input: '{}' }),
      call('SFNClient', 'ListExecutionsCommand', { stateMachineArn, statusFilter: 'RUNNING' }),
      call('SFNClient', 'StopExecutionCommand', { executionArn }),
    ].map((recorded) => iamRequestsOf(recorded, tables)[0]);

    // Assess
    expect(resources.map((request) => [request?.action, request?.resource, request?.endpointService])).toEqual([
      ['states:StartExecution', stateMachineArn, 'states'],
      ['states:ListExecutions', stateMachineArn, 'states'],
      ['states:StopExecution', executionArn, 'states'],
    ]);
  });

  it('throws on a secret named without its ARN and on an action it has no resource for', () => {
    // Act + Assess
    expect(() =>
      iamRequestsOf(call('SecretsManagerClient', 'GetSecretValueCommand', { SecretId: 'keys' }), tables),
    ).toThrow(/not an ARN/);
    expect(() => iamRequestsOf(call('KinesisClient', 'ListShardsCommand', {}), tables)).toThrow(/no resource mapping/);
  });
});
