import { SQSClient } from '@aws-sdk/client-sqs';
import { keepAliveHandler } from './httpHandler.ts';

export const sqs = new SQSClient({ requestHandler: keepAliveHandler() });
