import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { keepAliveHandler } from './httpHandler.ts';

export const dynamoDb = new DynamoDBClient({ requestHandler: keepAliveHandler() });
