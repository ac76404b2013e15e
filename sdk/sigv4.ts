import { createHash, createHmac } from 'node:crypto';

/** AWS credentials, as the AWS SDKs' credential providers resolve them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** What a SigV4 signature is computed over. */
export interface SigningRequest {
  readonly method: string;
  readonly url: URL;
  /** Headers to send and sign (lower-case names); `host` and `x-amz-*` are added. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly region: string;
  /** @default 'execute-api' */
  readonly service?: string;
  readonly credentials: AwsCredentials;
  /** Epoch ms of the signature. */
  readonly now: number;
}

const sha256 = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
/** RFC 3986 encoding, as SigV4 wants it (`encodeURIComponent` leaves `!'()*` alone). */
const escape = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Signs a request with AWS Signature Version 4 in its `authorization` header and returns the headers to send
 * (`host` left out: `fetch` sets it). The canonical path is the URL's path encoded once more, as for every service but
 * S3, which is what API Gateway checks.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
export function signRequest(request: SigningRequest): Record<string, string> {
  const { url, credentials, region } = request;
  const service = request.service ?? 'execute-api';
  const amzDate = new Date(request.now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...request.headers, host: url.host, 'x-amz-date': amzDate };
  if (credentials.sessionToken !== undefined) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers)
    .map((name) => name.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const canonicalHeaders = names.map((name) => `${name}:${String(lower[name]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const query = [...url.searchParams]
    .map(([name, value]) => [escape(name), escape(value)])
    .sort(([a, x], [b, y]) => (a === b ? (x! < y! ? -1 : 1) : a! < b! ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const path = escape(url.pathname).replace(/%2F/g, '/');
  const canonicalRequest = [request.method, path, query, canonicalHeaders, signedHeaders, sha256(request.body)].join(
    '\n',
  );
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  const { host: _host, ...sent } = headers;
  return {
    ...sent,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}
