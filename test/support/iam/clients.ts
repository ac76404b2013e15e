import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** One AWS SDK client class the functions use, and what IAM and the VPC see of its calls. */
export interface KnownClient {
  /** The class's prototype, to tell which client sent a command. */
  readonly prototype: object;
  /** How calls name it: the class name. */
  readonly name: string;
  /** The npm package the client and its command classes come from. */
  readonly sdkPackage: string;
  /** IAM service prefix of its actions. */
  readonly iamPrefix: string;
  /** The last part of its VPC endpoint service name (`com.amazonaws.<region>.<this>`). */
  readonly endpointService: string;
}

/**
 * Every client whose calls are recorded and mapped to IAM. A call from any other client fails the
 * guard: add the client here (and its commands to `requests.ts`) first.
 */
export const KNOWN_CLIENTS: readonly KnownClient[] = [
  {
    prototype: DynamoDBDocumentClient.prototype,
    name: 'DynamoDBDocumentClient',
    sdkPackage: '@aws-sdk/lib-dynamodb',
    iamPrefix: 'dynamodb',
    endpointService: 'dynamodb',
  },
  {
    prototype: DynamoDBClient.prototype,
    name: 'DynamoDBClient',
    sdkPackage: '@aws-sdk/client-dynamodb',
    iamPrefix: 'dynamodb',
    endpointService: 'dynamodb',
  },
  {
    prototype: KinesisClient.prototype,
    name: 'KinesisClient',
    sdkPackage: '@aws-sdk/client-kinesis',
    iamPrefix: 'kinesis',
    endpointService: 'kinesis-streams',
  },
  {
    prototype: SQSClient.prototype,
    name: 'SQSClient',
    sdkPackage: '@aws-sdk/client-sqs',
    iamPrefix: 'sqs',
    endpointService: 'sqs',
  },
  {
    prototype: SecretsManagerClient.prototype,
    name: 'SecretsManagerClient',
    sdkPackage: '@aws-sdk/client-secrets-manager',
    iamPrefix: 'secretsmanager',
    endpointService: 'secretsmanager',
  },
  {
    prototype: SageMakerRuntimeClient.prototype,
    name: 'SageMakerRuntimeClient',
    sdkPackage: '@aws-sdk/client-sagemaker-runtime',
    iamPrefix: 'sagemaker',
    endpointService: 'sagemaker.runtime',
  },
  {
    prototype: SageMakerClient.prototype,
    name: 'SageMakerClient',
    sdkPackage: '@aws-sdk/client-sagemaker',
    iamPrefix: 'sagemaker',
    endpointService: 'sagemaker.api',
  },
  {
    prototype: S3Client.prototype,
    name: 'S3Client',
    sdkPackage: '@aws-sdk/client-s3',
    iamPrefix: 's3',
    endpointService: 's3',
  },
  {
    prototype: SFNClient.prototype,
    name: 'SFNClient',
    sdkPackage: '@aws-sdk/client-sfn',
    iamPrefix: 'states',
    endpointService: 'states',
  },
  {
    prototype: CloudWatchClient.prototype,
    name: 'CloudWatchClient',
    sdkPackage: '@aws-sdk/client-cloudwatch',
    iamPrefix: 'cloudwatch',
    endpointService: 'monitoring',
  },
];

export function knownClient(name: string): KnownClient {
  const client = KNOWN_CLIENTS.find((candidate) => candidate.name === name);
  if (client === undefined) throw new Error(`calls of ${name} are not mapped to IAM: add it to KNOWN_CLIENTS`);
  return client;
}
