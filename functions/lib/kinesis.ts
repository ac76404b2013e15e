import { KinesisClient } from '@aws-sdk/client-kinesis';
import { keepAliveHandler } from './httpHandler.ts';

// HTTP/1.1 on purpose: we never use SubscribeToShard, and the local Kinesis stand-in does not
// speak the SDK's default HTTP/2 handler.
export const kinesis = new KinesisClient({ requestHandler: keepAliveHandler() });
