import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { signSigV4, verifySigV4 } from '#local/sigv4.ts';

/** The credentials and scope of the AWS SigV4 test suite (get-vanilla, post-x-www-form-urlencoded). */
const EXAMPLE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SUITE_SCOPE = { region: 'us-east-1', service: 'service' };
const SUITE_NOW = Date.UTC(2015, 7, 30, 12, 36);
const credential = 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';
const SCOPE = { region: 'us-east-1', service: 'execute-api' };

/** A request of the test suite, signed in its Authorization header with the suite's published signature. */
const suiteRequest = (
  request: { method: string; target: string; signedHeaders: string; signature: string; body?: string },
  headers: Record<string, string> = {},
) => ({
  method: request.method,
  target: request.target,
  headers: {
    ...headers,
    host: 'example.amazonaws.com',
    'x-amz-date': '20150830T123600Z',
    authorization:
      `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=${request.signedHeaders}, ` +
      `Signature=${request.signature}`,
  },
  body: Buffer.from(request.body ?? ''),
});

/** A presigned URL's target for `GET /v1/ready` on localhost:3000, as the AWS SDK's signer presigns it. */
async function presignedTarget(expiresIn: number, now: number, credentials = EXAMPLE): Promise<string> {
  const signer = new SignatureV4({ credentials, ...SCOPE, sha256: Hash.bind(null, 'sha256') });
  const url = await signer.presign(
    {
      method: 'GET',
      protocol: 'http:',
      hostname: 'localhost',
      port: 3000,
      path: '/v1/ready',
      headers: { host: 'localhost:3000' },
    },
    { signingDate: new Date(now), expiresIn },
  );
  return `/v1/ready?${new URLSearchParams(url.query as Record<string, string>).toString()}`;
}

describe('Function: verifySigV4', () => {
  it("returns ok for the AWS test suite's requests and their published signatures", async () => {
    // Prepare: get-vanilla, get-vanilla-query-order-key-case (query sorted by name) and
    // post-x-www-form-urlencoded (a signed content-type, the body hashed).
    const options = { credentials: [EXAMPLE], scope: SUITE_SCOPE, now: SUITE_NOW };
    const requests = [
      suiteRequest({
        method: 'GET',
        target: '/',
        signedHeaders: 'host;x-amz-date',
        signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      }),
      suiteRequest({
        method: 'GET',
        target: '/?Param2=value2&Param1=value1',
        signedHeaders: 'host;x-amz-date',
        signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
      }),
      suiteRequest(
        {
          method: 'POST',
          target: '/',
          signedHeaders: 'content-type;host;x-amz-date',
          signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
          body: 'Param1=value1',
        },
        { 'content-type': 'application/x-www-form-urlencoded' },
      ),
    ];

    // Act
    const verdicts = await Promise.all(requests.map((request) => verifySigV4(request, options)));

    // Assess
    expect(verdicts).toEqual(requests.map(() => ({ ok: true, accessKeyId: 'AKIDEXAMPLE' })));
  });

  it('returns invalidSignature when one character of the signature differs, or the scope is another service', async () => {
    // Prepare
    const headers = (signature: string, scope = credential) => ({
      host: 'example.amazonaws.com',
      'x-amz-date': '20150830T123600Z',
      authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date, Signature=${signature}`,
    });
    const good = '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31';
    const options = { credentials: [EXAMPLE], scope: SUITE_SCOPE, now: SUITE_NOW };

    // Act
    const flipped = await verifySigV4(
      { method: 'GET', target: '/', headers: headers(`${good.slice(0, -1)}0`), body: Buffer.alloc(0) },
      options,
    );
    const otherService = await verifySigV4(
      {
        method: 'GET',
        target: '/',
        headers: headers(good, 'AKIDEXAMPLE/20150830/us-east-1/execute-api/aws4_request'),
        body: Buffer.alloc(0),
      },
      options,
    );

    // Assess
    expect(flipped).toMatchObject({ ok: false, failure: 'invalidSignature' });
    expect(otherService).toMatchObject({ ok: false, failure: 'invalidSignature' });
  });

  it('returns invalidSignature for a key it does not know, and for a signature missing a part', async () => {
    // Prepare: the published get-vanilla signature, checked without its key; then without a Signature.
    const request = suiteRequest({
      method: 'GET',
      target: '/',
      signedHeaders: 'host;x-amz-date',
      signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    });
    const options = { scope: SUITE_SCOPE, now: SUITE_NOW };
    const partial = {
      ...request,
      headers: { ...request.headers, authorization: `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host` },
    };

    // Act
    const unknownKey = await verifySigV4(request, {
      ...options,
      credentials: [{ ...EXAMPLE, accessKeyId: 'AKIDOTHER' }],
    });
    const missingSignature = await verifySigV4(partial, { ...options, credentials: [EXAMPLE] });

    // Assess
    expect(unknownKey).toMatchObject({ ok: false, failure: 'invalidSignature' });
    expect(missingSignature).toEqual({
      ok: false,
      failure: 'invalidSignature',
      detail: 'the signature needs Credential, SignedHeaders and Signature',
    });
  });

  it('returns ok for what signSigV4 signs, with a percent-encoded path, repeated and unsorted query values', async () => {
    // Prepare
    const url = 'http://localhost:3000/v1/users/a%20b/recommendations?z=1&a=2&a=1&q=x%2By';
    const body = '{"x":1}';
    const now = Date.now();
    const headers = await signSigV4(
      { method: 'POST', url, headers: { 'content-type': 'application/json' }, body },
      EXAMPLE,
      SCOPE,
      now,
    );

    // Act
    const verdict = await verifySigV4(
      {
        method: 'POST',
        target: '/v1/users/a%20b/recommendations?z=1&a=2&a=1&q=x%2By',
        headers: { ...headers, host: 'localhost:3000' },
        body: Buffer.from(body),
      },
      { credentials: [EXAMPLE], scope: SCOPE, now },
    );

    // Assess
    expect(verdict).toEqual({ ok: true, accessKeyId: 'AKIDEXAMPLE' });
  });

  it('returns invalidSignature when the body changed but its signed x-amz-content-sha256 did not', async () => {
    // Prepare: the signer trusts that header as the body's hash, so only the verifier's own check catches this.
    const now = Date.now();
    const headers = await signSigV4(
      { method: 'POST', url: 'http://localhost:3000/v1/admin/user-tokens', headers: {}, body: '{"userId":"u1"}' },
      EXAMPLE,
      SCOPE,
      now,
    );
    const request = {
      method: 'POST',
      target: '/v1/admin/user-tokens',
      headers: { ...headers, host: 'localhost:3000' },
    };
    const options = { credentials: [EXAMPLE], scope: SCOPE, now };

    // Act
    const same = await verifySigV4({ ...request, body: Buffer.from('{"userId":"u1"}') }, options);
    const changed = await verifySigV4({ ...request, body: Buffer.from('{"userId":"u2"}') }, options);

    // Assess
    expect(same).toEqual({ ok: true, accessKeyId: 'AKIDEXAMPLE' });
    expect(changed).toMatchObject({ ok: false, failure: 'invalidSignature' });
  });

  it('returns expiredCredentials for a header signature dated 6 minutes off, and ok at 4 minutes', async () => {
    // Prepare
    const now = Date.now();
    const signedAt = (offsetMs: number) =>
      signSigV4(
        { method: 'GET', url: 'http://localhost:3000/v1/ready', headers: {}, body: '' },
        EXAMPLE,
        SCOPE,
        now + offsetMs,
      );
    const verify = async (offsetMs: number) =>
      verifySigV4(
        {
          method: 'GET',
          target: '/v1/ready',
          headers: { ...(await signedAt(offsetMs)), host: 'localhost:3000' },
          body: Buffer.alloc(0),
        },
        { credentials: [EXAMPLE], scope: SCOPE, now },
      );

    // Act
    const verdicts = await Promise.all([-6, 6, -4, 4].map((minutes) => verify(minutes * 60 * 1000)));

    // Assess
    expect(verdicts).toEqual([
      expect.objectContaining({ ok: false, failure: 'expiredCredentials' }),
      expect.objectContaining({ ok: false, failure: 'expiredCredentials' }),
      { ok: true, accessKeyId: 'AKIDEXAMPLE' },
      { ok: true, accessKeyId: 'AKIDEXAMPLE' },
    ]);
  });

  it("returns ok for a URL the AWS SDK's signer presigned until X-Amz-Expires, then expiredCredentials", async () => {
    // Prepare
    const now = Date.now();
    const request = (target: string) => ({
      method: 'GET',
      target,
      headers: { host: 'localhost:3000' },
      body: Buffer.alloc(0),
    });
    const options = { credentials: [EXAMPLE], scope: SCOPE, now };

    // Act
    const valid = await verifySigV4(request(await presignedTarget(60, now - 30_000)), options);
    const expired = await verifySigV4(request(await presignedTarget(60, now - 120_000)), options);
    const wrongSecret = await verifySigV4(
      request(await presignedTarget(60, now, { ...EXAMPLE, secretAccessKey: 'a-guess' })),
      options,
    );

    // Assess
    expect(valid).toEqual({ ok: true, accessKeyId: 'AKIDEXAMPLE' });
    expect(expired).toMatchObject({ ok: false, failure: 'expiredCredentials' });
    expect(wrongSecret).toMatchObject({ ok: false, failure: 'invalidSignature' });
  });
});

describe('Function: verifySigV4 (SignedHeaders from the sender)', () => {
  it.each(['constructor', 'content-type'])(
    'returns invalidSignature for SignedHeaders naming %s, a header the request does not carry',
    async (name) => {
      // Prepare: the published get-vanilla signature, its SignedHeaders claiming one more header.
      const signedHeaders = [name, 'host', 'x-amz-date'].sort().join(';');
      const request = suiteRequest({
        method: 'GET',
        target: '/',
        signedHeaders,
        signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      });

      // Act
      const verdict = await verifySigV4(request, { credentials: [EXAMPLE], scope: SUITE_SCOPE, now: SUITE_NOW });

      // Assess
      expect(verdict).toEqual({
        ok: false,
        failure: 'invalidSignature',
        detail: `SignedHeaders names ${name}, which the request does not carry`,
      });
    },
  );
});
