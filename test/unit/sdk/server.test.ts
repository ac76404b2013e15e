import { describe, expect, it } from 'vitest';
import { verifySigV4 } from '#local/sigv4.ts';
import { createServerApi, RecoServerApiError, signRequest } from '../../../sdk/server.ts';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local-dev-secret' };
const scope = { region: 'us-east-1', service: 'execute-api' };

/** A fetch that records the request and answers `status` with `body`. */
function recorder(status: number, body: unknown) {
  const requests: { url: URL; method: string; headers: Record<string, string>; body: string }[] = [];
  const fetch = (async (url: URL, init: RequestInit) => {
    requests.push({
      url,
      method: init.method!,
      headers: init.headers as Record<string, string>,
      body: String(init.body ?? ''),
    });
    return new Response(JSON.stringify(body), { status });
  }) as typeof globalThis.fetch;
  return { requests, fetch };
}

describe('SDK server entry: SigV4', () => {
  it('signs a request as API Gateway checks it, session token and query included', async () => {
    // Prepare
    const url = new URL('https://api.example.test/prod/v1/users/a%20b/recommendations?count=3&category=x%2By');
    const now = Date.now();
    // Act
    const headers = signRequest({ method: 'GET', url, headers: {}, body: '', region: 'us-east-1', credentials, now });
    const verdict = await verifySigV4(
      {
        method: 'GET',
        target: `${url.pathname}${url.search}`,
        headers: { ...headers, host: url.host },
        body: Buffer.from(''),
      },
      { credentials: [credentials], scope, now },
    );
    // Assess
    expect(verdict).toEqual({ ok: true, accessKeyId: 'local' });
  });
});

describe('SDK server entry: the server API', () => {
  it('mints a user token with a signed POST /v1/admin/user-tokens', async () => {
    // Prepare
    const { requests, fetch } = recorder(200, { userId: 'u1', token: 't-1', expiresAt: 1_900_000_000 });
    const serverApi = createServerApi({ url: 'http://localhost:3000/', region: 'us-east-1', credentials, fetch });
    // Act
    const token = await serverApi.mintUserToken('u1', { ttlSeconds: 600 });
    // Assess
    expect(token).toEqual({ userId: 'u1', token: 't-1', expiresAt: 1_900_000_000 });
    const [request] = requests;
    expect(request?.url.href).toBe('http://localhost:3000/v1/admin/user-tokens');
    expect(JSON.parse(request!.body)).toEqual({ userId: 'u1', ttlSeconds: 600 });
    const verdict = await verifySigV4(
      {
        method: 'POST',
        target: request!.url.pathname,
        headers: { ...request!.headers, host: request!.url.host },
        body: Buffer.from(request!.body),
      },
      { credentials: [credentials], scope, now: Date.now() },
    );
    expect(verdict).toMatchObject({ ok: true });
  });

  it("rejects with the API's status and reason", async () => {
    // Prepare
    const denied = { reason: 'access_denied', message: 'no' };
    const serverApi = createServerApi({
      url: 'http://localhost:3000',
      credentials,
      fetch: recorder(403, denied).fetch,
    });
    // Act
    const error = await serverApi.mintUserToken('u1').catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(RecoServerApiError);
    expect(error).toMatchObject({ status: 403, reason: 'access_denied', message: 'no' });
  });

  it.each([0, 1e12, 1.5])('refuses timeoutMs %s', (timeoutMs) => {
    // Act / Assess
    expect(() => createServerApi({ url: 'https://x.example/prod', credentials, timeoutMs })).toThrow(
      /timeoutMs must be a whole number from 1 to 2147483647/,
    );
  });

  it('refuses a URL ending in /v1', () => {
    // Act / Assess
    expect(() => createServerApi({ url: 'https://x.example/prod/v1', credentials })).toThrow(/must not end in \/v1/);
  });
});
