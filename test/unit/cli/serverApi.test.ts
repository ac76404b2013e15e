import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/reco.ts';
import { verifySigV4 } from '../../../local/sigv4.ts';
import {
  callServerApi,
  fetchServerApi,
  MissingCredentialsError,
  regionOf,
  ServerApiError,
} from '../../../cli/serverApi.ts';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

interface Received {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly signatureMatches: boolean;
}

/** Recomputes the SigV4 signature of a received request, as the server API checks it. */
async function signatureMatches(req: IncomingMessage, body: string): Promise<boolean> {
  const authorization = req.headers.authorization ?? '';
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  const amzDate = req.headers['x-amz-date'] as string;
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
  const headers = Object.fromEntries(signedHeaders.map((name) => [name, String(req.headers[name])]));
  const signer = new SignatureV4({
    service: 'execute-api',
    region: 'us-east-1',
    credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const resigned = await signer.sign(
    {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      ...(body === '' ? {} : { body }),
    },
    { signingDate },
  );
  return resigned.headers.authorization === authorization;
}

let server: Server;
let baseUrl: string;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      void signatureMatches(req, body).then((matches) => {
        received.push({ method: req.method ?? '', path: req.url ?? '', body, signatureMatches: matches });
        if (req.url?.includes('forbidden')) {
          res.writeHead(403, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ reason: 'access_denied', message: 'not allowed' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('Function: callServerApi', () => {
  it('returns the JSON answer of a request signed with SigV4 for execute-api, body included', async () => {
    // Act
    const answer = await callServerApi(
      { url: baseUrl, region: 'us-east-1', credentials },
      { method: 'POST', path: '/v1/admin/user-tokens', body: { userId: 'u1' } },
    );

    // Assess
    expect(answer).toEqual({ ok: true });
    expect(received.at(-1)).toEqual({
      method: 'POST',
      path: '/prod/v1/admin/user-tokens',
      body: '{"userId":"u1"}',
      signatureMatches: true,
    });
  });

  it('throws ServerApiError with the status and reason the API answered', async () => {
    // Act
    const call = callServerApi(
      { url: baseUrl, region: 'us-east-1', credentials },
      { method: 'DELETE', path: '/v1/forbidden' },
    );

    // Assess
    await expect(call).rejects.toBeInstanceOf(ServerApiError);
    await expect(call).rejects.toMatchObject({ status: 403, reason: 'access_denied' });
  });
});

describe('Function: fetchServerApi', () => {
  it('resolves with the response as it came, an error status included, the query signed', async () => {
    // Act
    const response = await fetchServerApi(
      { url: baseUrl, region: 'us-east-1', credentials },
      { method: 'GET', path: '/v1/forbidden?minutes=15' },
    );

    // Assess
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ reason: 'access_denied', message: 'not allowed' });
    expect(received.at(-1)).toEqual({
      method: 'GET',
      path: '/prod/v1/forbidden?minutes=15',
      body: '',
      signatureMatches: true,
    });
  });
});

describe('Function: callServerApi (no credentials)', () => {
  it('throws MissingCredentialsError saying how to set credentials when the chain finds none', async () => {
    // Prepare
    const none = async () => {
      throw Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      });
    };

    // Act
    const call = callServerApi(
      { url: baseUrl, region: 'us-east-1', credentials: none },
      { method: 'GET', path: '/v1/ready' },
    );

    // Assess
    await expect(call).rejects.toBeInstanceOf(MissingCredentialsError);
    await expect(call).rejects.toThrow(/AWS_PROFILE/);
  });
});

describe('Function: regionOf', () => {
  it('returns the region of an execute-api host, else AWS_REGION, else us-east-1', () => {
    // Act + Assess
    expect(regionOf(new URL('https://abc.execute-api.eu-west-1.amazonaws.com/prod'))).toBe('eu-west-1');
    expect(regionOf(new URL('http://localhost:3000'), { AWS_REGION: 'ap-south-1' })).toBe('ap-south-1');
    expect(regionOf(new URL('http://localhost:3000'), {})).toBe('us-east-1');
  });
});

describe('Command: reco erase', () => {
  it('returns exit code 2 naming --user when it is missing, and 2 naming --api when the URL is missing or not a base URL', async () => {
    // Prepare
    const out: string[] = [];
    const io = {
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: (text: string) => out.push(text) },
    };

    // Act
    const codes = [
      await main(['erase', '--api', baseUrl], io as never),
      await main(['erase', '--user', 'u1', '--api', 'not a url'], io as never),
      await main(['erase', '--user', 'u1', '--api', 'localhost:3000'], io as never),
      await main(['erase', '--user', 'u1', '--api', `${baseUrl}/v1`], io as never),
    ];

    // Assess
    expect(codes).toEqual([2, 2, 2, 2]);
    expect(out.join('')).toContain('--user ID is required');
    expect(out.join('')).toContain('--api must be an absolute URL');
    expect(out.join('')).toContain(
      '--api must start with https:// (or http:// for the local stack), got "localhost:3000"',
    );
    expect(out.join('')).toContain('--api must not end in /v1 (the routes add it)');
  });
});

describe('Command: reco user-token', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('prints the answer of a signed POST /v1/admin/user-tokens with the user and --ttl, and exits 0', async () => {
    // Prepare: credentials from the standard chain, as a user's shell sets them.
    vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', undefined);
    vi.stubEnv('AWS_PROFILE', undefined);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: (text: string) => err.push(text) },
    };

    // Act
    const code = await main(['user-token', '--user', 'u1', '--ttl', '600', '--api', baseUrl], io as never);

    // Assess
    expect([code, out.join(''), err.join('')]).toEqual([0, '{"ok":true}\n', '']);
    expect(received.at(-1)).toEqual({
      method: 'POST',
      path: '/prod/v1/admin/user-tokens',
      body: '{"userId":"u1","ttlSeconds":600}',
      signatureMatches: true,
    });
  });

  it("returns exit code 1 with the API's status and reason when it refuses, and 2 naming --ttl", async () => {
    // Prepare
    vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', undefined);
    vi.stubEnv('AWS_PROFILE', undefined);
    const err: string[] = [];
    const io = { stdout: { write: () => true }, stderr: { write: (text: string) => err.push(text) } };

    // Act
    const codes = [
      await main(['user-token', '--user', 'u1', '--api', `${baseUrl}/forbidden`], io as never),
      await main(['user-token', '--user', 'u1', '--ttl', '1.5', '--api', baseUrl], io as never),
    ];

    // Assess
    expect(codes).toEqual([1, 2]);
    expect(err).toEqual([
      'reco: the server API answered 403 access_denied: not allowed\n',
      'reco: --ttl must be a whole number of seconds, got "1.5"\nRun reco --help for usage.\n',
    ]);
  });
});

describe('Function: fetchServerApi (repeated query names)', () => {
  it("signs every value of a repeated query name, as the gateway's SigV4 check reads the query", async () => {
    // Prepare: the local gateway's own SigV4 check, which reads the query as sent.
    const verdicts: boolean[] = [];
    const checker = createServer((req, res) => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, value]));
      void verifySigV4(
        { method: req.method ?? 'GET', target: req.url ?? '/', headers, body: Buffer.alloc(0) },
        { credentials: [credentials], scope: { region: 'us-east-1', service: 'execute-api' }, now: Date.now() },
      ).then((verdict) => {
        verdicts.push(verdict.ok);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => checker.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(checker.address() as AddressInfo).port}`;

    // Act
    for (const path of ['/v1/x?minutes=2&minutes=1', '/v1/x?a=1&b=2&a=0', '/v1/x?q=a%20b', '/v1/x?__proto__=1']) {
      await (await fetchServerApi({ url, region: 'us-east-1', credentials }, { method: 'GET', path })).text();
    }
    await new Promise((resolve) => checker.close(resolve));

    // Assess
    expect(verdicts).toEqual([true, true, true, true]);
  });
});
