import { describe, expect, it } from 'vitest';
import { api } from '#shared/config/index.ts';
import {
  checkCorsOrigins,
  corsGatewayErrorHeaders,
  corsPreflightHeaders,
  corsResponseHeaders,
  originOf,
  parseCorsOrigins,
} from '#shared/http/cors.ts';

const SHOP = 'https://shop.example';
const WWW = 'https://www.shop.example';
const EVIL = 'https://evil.example';

describe('Function: parseCorsOrigins', () => {
  it('returns the trimmed origins of a comma-separated list, empty entries left out', () => {
    // Act
    const origins = parseCorsOrigins(` ${SHOP} ,, ${WWW},http://localhost:8080 `, 'TEST');

    // Assess
    expect(origins).toEqual([SHOP, WWW, 'http://localhost:8080']);
  });

  it('returns * alone', () => {
    // Act + Assess
    expect(parseCorsOrigins('*', 'TEST')).toEqual(['*']);
  });

  it.each([
    ['nothing', ' , '],
    ['* with an origin', `*,${SHOP}`],
    ['a trailing slash', `${SHOP}/`],
    ['a path', `${SHOP}/cart`],
    ['an upper-case host', 'https://SHOP.example'],
    ['a default port', 'https://shop.example:443'],
    ['no scheme', 'shop.example'],
    ['an opaque origin', 'null'],
    ['a file URL', 'file:///index.html'],
  ])('throws for %s, naming the source', (_name, raw) => {
    // Act + Assess
    expect(() => parseCorsOrigins(raw, 'RECO_CORS_ORIGINS')).toThrow(/^RECO_CORS_ORIGINS: /);
  });

  it('throws with the origin a browser would send when the entry only differs in form', () => {
    // Act + Assess
    expect(() => checkCorsOrigins([`${SHOP}/`], 'TEST')).toThrow(`did you mean ${SHOP}?`);
  });
});

describe('Function: originOf', () => {
  it.each<[string, Record<string, string | undefined> | null | undefined, string | undefined]>([
    ['HTTP/1.1 (Origin)', { Origin: SHOP }, SHOP],
    ['HTTP/2 (origin)', { origin: SHOP }, SHOP],
    ['no Origin', { host: 'api.example' }, undefined],
    ['null headers', null, undefined],
  ])('returns the Origin of headers sent over %s', (_name, headers, expected) => {
    // Act + Assess
    expect(originOf(headers)).toBe(expected);
  });
});

describe('Function: corsResponseHeaders', () => {
  it('returns Allow-Origin * and the exposed headers for any request with [*], without Vary', () => {
    // Prepare
    const addCors = corsResponseHeaders(['*']);

    // Act
    const answers = [{ origin: EVIL }, {}, null].map((request) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      addCors(headers, request);
      return headers;
    });

    // Assess
    for (const headers of answers) {
      expect(headers).toEqual({
        'content-type': 'application/json',
        'access-control-allow-origin': '*',
        'access-control-expose-headers': 'x-cache,retry-after',
      });
    }
  });

  it('returns a listed origin echoed, with Vary: Origin and the exposed headers', () => {
    // Prepare
    const addCors = corsResponseHeaders([SHOP, WWW]);
    const headers: Record<string, string> = { 'x-cache': 'HIT' };

    // Act
    addCors(headers, { Origin: WWW });

    // Assess
    expect(headers).toEqual({
      'x-cache': 'HIT',
      vary: 'Origin',
      'access-control-allow-origin': WWW,
      'access-control-expose-headers': 'x-cache,retry-after',
    });
  });

  it.each<[string, Record<string, string> | null]>([
    ['an unlisted origin', { origin: EVIL }],
    ['a listed origin with another port', { origin: 'https://shop.example:8443' }],
    ['a listed origin with a trailing slash', { origin: `${SHOP}/` }],
    ['no Origin (a server)', {}],
    ['null headers', null],
  ])('returns no Allow-Origin for %s, only Vary: Origin', (_name, request) => {
    // Prepare
    const addCors = corsResponseHeaders([SHOP]);
    const headers: Record<string, string> = {};

    // Act
    addCors(headers, request);

    // Assess
    expect(headers).toEqual({ vary: 'Origin' });
  });
});

describe('Function: corsPreflightHeaders', () => {
  const allowed = {
    'access-control-allow-methods': 'POST,GET,PUT,DELETE',
    'access-control-allow-headers': 'content-type,x-api-key,x-reco-user-token',
    'access-control-max-age': String(api.cors.maxAgeSeconds),
  };

  it('returns the methods, headers and max age with Allow-Origin * for [*]', () => {
    // Act + Assess
    expect(corsPreflightHeaders(['*'], EVIL)).toEqual({ ...allowed, 'access-control-allow-origin': '*' });
  });

  it('returns a listed origin echoed with Vary: Origin', () => {
    // Act + Assess
    expect(corsPreflightHeaders([SHOP, WWW], WWW)).toEqual({
      ...allowed,
      'access-control-allow-origin': WWW,
      vary: 'Origin',
    });
  });

  it('returns no Allow-Origin for an unlisted origin', () => {
    // Act + Assess
    expect(corsPreflightHeaders([SHOP], EVIL)).toEqual({ ...allowed, vary: 'Origin' });
  });
});

describe('Function: corsGatewayErrorHeaders', () => {
  it('returns * for [*]', () => {
    // Act + Assess
    expect(corsGatewayErrorHeaders(['*'], EVIL)).toEqual({
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'x-cache,retry-after',
    });
  });

  it('returns the one listed origin, whatever the request origin, as a static gateway response value', () => {
    // Act + Assess
    for (const origin of [SHOP, EVIL, undefined]) {
      expect(corsGatewayErrorHeaders([SHOP], origin)).toEqual({
        'access-control-allow-origin': SHOP,
        vary: 'Origin',
        'access-control-expose-headers': 'x-cache,retry-after',
      });
    }
  });

  it('returns the request origin with several listed, as method.request.header.Origin maps it', () => {
    // Act + Assess
    expect(corsGatewayErrorHeaders([SHOP, WWW], EVIL)).toMatchObject({ 'access-control-allow-origin': EVIL });
    expect(corsGatewayErrorHeaders([SHOP, WWW], undefined)).toEqual({ vary: 'Origin' });
  });
});
