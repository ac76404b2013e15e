import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * AWS Signature Version 4, as API Gateway checks it on an IAM-authorised API: the signature is
 * recomputed from the request (method, path, sorted query, the signed headers, the body's hash)
 * and the secret of the access key it names, then compared in constant time. The local gateway
 * verifies with it, and the local stack's own calls (catalogue upload, tests) sign with it.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Where a signature is valid: API Gateway's is the region and `execute-api`. */
export interface SigV4Scope {
  readonly region: string;
  readonly service: string;
}

/** A request as received: the target exactly as sent, headers by lower-case name with their raw values. */
export interface SigV4Request {
  readonly method: string;
  /** Path and query as on the request line, still percent-encoded. */
  readonly target: string;
  /** Lower-case names; repeated headers as a list of their values, in order. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Buffer;
}

/** Why a request's signature does not hold, by the gateway error API Gateway answers. */
export type SigV4Failure = 'invalidSignature' | 'expiredCredentials';

export type SigV4Verdict =
  | { readonly ok: true; readonly accessKeyId: string }
  | { readonly ok: false; readonly failure: SigV4Failure; readonly detail: string };

/** How far a header-signed request's date may be from the clock: API Gateway's 5 minutes. */
export const MAX_SIGNATURE_SKEW_MS = 5 * 60 * 1000;
/** Longest `X-Amz-Expires` of a presigned URL (7 days). */
const MAX_PRESIGNED_SECONDS = 7 * 24 * 60 * 60;

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding: everything but unreserved characters, as SigV4 wants it. */
const escape = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** `%XX` sequences decoded; a malformed one is kept as it is (the signer saw the same bytes). */
function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The canonical URI of services other than S3: dot segments removed, then every segment encoded
 * once more (so `%20` on the wire is `%2520` here), as the AWS SDKs sign it.
 */
function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = path.endsWith('/') && segments.length > 0 ? '/' : '';
  return `/${segments.map(escape).join('/')}${trailing}`;
}

/** The query's pairs as sent: split on `&` and `=`, percent-decoded (a `+` stays a `+`). */
function queryPairs(query: string): [string, string][] {
  if (query === '') return [];
  return query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const at = pair.indexOf('=');
      return at < 0 ? [decode(pair), ''] : [decode(pair.slice(0, at)), decode(pair.slice(at + 1))];
    });
}

/** Pairs encoded and sorted by name, then value (code-point order of the encoded text). */
function canonicalQuery(pairs: readonly (readonly [string, string])[]): string {
  return pairs
    .map(([name, value]) => [escape(name), escape(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

const trimValue = (value: string): string => value.trim().replace(/\s+/g, ' ');

function headerValue(headers: SigV4Request['headers'], name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? trimValue(value) : (value as readonly string[]).map(trimValue).join(',');
}

const splitTarget = (target: string): { path: string; query: string } => {
  const withoutFragment = target.split('#', 1)[0] as string;
  const at = withoutFragment.indexOf('?');
  return at < 0
    ? { path: withoutFragment, query: '' }
    : { path: withoutFragment.slice(0, at), query: withoutFragment.slice(at + 1) };
};

function signingKey(secret: string, day: string, scope: SigV4Scope): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, day), scope.region), scope.service), 'aws4_request');
}

interface SignatureInput {
  readonly method: string;
  readonly path: string;
  readonly query: readonly (readonly [string, string])[];
  readonly headers: SigV4Request['headers'];
  readonly signedHeaders: readonly string[];
  readonly payloadHash: string;
  readonly amzDate: string;
  readonly scope: SigV4Scope;
  readonly secret: string;
}

/** The signature (hex) of a request, per the four steps of SigV4. */
function signatureOf(input: SignatureInput): string {
  const canonicalHeaders = input.signedHeaders
    .map((name) => `${name}:${headerValue(input.headers, name) ?? ''}\n`)
    .join('');
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalPath(input.path),
    canonicalQuery(input.query),
    canonicalHeaders,
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
  const day = input.amzDate.slice(0, 8);
  const credentialScope = `${day}/${input.scope.region}/${input.scope.service}/aws4_request`;
  const stringToSign = [SIGV4_ALGORITHM, input.amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  return hmac(signingKey(input.secret, day, input.scope), stringToSign).toString('hex');
}

/** `20261207T101500Z` for a time. */
export const amzDateOf = (epochMs: number): string =>
  new Date(epochMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/** Epoch ms of an `x-amz-date` value; NaN when it is not `YYYYMMDDTHHMMSSZ`. */
function parseAmzDate(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s] = match;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
}

/** Whether a request carries SigV4 credentials at all, in the Authorization header or in the query. */
export function hasSigV4(request: Pick<SigV4Request, 'target' | 'headers'>): boolean {
  const authorization = headerValue(request.headers, 'authorization');
  if (authorization?.startsWith(`${SIGV4_ALGORITHM} `)) return true;
  const { query } = splitTarget(request.target);
  return queryPairs(query).some(([name]) => name === 'X-Amz-Algorithm' || name === 'X-Amz-Signature');
}

interface Presented {
  readonly accessKeyId: string;
  readonly day: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly amzDate: string;
  /** Seconds a presigned URL is valid; absent for a signed Authorization header. */
  readonly expiresSeconds?: number;
  /** The query without `X-Amz-Signature`, which is not part of what was signed. */
  readonly query: readonly (readonly [string, string])[];
}

const invalid = (detail: string): SigV4Verdict => ({ ok: false, failure: 'invalidSignature', detail });

/** What the request claims: credential scope, signed headers and signature, or why they cannot be read. */
function presented(request: SigV4Request): Presented | string {
  const { query } = splitTarget(request.target);
  const pairs = queryPairs(query);
  const authorization = headerValue(request.headers, 'authorization');
  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  let amzDate: string | undefined;
  let expiresSeconds: number | undefined;
  if (authorization?.startsWith(`${SIGV4_ALGORITHM} `)) {
    for (const part of authorization.slice(SIGV4_ALGORITHM.length + 1).split(',')) {
      const at = part.indexOf('=');
      const name = part.slice(0, at).trim();
      const value = part.slice(at + 1).trim();
      if (name === 'Credential') credential = value;
      else if (name === 'SignedHeaders') signedHeaders = value;
      else if (name === 'Signature') signature = value;
    }
    amzDate = headerValue(request.headers, 'x-amz-date') ?? headerValue(request.headers, 'date');
  } else {
    const param = (name: string) => pairs.find(([key]) => key === name)?.[1];
    if (param('X-Amz-Algorithm') !== SIGV4_ALGORITHM) return `X-Amz-Algorithm must be ${SIGV4_ALGORITHM}`;
    credential = param('X-Amz-Credential');
    signedHeaders = param('X-Amz-SignedHeaders');
    signature = param('X-Amz-Signature');
    amzDate = param('X-Amz-Date');
    const expires = param('X-Amz-Expires');
    if (expires === undefined || !/^\d{1,6}$/.test(expires) || Number(expires) > MAX_PRESIGNED_SECONDS) {
      return `X-Amz-Expires must be 0 to ${MAX_PRESIGNED_SECONDS} seconds`;
    }
    expiresSeconds = Number(expires);
  }
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    return 'the signature needs Credential, SignedHeaders and Signature';
  }
  if (amzDate === undefined) return 'the request needs an X-Amz-Date';
  const [accessKeyId, day, region, service, terminator, ...rest] = credential.split('/');
  if (!accessKeyId || !day || !region || !service || terminator !== 'aws4_request' || rest.length > 0) {
    return 'Credential must be <access key id>/<yyyymmdd>/<region>/<service>/aws4_request';
  }
  const names = signedHeaders.split(';');
  if (!names.includes('host')) return 'SignedHeaders must include host';
  if (names.some((name, i) => name === '' || name !== name.toLowerCase() || (i > 0 && names[i - 1]! >= name))) {
    return 'SignedHeaders must be lower-case names, sorted, each once';
  }
  return {
    accessKeyId,
    day,
    region,
    service,
    signedHeaders: names,
    signature,
    amzDate,
    ...(expiresSeconds === undefined ? {} : { expiresSeconds }),
    query: pairs.filter(([name]) => name !== 'X-Amz-Signature'),
  };
}

/**
 * Checks a request's SigV4 signature against the known credentials: the verdict names the access
 * key that signed it, or the gateway error API Gateway answers (a signature that does not match,
 * an unknown key or a wrong scope: `invalidSignature`; a date more than 5 minutes from `now`, or a
 * presigned URL past its expiry: `expiredCredentials`).
 */
export function verifySigV4(
  request: SigV4Request,
  options: { readonly credentials: readonly SigV4Credentials[]; readonly scope: SigV4Scope; readonly now: number },
): SigV4Verdict {
  const claim = presented(request);
  if (typeof claim === 'string') return invalid(claim);
  const time = parseAmzDate(claim.amzDate);
  if (Number.isNaN(time)) return invalid('X-Amz-Date must be YYYYMMDDTHHMMSSZ');
  if (claim.day !== claim.amzDate.slice(0, 8)) return invalid('the credential date is not the date of X-Amz-Date');
  if (claim.region !== options.scope.region || claim.service !== options.scope.service) {
    return invalid(`the credential must be scoped to ${options.scope.region}/${options.scope.service}`);
  }
  const secret = options.credentials.find((c) => c.accessKeyId === claim.accessKeyId)?.secretAccessKey;
  // An unknown key is checked against a made-up secret, so it costs what a known one does.
  const expected = signatureOf({
    method: request.method,
    path: splitTarget(request.target).path,
    query: claim.query,
    headers: request.headers,
    signedHeaders: claim.signedHeaders,
    payloadHash: sha256Hex(request.body),
    amzDate: claim.amzDate,
    scope: options.scope,
    secret: secret ?? `unknown:${claim.accessKeyId}`,
  });
  const given = Buffer.from(claim.signature, 'utf8');
  const wanted = Buffer.from(expected, 'utf8');
  const matches = given.length === wanted.length && timingSafeEqual(given, wanted);
  if (secret === undefined || !matches) {
    return invalid('the signature does not match the request and the credentials');
  }
  const expired =
    claim.expiresSeconds === undefined
      ? Math.abs(options.now - time) > MAX_SIGNATURE_SKEW_MS
      : options.now > time + claim.expiresSeconds * 1000 || time - options.now > MAX_SIGNATURE_SKEW_MS;
  if (expired) return { ok: false, failure: 'expiredCredentials', detail: `Signature expired: ${claim.amzDate}` };
  return { ok: true, accessKeyId: claim.accessKeyId };
}

/**
 * Signs a request in its Authorization header, as the AWS SDKs do for `execute-api`: `host`,
 * `x-amz-date`, `x-amz-content-sha256` and the given headers are signed. Returns the headers to
 * send (the given ones, plus those).
 *
 * @example
 * const headers = signSigV4({ method: 'GET', url: `${stack.url}/v1/ready`, headers: {}, body: '' },
 *   stack.serverCredentials, { region: 'us-east-1', service: 'execute-api' });
 */
export function signSigV4(
  request: {
    readonly method: string;
    readonly url: string;
    readonly headers: Record<string, string>;
    readonly body: string;
  },
  credentials: SigV4Credentials,
  scope: SigV4Scope,
  now: number = Date.now(),
): Record<string, string> {
  const url = new URL(request.url);
  const amzDate = amzDateOf(now);
  const payloadHash = sha256Hex(request.body);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  headers.host = url.host;
  headers['x-amz-date'] = amzDate;
  headers['x-amz-content-sha256'] = payloadHash;
  const signedHeaders = Object.keys(headers).sort();
  const signature = signatureOf({
    method: request.method,
    path: url.pathname,
    query: queryPairs(url.search.slice(1)),
    headers,
    signedHeaders,
    payloadHash,
    amzDate,
    scope,
    secret: credentials.secretAccessKey,
  });
  const credential = `${credentials.accessKeyId}/${amzDate.slice(0, 8)}/${scope.region}/${scope.service}/aws4_request`;
  const { host: _host, ...sent } = headers;
  return {
    ...sent,
    authorization: `${SIGV4_ALGORITHM} Credential=${credential}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`,
  };
}
