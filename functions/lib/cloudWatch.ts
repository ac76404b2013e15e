import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { keepAliveHandler } from './httpHandler.ts';

let client: CloudWatchClient | undefined;

/** The CloudWatch client, made on first use: only `GET /v1/admin/stats` of the admin function calls it. */
export const cloudWatchClient = (): CloudWatchClient =>
  (client ??= new CloudWatchClient({ requestHandler: keepAliveHandler() }));
