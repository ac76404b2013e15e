/**
 * `reco dashboard`: the live dashboard of a deployed stack, served on this machine. The page's
 * stats calls go through a local proxy that signs them (SigV4, `execute-api`) with the operator's
 * own AWS credentials, which need `execute-api:Invoke` on `GET /v1/admin/stats`; nothing of them
 * reaches the page.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { dashboardSite } from '../web/dashboard/site.ts';
import { serverApiUrlFlag, UsageError, type CliIo } from './flags.ts';
import { fetchServerApi, MissingCredentialsError, regionOf, type ServerApiOptions } from './serverApi.ts';

/** The stats route, as `shared/stats/report.ts` describes its answer. */
const STATS_PATH = '/v1/admin/stats';
/** Longest wait for the stats route; the page shows the error and polls again. */
const STATS_TIMEOUT_MS = 15_000;
const DEFAULT_PORT = 8080;

export interface DashboardFlags {
  /** The server API's base URL, without `/v1`. */
  readonly api: string;
  readonly port: number;
  readonly region: string;
}

type Values = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** Checks the flags, each error naming its flag; `--api` falls back to RECO_SERVER_API_URL. */
export function dashboardFlags(values: Values, env: NodeJS.ProcessEnv = process.env): DashboardFlags {
  const url = serverApiUrlFlag(values, env);
  const portText = typeof values.port === 'string' ? values.port : String(DEFAULT_PORT);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65_535) {
    throw new UsageError(`--port must be a port number from 0 to 65535 (0: any free port), got "${portText}"`);
  }
  const region = typeof values.region === 'string' ? values.region : regionOf(url, env);
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new UsageError(`--region must be an AWS region such as eu-west-1, got "${region}"`);
  }
  return { api: url.href.replace(/\/$/, ''), port: Number(portText), region };
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * Whether a request's `Host` names this server: a page on another site whose name is rebound to
 * 127.0.0.1 (DNS rebinding) is same-origin with the proxy and would read stats signed with the
 * operator's credentials; its requests carry its own name.
 */
export function isOwnHost(host: string | undefined, port: number): boolean {
  const name = (host ?? '').toLowerCase();
  return LOOPBACK_NAMES.some((own) => name === `${own}:${port}` || (port === 80 && name === own));
}

/** The credentials to sign with, resolved once up front so a missing one is said before serving. */
async function credentialsOf(): Promise<AwsCredentialIdentityProvider> {
  const provider = defaultProvider();
  try {
    await provider();
  } catch (error) {
    if ((error as { name?: string }).name === 'CredentialsProviderError') throw new MissingCredentialsError();
    throw error;
  }
  return provider;
}

async function listen(server: Server, port: number): Promise<number> {
  try {
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new UsageError(`--port ${port} is in use on 127.0.0.1; pass another --port (0 picks a free one)`);
    }
    throw error;
  }
  return (server.address() as AddressInfo).port;
}

/** Serves the dashboard on 127.0.0.1 until SIGINT or SIGTERM. */
export async function dashboardCommand(values: Values, io: CliIo): Promise<void> {
  const flags = dashboardFlags(values);
  const api: ServerApiOptions = { url: flags.api, region: flags.region, credentials: await credentialsOf() };
  const site = dashboardSite({
    basePath: '',
    fetchStats: (query) =>
      fetchServerApi(api, {
        method: 'GET',
        path: query === '' ? STATS_PATH : `${STATS_PATH}?${query}`,
        signal: AbortSignal.timeout(STATS_TIMEOUT_MS),
      }),
  });
  let port = flags.port;
  const server = createServer((req, res) => {
    if (!isOwnHost(req.headers.host, port)) {
      res.writeHead(403, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ reason: 'host_not_allowed', message: `open http://127.0.0.1:${port}/` }));
      return;
    }
    site(req, res).catch((error: unknown) => {
      io.stderr.write(`reco dashboard: ${req.method} ${req.url} failed: ${(error as Error).message}\n`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  port = await listen(server, flags.port);
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  io.stderr.write(`reco dashboard: stats from ${flags.api} (${flags.region}), signed with your AWS credentials\n`);
  io.stdout.write(`http://127.0.0.1:${port}/\n`);
  const signal = await stopped;
  io.stderr.write(`reco dashboard: ${signal}, stopping\n`);
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
