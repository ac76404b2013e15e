/**
 * Child process: the DynamoDB and Kinesis stand-ins on their own, as those services are in AWS:
 * the serving bench's stack process then spends its one core on the API and the handlers, not
 * on answering its own DynamoDB calls.
 *
 * Ready value: {@link StandInsProcessInfo}.
 */
import { startStandIns } from '#local/standins.ts';
import { failStart, serveParent } from './ipc.ts';

export interface StandInsProcessInfo {
  readonly dynamodbEndpoint: string;
  readonly kinesisEndpoint: string;
}

async function main(): Promise<void> {
  // Always fresh stand-ins of its own, whatever the shell points the SDK at.
  const env = { ...process.env };
  delete env.AWS_ENDPOINT_URL_DYNAMODB;
  delete env.AWS_ENDPOINT_URL_KINESIS;
  const standIns = await startStandIns(env);
  const info: StandInsProcessInfo = {
    dynamodbEndpoint: standIns.dynamodbEndpoint,
    kinesisEndpoint: standIns.kinesisEndpoint,
  };
  serveParent(info, {}, () => standIns.stop());
}

main().catch(failStart);
