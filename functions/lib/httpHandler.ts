import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/*
 * One client per service, each in its own module so a handler's bundle carries only the
 * clients it uses; created at cold start and reused across invocations. Endpoints come from the
 * SDK's standard settings (AWS_ENDPOINT_URL_DYNAMODB, ...), so the local stack points these same
 * clients at its stand-ins without a code change.
 */
export const keepAliveHandler = () =>
  new NodeHttpHandler({
    httpAgent: new HttpAgent({ keepAlive: true }),
    httpsAgent: new HttpsAgent({ keepAlive: true }),
  });
