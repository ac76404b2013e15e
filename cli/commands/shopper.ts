/** `reco erase` and `reco user-token`: one shopper, through the server API, signed with SigV4. */
import { callServerApi, type ServerApiOptions } from '../serverApi.ts';
import { serverApiUrlFlag, UsageError, type CliIo, type Values } from '../flags.ts';

/** The server API's base URL and region from the flags, else RECO_SERVER_API_URL. */
function serverApiOf(values: Values): ServerApiOptions {
  const url = serverApiUrlFlag(values).href.replace(/\/$/, '');
  return { url, ...(typeof values.region === 'string' ? { region: values.region } : {}) };
}

function requiredUser(values: Values): string {
  const user = values.user;
  if (typeof user !== 'string' || user === '') throw new UsageError('--user ID is required');
  return user;
}

export async function eraseCommand(values: Values, io: CliIo): Promise<void> {
  const user = requiredUser(values);
  const result = await callServerApi(serverApiOf(values), {
    method: 'DELETE',
    path: `/v1/users/${encodeURIComponent(user)}`,
  });
  io.stdout.write(`${JSON.stringify(result)}\n`);
}

export async function userTokenCommand(values: Values, io: CliIo): Promise<void> {
  const user = requiredUser(values);
  const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
  if (ttl !== undefined && !Number.isInteger(ttl)) throw new UsageError('--ttl must be a whole number of seconds');
  const result = await callServerApi(serverApiOf(values), {
    method: 'POST',
    path: '/v1/admin/user-tokens',
    body: { userId: user, ...(ttl === undefined ? {} : { ttlSeconds: ttl }) },
  });
  io.stdout.write(`${JSON.stringify(result)}\n`);
}
