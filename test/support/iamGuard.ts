import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand as QueryItemsCommand,
  ScanCommand as ScanItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type EvaluationResult, runSimulation } from '@cloud-copilot/iam-simulate';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * Checks the AWS SDK calls a function's code makes against what its synthesised template lets it
 * do, with an IAM policy evaluator: the calls are recorded from the real handlers (clients mocked),
 * turned into IAM requests (action, resource ARN, `dynamodb:LeadingKeys`), and evaluated against
 * the function role's identity policies and, for a function in a VPC, the policy of the VPC
 * endpoint the call goes through.
 */

/** Where the template's pseudo parameters point: one account and region, so ARNs compare. */
export const PLACEHOLDER = { partition: 'aws', region: 'us-east-1', account: '111122223333' } as const;
const { partition, region, account } = PLACEHOLDER;

type Resources = Readonly<Record<string, { Type: string; Properties?: Record<string, unknown> }>>;

/** What `Ref` and `Fn::GetAtt` give for a resource type, as names derived from the logical id. */
function refOf(type: string, id: string): string {
  switch (type) {
    case 'AWS::SecretsManager::Secret':
      return `arn:${partition}:secretsmanager:${region}:${account}:secret:${id}-AbCdEf`;
    case 'AWS::SQS::Queue':
      return `https://sqs.${region}.amazonaws.com/${account}/${id}`;
    case 'AWS::SageMaker::Endpoint':
      return `arn:${partition}:sagemaker:${region}:${account}:endpoint/${id.toLowerCase()}`;
    case 'AWS::IAM::ManagedPolicy':
      return `arn:${partition}:iam::${account}:policy/${id}`;
    default:
      return id;
  }
}

function attributeOf(type: string, id: string, attribute: string): string {
  const arnIn = (service: string, resource: string) => `arn:${partition}:${service}:${region}:${account}:${resource}`;
  if (attribute === 'Arn') {
    switch (type) {
      case 'AWS::DynamoDB::GlobalTable':
      case 'AWS::DynamoDB::Table':
        return arnIn('dynamodb', `table/${id}`);
      case 'AWS::Kinesis::Stream':
        return arnIn('kinesis', `stream/${id}`);
      case 'AWS::SQS::Queue':
        return arnIn('sqs', id);
      case 'AWS::KMS::Key':
        return arnIn('kms', `key/${id}`);
      case 'AWS::Logs::LogGroup':
        return arnIn('logs', `log-group:${id}:*`);
      case 'AWS::IAM::Role':
        return `arn:${partition}:iam::${account}:role/${id}`;
      case 'AWS::Lambda::Function':
        return arnIn('lambda', `function:${id}`);
      default:
        return arnIn('placeholder', `${type}/${id}`);
    }
  }
  if (type === 'AWS::SageMaker::Endpoint' && attribute === 'EndpointName') return id;
  if (type === 'AWS::SQS::Queue' && attribute === 'QueueName') return id;
  return `${id}.${attribute}`;
}

/**
 * A resolver of the template's intrinsic functions (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`,
 * `Fn::Select`, `Fn::Split`, `Fn::GetAZs`) to placeholder values, the same value for the same
 * token everywhere: an environment variable naming a table and a policy naming its ARN agree.
 */
export function templateResolver(template: { Resources: Resources }): (value: unknown) => unknown {
  const resources = template.Resources;
  const pseudo: Readonly<Record<string, string>> = {
    'AWS::Partition': partition,
    'AWS::Region': region,
    'AWS::AccountId': account,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'RecoStack',
    'AWS::StackId': `arn:${partition}:cloudformation:${region}:${account}:stack/RecoStack/id`,
    'AWS::NoValue': '',
  };
  const ref = (name: string): string => {
    const value = pseudo[name] ?? (resources[name] ? refOf(resources[name].Type, name) : undefined);
    if (value === undefined) throw new Error(`unresolvable Ref ${name}`);
    return value;
  };
  const getAtt = (id: string, attribute: string): string => {
    const resource = resources[id];
    if (resource === undefined) throw new Error(`unresolvable Fn::GetAtt ${id}.${attribute}`);
    return attributeOf(resource.Type, id, attribute);
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first !== undefined) {
      const [fn, args] = first;
      switch (fn) {
        case 'Ref':
          return ref(args as string);
        case 'Fn::GetAtt': {
          const [id, attribute] = (Array.isArray(args) ? args : String(args).split('.')) as [string, string];
          return getAtt(id, attribute);
        }
        case 'Fn::Join': {
          const [separator, parts] = args as [string, unknown[]];
          return (resolve(parts) as unknown[]).flat().join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = args as [unknown, unknown];
          return (resolve(list) as unknown[])[Number(resolve(index))];
        }
        case 'Fn::Split': {
          const [separator, source] = args as [string, unknown];
          return String(resolve(source)).split(separator);
        }
        case 'Fn::GetAZs':
          return [`${region}a`, `${region}b`];
        case 'Fn::Sub': {
          const [text, variables = {}] = (Array.isArray(args) ? args : [args, {}]) as [string, Record<string, unknown>];
          return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
            if (name in variables) return String(resolve(variables[name]));
            const [id, attribute] = name.split('.') as [string, string | undefined];
            return attribute === undefined ? ref(id) : getAtt(id, attribute);
          });
        }
        default:
          if (fn.startsWith('Fn::')) throw new Error(`unresolvable ${fn}`);
      }
    }
    return Object.fromEntries(entries.map(([key, inner]) => [key, resolve(inner)]));
  };
  return resolve;
}

/** One call a handler made: the client's IAM service prefix, the command and its input. */
export interface AwsCall {
  readonly service: string;
  readonly command: string;
  readonly input: Record<string, unknown>;
}

/** One request IAM authorises: an action on a resource, with the request's condition keys. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string | string[]>>;
}

/** The IAM action of each command class the functions use; a command missing here fails the guard. */
const ACTIONS = new Map<unknown, string>([
  [GetCommand, 'dynamodb:GetItem'],
  [PutCommand, 'dynamodb:PutItem'],
  [UpdateCommand, 'dynamodb:UpdateItem'],
  [DeleteCommand, 'dynamodb:DeleteItem'],
  [QueryCommand, 'dynamodb:Query'],
  [ScanCommand, 'dynamodb:Scan'],
  [BatchGetCommand, 'dynamodb:BatchGetItem'],
  [BatchWriteCommand, 'dynamodb:BatchWriteItem'],
  [GetItemCommand, 'dynamodb:GetItem'],
  [PutItemCommand, 'dynamodb:PutItem'],
  [UpdateItemCommand, 'dynamodb:UpdateItem'],
  [DeleteItemCommand, 'dynamodb:DeleteItem'],
  [QueryItemsCommand, 'dynamodb:Query'],
  [ScanItemsCommand, 'dynamodb:Scan'],
  [BatchGetItemCommand, 'dynamodb:BatchGetItem'],
  [BatchWriteItemCommand, 'dynamodb:BatchWriteItem'],
  [PutRecordCommand, 'kinesis:PutRecord'],
  [PutRecordsCommand, 'kinesis:PutRecords'],
  // SQS authorises a batch send as SendMessage.
  [SendMessageCommand, 'sqs:SendMessage'],
  [SendMessageBatchCommand, 'sqs:SendMessage'],
  [GetSecretValueCommand, 'secretsmanager:GetSecretValue'],
  [DescribeSecretCommand, 'secretsmanager:DescribeSecret'],
  [InvokeEndpointCommand, 'sagemaker:InvokeEndpoint'],
]);

/** The clients whose calls are recorded, with the IAM service prefix of each. */
export const RECORDED_CLIENTS = [
  { client: DynamoDBDocumentClient, service: 'dynamodb', sdkPackage: '@aws-sdk/lib-dynamodb' },
  { client: DynamoDBClient, service: 'dynamodb', sdkPackage: '@aws-sdk/client-dynamodb' },
  { client: KinesisClient, service: 'kinesis', sdkPackage: '@aws-sdk/client-kinesis' },
  { client: SQSClient, service: 'sqs', sdkPackage: '@aws-sdk/client-sqs' },
  { client: SecretsManagerClient, service: 'secretsmanager', sdkPackage: '@aws-sdk/client-secrets-manager' },
  { client: SageMakerRuntimeClient, service: 'sagemaker', sdkPackage: '@aws-sdk/client-sagemaker-runtime' },
] as const;

type ClientMock = ReturnType<typeof mockClient>;

/**
 * Mocks every client of {@link RECORDED_CLIENTS} (answering `{}` unless a test says otherwise)
 * and returns the mocks, by IAM service prefix of the client, and every call they received.
 */
export function recordAwsCalls(): {
  readonly mocks: {
    readonly documents: ClientMock;
    readonly kinesis: ClientMock;
    readonly sqs: ClientMock;
    readonly secrets: ClientMock;
    readonly sageMaker: ClientMock;
  };
  readonly calls: () => AwsCall[];
  readonly reset: () => void;
} {
  const mocks = RECORDED_CLIENTS.map(({ client, service }) => ({ mock: mockClient(client as never), service }));
  const reset = () => {
    for (const { mock } of mocks) {
      mock.reset();
      mock.onAnyCommand().resolves({});
    }
  };
  reset();
  const mockOf = (index: number) => (mocks[index] as { mock: ClientMock }).mock;
  return {
    mocks: {
      documents: mockOf(0),
      kinesis: mockOf(2),
      sqs: mockOf(3),
      secrets: mockOf(4),
      sageMaker: mockOf(5),
    },
    calls: () =>
      mocks.flatMap(({ mock, service }) =>
        mock.calls().map((call) => {
          const command = call.args[0] as { constructor: unknown; input: Record<string, unknown> };
          const action = ACTIONS.get(command.constructor);
          const name = (command.constructor as { name: string }).name;
          if (action === undefined) throw new Error(`no IAM action known for ${service} ${name}: add it to ACTIONS`);
          return { service, command: action, input: command.input };
        }),
      ),
    reset,
  };
}

const arn = (service: string, resource: string) => `arn:${partition}:${service}:${region}:${account}:${resource}`;

/** The partition-key values a DynamoDB request touches, for `dynamodb:LeadingKeys`. */
function leadingKeys(pk: string, keys: readonly Record<string, unknown>[]): string[] {
  return [...new Set(keys.map((key) => String(key[pk])))];
}

/** The value a Query's key condition binds to its partition key (`#pk = :pk`, first term). */
function queriedPartition(input: Record<string, unknown>): string {
  const condition = String(input.KeyConditionExpression ?? '');
  const match = /^\s*(\S+)\s*=\s*(:\w+)/.exec(condition);
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  if (match?.[2] === undefined || !(match[2] in values)) throw new Error(`unreadable key condition ${condition}`);
  return String(values[match[2]]);
}

/**
 * The IAM requests of one call. DynamoDB requests carry `dynamodb:LeadingKeys` (the partition-key
 * values of every item they touch); a batch is one request per table it names.
 */
export function iamRequestsOf(call: AwsCall, partitionKey: string): IamRequest[] {
  const { command: action, input } = call;
  const table = (name: unknown) => arn('dynamodb', `table/${String(name)}`);
  switch (action) {
    case 'dynamodb:GetItem':
    case 'dynamodb:UpdateItem':
    case 'dynamodb:DeleteItem':
      return [
        {
          action,
          resource: table(input.TableName),
          context: { 'dynamodb:LeadingKeys': leadingKeys(partitionKey, [input.Key as Record<string, unknown>]) },
        },
      ];
    case 'dynamodb:PutItem':
      return [
        {
          action,
          resource: table(input.TableName),
          context: { 'dynamodb:LeadingKeys': leadingKeys(partitionKey, [input.Item as Record<string, unknown>]) },
        },
      ];
    case 'dynamodb:Query':
      return [
        {
          action,
          resource:
            input.IndexName === undefined
              ? table(input.TableName)
              : `${table(input.TableName)}/index/${String(input.IndexName)}`,
          context: { 'dynamodb:LeadingKeys': [queriedPartition(input)] },
        },
      ];
    case 'dynamodb:BatchGetItem':
      return Object.entries(input.RequestItems as Record<string, { Keys: Record<string, unknown>[] }>).map(
        ([name, { Keys }]) => ({
          action,
          resource: table(name),
          context: { 'dynamodb:LeadingKeys': leadingKeys(partitionKey, Keys) },
        }),
      );
    case 'dynamodb:BatchWriteItem':
      return Object.entries(
        input.RequestItems as Record<
          string,
          { PutRequest?: { Item: Record<string, unknown> }; DeleteRequest?: { Key: Record<string, unknown> } }[]
        >,
      ).map(([name, requests]) => ({
        action,
        resource: table(name),
        context: {
          'dynamodb:LeadingKeys': leadingKeys(
            partitionKey,
            requests.map((request) => request.PutRequest?.Item ?? request.DeleteRequest?.Key ?? {}),
          ),
        },
      }));
    case 'kinesis:PutRecord':
    case 'kinesis:PutRecords':
      return [{ action, resource: arn('kinesis', `stream/${String(input.StreamName)}`), context: {} }];
    case 'sqs:SendMessage': {
      const [, , , queueAccount, queueName] = String(input.QueueUrl).split('/');
      return [{ action, resource: `arn:${partition}:sqs:${region}:${queueAccount}:${queueName}`, context: {} }];
    }
    case 'secretsmanager:GetSecretValue':
    case 'secretsmanager:DescribeSecret':
      return [{ action, resource: String(input.SecretId), context: {} }];
    case 'sagemaker:InvokeEndpoint':
      // Endpoint ARNs hold the name in lower case.
      return [
        { action, resource: arn('sagemaker', `endpoint/${String(input.EndpointName).toLowerCase()}`), context: {} },
      ];
    default:
      throw new Error(`no resource mapping for ${action}: add it to iamRequestsOf`);
  }
}

/** A policy document as the evaluator reads it. */
export type PolicyDocument = Readonly<Record<string, unknown>>;

/**
 * An endpoint policy with `Principal: {"AWS": "*"}` (how the CDK writes `AnyPrincipal`) written as
 * `"*"`: IAM treats the two alike, and the evaluator accepts only the second in endpoint policies.
 */
export function asEndpointPolicy(policy: PolicyDocument): PolicyDocument {
  const statements = policy.Statement as Record<string, unknown>[];
  return {
    ...policy,
    Statement: statements.map((statement) =>
      JSON.stringify(statement.Principal) === JSON.stringify({ AWS: '*' })
        ? { ...statement, Principal: '*' }
        : statement,
    ),
  };
}

/** The evaluator's verdict on one request, with the policies that took part. */
export async function evaluateRequest(
  request: IamRequest,
  policies: {
    readonly principal: string;
    readonly identityPolicies: readonly PolicyDocument[];
    readonly vpcEndpointPolicies?: readonly PolicyDocument[];
  },
): Promise<EvaluationResult> {
  const result = await runSimulation(
    {
      request: {
        principal: policies.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: account },
        contextVariables: { ...request.context },
      },
      identityPolicies: policies.identityPolicies.map((policy, i) => ({ name: `identity-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(policies.vpcEndpointPolicies === undefined
        ? {}
        : {
            vpcEndpointPolicies: policies.vpcEndpointPolicies.map((policy, i) => ({
              name: `endpoint-${i}`,
              policy: asEndpointPolicy(policy),
            })),
          }),
    },
    { simulationMode: 'Strict' },
  );
  if (result.resultType === 'error') {
    throw new Error(`the evaluator refused the request: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult;
}
