import { describe, expect, it } from 'vitest';
import { signSigV4, verifySigV4 } from '#local/sigv4.ts';

/** The credentials and scope of the AWS SigV4 test suite (get-vanilla, post-x-www-form-urlencoded). */
const EXAMPLE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SUITE_SCOPE = { region: 'us-east-1', service: 'service' };
const SUITE_NOW = Date.UTC(2015, 7, 30, 12, 36);
const credential = 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';

describe('Function: verifySigV4', () => {
  it("returns ok for the AWS test suite's get-vanilla request and its published signature", () => {
    // Prepare
    const request = {
      method: 'GET',
      target: '/',
      headers: {
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        authorization:
          `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host;x-amz-date, ` +
          'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      },
      body: Buffer.alloc(0),
    };

    // Act
    const verdict = verifySigV4(request, { credentials: [EXAMPLE], scope: SUITE_SCOPE, now: SUITE_NOW });

    // Assess
    expect(verdict).toEqual({ ok: true, accessKeyId: 'AKIDEXAMPLE' });
  });

  it('returns invalidSignature when one character of the signature differs, or the scope is another service', () => {
    // Prepare
    const headers = (signature: string, scope = credential) => ({
      host: 'example.amazonaws.com',
      'x-amz-date': '20150830T123600Z',
      authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date, Signature=${signature}`,
    });
    const good = '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31';
    const options = { credentials: [EXAMPLE], scope: SUITE_SCOPE, now: SUITE_NOW };

    // Act
    const flipped = verifySigV4(
      { method: 'GET', target: '/', headers: headers(`${good.slice(0, -1)}0`), body: Buffer.alloc(0) },
      options,
    );
    const otherService = verifySigV4(
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

  it('returns ok for what signSigV4 signs, with a percent-encoded path, repeated and unsorted query values', () => {
    // Prepare
    const scope = { region: 'us-east-1', service: 'execute-api' };
    const url = 'http://localhost:3000/v1/users/a%20b/recommendations?z=1&a=2&a=1&q=x%2By';
    const body = '{"x":1}';
    const now = Date.now();
    const { host: _host, ...headers } = signSigV4(
      { method: 'POST', url, headers: { 'content-type': 'application/json' }, body },
      EXAMPLE,
      scope,
      now,
    );

    // Act
    const verdict = verifySigV4(
      {
        method: 'POST',
        target: '/v1/users/a%20b/recommendations?z=1&a=2&a=1&q=x%2By',
        headers: { ...headers, host: 'localhost:3000' },
        body: Buffer.from(body),
      },
      { credentials: [EXAMPLE], scope, now },
    );

    // Assess
    expect(verdict).toEqual({ ok: true, accessKeyId: 'AKIDEXAMPLE' });
  });
});
