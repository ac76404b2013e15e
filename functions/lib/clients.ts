import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:https';
import { Agent as HttpAgent } from 'node:http';

/*
 * One client per service, created at cold start and reused across invocations. Endpoints come
 * from the SDK's standard settings (AWS_ENDPOINT_URL_DYNAMODB, ...), so the local stack points
 * these same clients at its stand-ins without a code change.
 */

const keepAlive = () =>
  new NodeHttpHandler({
    httpAgent: new HttpAgent({ keepAlive: true }),
    httpsAgent: new Agent({ keepAlive: true }),
  });

export const dynamoDb = new DynamoDBClient({ requestHandler: keepAlive() });

// HTTP/1.1 on purpose: we never use SubscribeToShard, and the local Kinesis stand-in does not
// speak the SDK's default HTTP/2 handler.
export const kinesis = new KinesisClient({ requestHandler: keepAlive() });

export const sqs = new SQSClient({ requestHandler: keepAlive() });
