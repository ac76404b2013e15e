import { knownClient } from './clients.ts';
import type { IamRequest } from './policyEvaluator.ts';
import type { RecordedCall } from './recorder.ts';

/** Partition, region and account the template's pseudo parameters stand for, so ARNs compare. */
export const PLACEHOLDER = { partition: 'aws', region: 'us-east-1', account: '111122223333' } as const;

/** An IAM request of one recorded call, and the VPC endpoint service the call would travel through. */
export interface CallRequest extends IamRequest {
  /** `com.amazonaws.<region>.<this>` names the VPC endpoint of the call's service. */
  readonly endpointService: string;
}

/** The key schema of the tables calls name, by table name. */
export interface TableSchemas {
  /** The partition-key attribute of the table, or of its index `indexName`. */
  hashKeyOf(tableName: string, indexName?: string): string;
}

type Input = Readonly<Record<string, unknown>>;
type Key = Readonly<Record<string, unknown>>;

/**
 * The DynamoDB action of each command class, for both the document client (`@aws-sdk/lib-dynamodb`)
 * and the low-level one. Transactions and batches are listed apart: they become one request per
 * contained write, or per table.
 */
const DOCUMENT_ACTIONS: Readonly<Record<string, string>> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
  BatchGetCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
  TransactGetCommand: 'TransactGetItems',
  TransactWriteCommand: 'TransactWriteItems',
};

/**
 * Commands whose IAM action is not `<prefix>:<command name without "Command">`, by client. A batch
 * call is authorised as its single-message action; S3 lists a bucket as `ListBucket` and deletes
 * several objects as one `DeleteObject` per key.
 */
const ACTION_EXCEPTIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  DynamoDBDocumentClient: DOCUMENT_ACTIONS,
  SQSClient: {
    SendMessageBatchCommand: 'SendMessage',
    DeleteMessageBatchCommand: 'DeleteMessage',
    ChangeMessageVisibilityBatchCommand: 'ChangeMessageVisibility',
  },
  S3Client: {
    ListObjectsV2Command: 'ListBucket',
    DeleteObjectsCommand: 'DeleteObject',
  },
};

/**
 * SageMaker actions on one named resource: the input field holding the name and the resource type
 * of its ARN. The List actions support no resource-level permissions (`*`).
 */
const SAGEMAKER_RESOURCES: Readonly<Record<string, readonly [field: string, type: string]>> = {
  'sagemaker:InvokeEndpoint': ['EndpointName', 'endpoint'],
  'sagemaker:DescribeEndpoint': ['EndpointName', 'endpoint'],
  'sagemaker:DeleteEndpoint': ['EndpointName', 'endpoint'],
  'sagemaker:DeleteModel': ['ModelName', 'model'],
  'sagemaker:DeleteEndpointConfig': ['EndpointConfigName', 'endpoint-config'],
  'sagemaker:StopTrainingJob': ['TrainingJobName', 'training-job'],
  'sagemaker:StopProcessingJob': ['ProcessingJobName', 'processing-job'],
};
const SAGEMAKER_LISTINGS = new Set([
  'sagemaker:ListModels',
  'sagemaker:ListEndpointConfigs',
  'sagemaker:ListTrainingJobs',
  'sagemaker:ListProcessingJobs',
]);

/**
 * `s3:TlsVersion` of every S3 request: the lowest version the SDK negotiates (Node's default
 * minimum), so a bucket policy refusing older ones is checked at its edge.
 */
export const S3_TLS_VERSION = '1.2';

const arn = (service: string, resource: string) =>
  `arn:${PLACEHOLDER.partition}:${service}:${PLACEHOLDER.region}:${PLACEHOLDER.account}:${resource}`;

/** The IAM action a command is authorised as (before batches and transactions are split). */
export function actionOf(call: Pick<RecordedCall, 'client' | 'command'>): string {
  const client = knownClient(call.client);
  const exception = ACTION_EXCEPTIONS[client.name]?.[call.command];
  if (exception !== undefined) return `${client.iamPrefix}:${exception}`;
  if (client.name === 'DynamoDBDocumentClient') {
    throw new Error(`no DynamoDB action known for document command ${call.command}: add it to DOCUMENT_ACTIONS`);
  }
  if (!call.command.endsWith('Command')) throw new Error(`${call.command} is not an SDK command class`);
  return `${client.iamPrefix}:${call.command.slice(0, -'Command'.length)}`;
}

/**
 * The IAM requests one call makes: its action on each resource it touches, with the condition keys
 * AWS fills for it. DynamoDB item-level requests carry `dynamodb:LeadingKeys`, the partition-key
 * values of every item (or the queried partition) they touch; a batch is one request per table, a
 * transaction one per contained operation. S3 requests carry `s3:TlsVersion`, a listing its
 * `s3:prefix`, and a multi-object delete is one request per key. Every request carries
 * `aws:SecureTransport` (the SDK speaks HTTPS to AWS).
 */
export function iamRequestsOf(call: RecordedCall, tables: TableSchemas): CallRequest[] {
  const client = knownClient(call.client);
  const action = actionOf(call);
  const request = (resource: string, context: IamRequest['context'] = {}, requestAction = action): CallRequest => ({
    action: requestAction,
    resource,
    context: { 'aws:SecureTransport': 'true', ...context },
    endpointService: client.endpointService,
  });
  const { input } = call;
  if (client.iamPrefix === 'dynamodb') return dynamoDbRequests(action, input, tables, client.name, request);
  if (client.iamPrefix === 's3') return s3Requests(call.command, action, input, request);
  const sageMaker = SAGEMAKER_RESOURCES[action];
  if (sageMaker !== undefined) {
    const [field, type] = sageMaker;
    return [request(sageMakerArn(type, stringField(input, field, action)))];
  }
  if (SAGEMAKER_LISTINGS.has(action)) return [request('*')];
  switch (action) {
    case 'kinesis:PutRecord':
    case 'kinesis:PutRecords':
      return [request(kinesisStreamArn(input))];
    case 'sqs:SendMessage':
      return [request(queueArn(stringField(input, 'QueueUrl', action)))];
    case 'secretsmanager:GetSecretValue':
    case 'secretsmanager:DescribeSecret':
    case 'secretsmanager:PutSecretValue':
    case 'secretsmanager:UpdateSecretVersionStage':
      return [request(secretArn(stringField(input, 'SecretId', action)))];
    case 'states:StartExecution':
    case 'states:ListExecutions':
      return [request(stringField(input, 'stateMachineArn', action))];
    case 'states:StopExecution':
      return [request(stringField(input, 'executionArn', action))];
    // GetMetricData supports no resource-level permissions.
    case 'cloudwatch:GetMetricData':
      return [request('*')];
    default:
      throw new Error(`no resource mapping for ${action} (${call.client} ${call.command}): add it to iamRequestsOf`);
  }
}

type RequestOf = (resource: string, context?: IamRequest['context'], action?: string) => CallRequest;

function s3Requests(command: string, action: string, input: Input, request: RequestOf): CallRequest[] {
  const bucket = stringField(input, 'Bucket', action);
  const context = { 's3:TlsVersion': S3_TLS_VERSION };
  switch (action) {
    case 's3:ListBucket':
      // Without a Prefix parameter the request has no s3:prefix, and a condition on it does not hold.
      return [
        request(
          s3Arn(bucket),
          input.Prefix === undefined ? context : { ...context, 's3:prefix': stringOf(input.Prefix, 'Prefix', action) },
        ),
      ];
    case 's3:GetObject':
    case 's3:PutObject':
      return [request(s3Arn(bucket, stringField(input, 'Key', action)), context)];
    case 's3:DeleteObject': {
      if (command !== 'DeleteObjectsCommand')
        return [request(s3Arn(bucket, stringField(input, 'Key', action)), context)];
      const objects = list(record(input.Delete, action).Objects, action);
      return objects.map((object) =>
        request(s3Arn(bucket, stringField(record(object, action), 'Key', action)), context),
      );
    }
    default:
      throw new Error(`no resource mapping for ${action}: add it to s3Requests`);
  }
}

function dynamoDbRequests(
  action: string,
  input: Input,
  tables: TableSchemas,
  client: string,
  request: RequestOf,
): CallRequest[] {
  const document = client === 'DynamoDBDocumentClient';
  const leadingKeys = (tableName: string, keys: readonly Key[], indexName?: string) => {
    const hashKey = tables.hashKeyOf(tableName, indexName);
    return {
      'dynamodb:LeadingKeys': [
        ...new Set(
          keys.map((key) => {
            if (!(hashKey in key)) throw new Error(`${action} on ${tableName} names an item without ${hashKey}`);
            return scalar(key[hashKey], document, `${hashKey} of ${action}`);
          }),
        ),
      ],
    };
  };
  const item = (tableName: string, key: unknown, requestAction = action) =>
    request(tableArn(tableName), leadingKeys(tableName, [record(key, requestAction)]), requestAction);

  switch (action) {
    case 'dynamodb:GetItem':
    case 'dynamodb:UpdateItem':
    case 'dynamodb:DeleteItem':
      return [item(stringField(input, 'TableName', action), input.Key)];
    case 'dynamodb:PutItem':
      return [item(stringField(input, 'TableName', action), input.Item)];
    case 'dynamodb:Query': {
      const tableName = stringField(input, 'TableName', action);
      const indexName = input.IndexName === undefined ? undefined : stringField(input, 'IndexName', action);
      const hashKey = tables.hashKeyOf(tableName, indexName);
      const resource = indexName === undefined ? tableArn(tableName) : `${tableArn(tableName)}/index/${indexName}`;
      return [request(resource, { 'dynamodb:LeadingKeys': [queriedPartition(input, hashKey, document)] })];
    }
    case 'dynamodb:Scan': {
      // A scan names no partition: AWS gives it no dynamodb:LeadingKeys.
      const tableName = stringField(input, 'TableName', action);
      const indexName = input.IndexName === undefined ? undefined : stringField(input, 'IndexName', action);
      return [request(indexName === undefined ? tableArn(tableName) : `${tableArn(tableName)}/index/${indexName}`)];
    }
    case 'dynamodb:BatchGetItem':
      return Object.entries(record(input.RequestItems, action)).map(([tableName, reads]) =>
        request(tableArn(tableName), leadingKeys(tableName, list(record(reads, action).Keys, action).map(asKey))),
      );
    case 'dynamodb:BatchWriteItem':
      return Object.entries(record(input.RequestItems, action)).map(([tableName, writes]) =>
        request(
          tableArn(tableName),
          leadingKeys(
            tableName,
            list(writes, action).map((write) => {
              const { PutRequest: put, DeleteRequest: remove } = record(write, action) as {
                PutRequest?: { Item?: unknown };
                DeleteRequest?: { Key?: unknown };
              };
              return asKey(put?.Item ?? remove?.Key);
            }),
          ),
        ),
      );
    case 'dynamodb:TransactWriteItems':
      return list(input.TransactItems, action).map((entry) => {
        const operations: Readonly<Record<string, [string, string]>> = {
          Put: ['dynamodb:PutItem', 'Item'],
          Update: ['dynamodb:UpdateItem', 'Key'],
          Delete: ['dynamodb:DeleteItem', 'Key'],
          ConditionCheck: ['dynamodb:ConditionCheckItem', 'Key'],
        };
        const [kind, operation] = Object.entries(record(entry, action))[0] ?? [];
        const known = kind === undefined ? undefined : operations[kind];
        if (known === undefined) throw new Error(`unknown TransactWriteItems entry ${String(kind)}`);
        const [operationAction, keyField] = known;
        const fields = record(operation, action);
        return item(stringField(fields, 'TableName', action), fields[keyField], operationAction);
      });
    case 'dynamodb:TransactGetItems':
      return list(input.TransactItems, action).map((entry) => {
        const fields = record(record(entry, action).Get, action);
        return item(stringField(fields, 'TableName', action), fields.Key, 'dynamodb:GetItem');
      });
    default:
      throw new Error(`no resource mapping for ${action}: add it to dynamoDbRequests`);
  }
}

/** The value a Query's key condition binds to the partition key: `<hash key> = :value`. */
function queriedPartition(input: Input, hashKey: string, document: boolean): string {
  const condition = stringField(input, 'KeyConditionExpression', 'dynamodb:Query');
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  for (const term of condition.split(/\s+AND\s+/i)) {
    const match = /^\s*\(?\s*([#\w]+)\s*=\s*(:\w+)\s*\)?\s*$/.exec(term);
    if (match === null) continue;
    const [, nameToken, valueToken] = match as unknown as [string, string, string];
    const name = nameToken.startsWith('#') ? names[nameToken] : nameToken;
    if (name === hashKey && valueToken in values) return scalar(values[valueToken], document, `${valueToken}`);
  }
  throw new Error(`cannot read the partition-key value (${hashKey}) from the key condition "${condition}"`);
}

/** A key value as a string: a plain value (document client) or an `{S}`/`{N}` attribute value. */
function scalar(value: unknown, document: boolean, what: string): string {
  if (document && (typeof value === 'string' || typeof value === 'number')) return String(value);
  if (!document && typeof value === 'object' && value !== null) {
    const attribute = value as { S?: unknown; N?: unknown };
    if (typeof attribute.S === 'string') return attribute.S;
    if (typeof attribute.N === 'string') return attribute.N;
  }
  throw new Error(`${what} is not a string or number key value: ${JSON.stringify(value)}`);
}

/** A bucket's ARN, or an object's in it; S3 ARNs name no region or account. */
function s3Arn(bucket: string, key?: string): string {
  return `arn:${PLACEHOLDER.partition}:s3:::${bucket}${key === undefined ? '' : `/${key}`}`;
}

/** SageMaker ARNs hold the resource's name in lower case. */
function sageMakerArn(type: string, name: string): string {
  return arn('sagemaker', `${type}/${name.toLowerCase()}`);
}

function tableArn(tableName: string): string {
  return tableName.startsWith('arn:') ? tableName : arn('dynamodb', `table/${tableName}`);
}

function kinesisStreamArn(input: Input): string {
  if (typeof input.StreamARN === 'string') return input.StreamARN;
  return arn('kinesis', `stream/${stringField(input, 'StreamName', 'kinesis')}`);
}

/** `https://<host>/<account>/<queue name>` → the queue's ARN. */
function queueArn(queueUrl: string): string {
  const [account, name, ...rest] = new URL(queueUrl).pathname.split('/').filter(Boolean);
  if (account === undefined || name === undefined || rest.length > 0) throw new Error(`not a queue URL: ${queueUrl}`);
  return `arn:${PLACEHOLDER.partition}:sqs:${PLACEHOLDER.region}:${account}:${name}`;
}

/** A secret's full ARN; a bare name would leave its random suffix unknown. */
function secretArn(secretId: string): string {
  if (!secretId.startsWith('arn:')) {
    throw new Error(`SecretId ${secretId} is not an ARN: the guard cannot know which secret a name stands for`);
  }
  return secretId;
}

function stringField(input: Input, field: string, what: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') throw new Error(`${what}: ${field} is missing`);
  return value;
}

/** A string field that may be empty (an S3 prefix). */
function stringOf(value: unknown, field: string, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: ${field} is not a string`);
  return value;
}

function record(value: unknown, what: string): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what}: expected an object, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}

const asKey = (value: unknown): Key => record(value, 'a key');
