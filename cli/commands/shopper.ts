/** `reco erase` and `reco user-token`: one shopper, through the server API, signed with SigV4. */
import { callServerApi, type ServerApiOptions } from '../serverApi.ts';
import { serverApiUrlFlag, UsageError, type CliIo, type Values } from '../flags.ts';

/** The server API's base URL and region from the flags, else RECO_SERVER_API_URL. */
function serverApiOf(values: Values): ServerApiOptions {
  const url = serverApiUrlFlag(values).href.replace(/\/$/, '');
  const region = values.region;
  // An empty region would sign for no region at all: every call then fails as invalid_signature.
  if (region === '') throw new UsageError('--region must name a region, such as eu-west-1');
  return { url, ...(typeof region === 'string' ? { region } : {}) };
}

/** `--ttl`: whole decimal seconds; the API checks the range. `Number` would read '' as 0 and 0x10 as 16. */
function ttlOf(values: Values): number | undefined {
  const text = values.ttl;
  if (typeof text !== 'string') return undefined;
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`--ttl must be a whole number of seconds, got "${text}"`);
  return Number(text);
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
  const ttl = ttlOf(values);
  const result = await callServerApi(serverApiOf(values), {
    method: 'POST',
    path: '/v1/admin/user-tokens',
    body: { userId: user, ...(ttl === undefined ? {} : { ttlSeconds: ttl }) },
  });
  io.stdout.write(`${JSON.stringify(result)}\n`);
}
