import { SFNClient } from '@aws-sdk/client-sfn';
import { keepAliveHandler } from './httpHandler.ts';

let client: SFNClient | undefined;

/** The Step Functions client, made on first use: only the model routes of the admin function call it. */
export const sfnClient = (): SFNClient => (client ??= new SFNClient({ requestHandler: keepAliveHandler() }));
