import { createHash, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest, QueryParameterBag } from '@smithy/types';

/**
 * AWS Signature Version 4, as API Gateway checks it on an IAM-authorised API. The AWS SDK's own
 * signer (`SignatureV4`) recomputes the signature of the request as it arrived (method, path,
 * query, the headers named in `SignedHeaders`, the body) with the secret of the access key it
 * names; the two signatures are then compared in constant time. The local gateway verifies with
 * it, and the local stack's own calls (catalogue upload) sign with it.
 *
 * The signer signs and does not verify, so what is written here is the verifier's part only:
 * reading the signature the request presents, the date window, and the comparison.
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
/** Longest `X-Amz-Expires` of a presigned URL (7 days), the most `SignatureV4.presign` accepts. */
const MAX_PRESIGNED_SECONDS = 7 * 24 * 60 * 60;

/** The query parameters a presigned URL carries its signature in; `presign` writes them itself. */
const PRESIGN_PARAMS = new Set([
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
]);
/** Headers `sign` adds to what it signs when they are absent (credentials here carry no session token). */
const ADDED_BY_SIGN = ['x-amz-date', 'x-amz-content-sha256'] as const;

const signerFor = (credentials: SigV4Credentials, scope: SigV4Scope): SignatureV4 =>
  new SignatureV4({ credentials, region: scope.region, service: scope.service, sha256: Hash.bind(null, 'sha256') });

/** `%XX` sequences decoded; a malformed one is kept as it is (the signer saw the same bytes). */
function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The query's pairs as sent: split on `&` and `=`, percent-decoded, a `+` kept as a `+`. Hand-written
 * because `URLSearchParams` decodes a form (a `+` becomes a space), which is not what was signed,
 * and the signer takes a query already split into names and values.
 */
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

/** Pairs as the signer takes them: a repeated name with the list of its values. */
function queryBag(pairs: readonly (readonly [string, string])[]): QueryParameterBag {
  const bag = new Map<string, string[]>();
  for (const [name, value] of pairs) bag.set(name, [...(bag.get(name) ?? []), value]);
  return Object.fromEntries([...bag].map(([name, values]) => [name, values.length === 1 ? values[0]! : values]));
}

const trimValue = (value: string): string => value.trim().replace(/\s+/g, ' ');

/**
 * One header's value; a repeated header's values trimmed and joined by commas, as SigV4 signs them.
 * Own properties only: `SignedHeaders` is the sender's, and `constructor` there names no header.
 */
function headerValue(headers: SigV4Request['headers'], name: string): string | undefined {
  const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
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

/** The `Credential`, `SignedHeaders` and `Signature` parts of an `AWS4-HMAC-SHA256 …` Authorization value. */
function authorizationParts(authorization: string): Partial<Record<string, string>> {
  const parts: Record<string, string> = {};
  for (const part of authorization.slice(SIGV4_ALGORITHM.length + 1).split(',')) {
    const at = part.indexOf('=');
    if (at > 0) parts[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return parts;
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
  /** The query's pairs as sent, `X-Amz-Signature` among them. */
  readonly query: readonly (readonly [string, string])[];
}

const invalid = (detail: string): SigV4Verdict => ({ ok: false, failure: 'invalidSignature', detail });

/**
 * What the request claims: credential scope, signed headers and signature, or why they cannot be
 * read. Hand-written: the AWS SDKs write these and never read them back.
 */
function presented(request: SigV4Request): Presented | string {
  const pairs = queryPairs(splitTarget(request.target).query);
  const authorization = headerValue(request.headers, 'authorization');
  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  let amzDate: string | undefined;
  let expiresSeconds: number | undefined;
  if (authorization?.startsWith(`${SIGV4_ALGORITHM} `)) {
    ({
      Credential: credential,
      SignedHeaders: signedHeaders,
      Signature: signature,
    } = authorizationParts(authorization));
    // The signer dates a signed request by X-Amz-Date only: it drops a `Date` header and writes its own.
    amzDate = headerValue(request.headers, 'x-amz-date');
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
  // The signer signs the headers it is given, so one claimed but not sent would go unnoticed.
  const absent = names.find((name) => headerValue(request.headers, name) === undefined);
  if (absent !== undefined) return `SignedHeaders names ${absent}, which the request does not carry`;
  return {
    accessKeyId,
    day,
    region,
    service,
    signedHeaders: names,
    signature,
    amzDate,
    ...(expiresSeconds === undefined ? {} : { expiresSeconds }),
    query: pairs,
  };
}

/**
 * The signature `SignatureV4` gives the request as it arrived, signed with `secretAccessKey` at the
 * claimed date and scope: `sign` for an Authorization header, `presign` for a presigned URL.
 */
async function expectedSignature(request: SigV4Request, claim: Presented, secretAccessKey: string): Promise<string> {
  const signed = new Set(claim.signedHeaders);
  const headers: Record<string, string> = {};
  for (const name of claim.signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  const presigned = claim.expiresSeconds !== undefined;
  const toSign: HttpRequest = {
    method: request.method.toUpperCase(),
    protocol: 'http:',
    // The canonical request takes the host from the host header; the signer does not read this.
    hostname: headers.host ?? '',
    path: splitTarget(request.target).path,
    query: queryBag(
      claim.query.filter(([name]) => !(presigned ? PRESIGN_PARAMS.has(name) : name === 'X-Amz-Signature')),
    ),
    headers,
    body: request.body,
  };
  const signer = signerFor({ accessKeyId: claim.accessKeyId, secretAccessKey }, claim);
  const signingDate = new Date(parseAmzDate(claim.amzDate));
  if (claim.expiresSeconds !== undefined) {
    const url = await signer.presign(toSign, {
      signingDate,
      expiresIn: claim.expiresSeconds,
      signableHeaders: signed,
      // The signed headers stay headers: presign would otherwise move `x-amz-*` ones into the query.
      unhoistableHeaders: signed,
    });
    return String(url.query?.['X-Amz-Signature'] ?? '');
  }
  const withHeader = await signer.sign(toSign, {
    signingDate,
    signableHeaders: signed,
    // What sign adds itself is signed only when the request signed it.
    unsignableHeaders: new Set(ADDED_BY_SIGN.filter((name) => !signed.has(name))),
  });
  return authorizationParts(withHeader.headers.authorization ?? '').Signature ?? '';
}

/**
 * Checks a request's SigV4 signature against the known credentials: the verdict names the access
 * key that signed it, or the gateway error API Gateway answers (a signature that does not match,
 * an unknown key or a wrong scope: `invalidSignature`; a date more than 5 minutes from `now`, or a
 * presigned URL past its expiry: `expiredCredentials`).
 */
export async function verifySigV4(
  request: SigV4Request,
  options: { readonly credentials: readonly SigV4Credentials[]; readonly scope: SigV4Scope; readonly now: number },
): Promise<SigV4Verdict> {
  const claim = presented(request);
  if (typeof claim === 'string') return invalid(claim);
  const time = parseAmzDate(claim.amzDate);
  if (Number.isNaN(time)) return invalid('X-Amz-Date must be YYYYMMDDTHHMMSSZ');
  if (claim.day !== claim.amzDate.slice(0, 8)) return invalid('the credential date is not the date of X-Amz-Date');
  if (claim.region !== options.scope.region || claim.service !== options.scope.service) {
    return invalid(`the credential must be scoped to ${options.scope.region}/${options.scope.service}`);
  }
  // The signer takes a signed x-amz-content-sha256 as the body's hash without hashing the body, so
  // a verifier holds it to the body it received.
  const contentHash = claim.signedHeaders.includes('x-amz-content-sha256')
    ? headerValue(request.headers, 'x-amz-content-sha256')
    : undefined;
  if (contentHash !== undefined && contentHash !== createHash('sha256').update(request.body).digest('hex')) {
    return invalid('x-amz-content-sha256 is not the SHA-256 of the body');
  }
  const secret = options.credentials.find((c) => c.accessKeyId === claim.accessKeyId)?.secretAccessKey;
  // An unknown key is checked against a made-up secret, so it costs what a known one does.
  const expected = await expectedSignature(request, claim, secret ?? `unknown:${claim.accessKeyId}`);
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
 * Signs a request in its Authorization header with `SignatureV4`, as the AWS SDKs do for
 * `execute-api`: `host`, `x-amz-date`, `x-amz-content-sha256` and the given headers are signed.
 * Returns the headers to send (the given ones, plus those but `host`, which fetch sets).
 *
 * @example
 * const headers = await signSigV4({ method: 'GET', url: `${stack.url}/v1/ready`, headers: {}, body: '' },
 *   stack.serverCredentials, { region: 'us-east-1', service: 'execute-api' });
 */
export async function signSigV4(
  request: {
    readonly method: string;
    readonly url: string;
    readonly headers: Record<string, string>;
    readonly body: string;
  },
  credentials: SigV4Credentials,
  scope: SigV4Scope,
  now: number = Date.now(),
): Promise<Record<string, string>> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  headers.host = url.host;
  const signed = await signerFor(credentials, scope).sign(
    {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      // Split as the verifier splits it, so a `+` is signed as the `+` it is on the wire.
      query: queryBag(queryPairs(url.search.slice(1))),
      headers,
      body: request.body,
    },
    { signingDate: new Date(now) },
  );
  const { host: _host, ...sent } = signed.headers;
  return sent;
}
