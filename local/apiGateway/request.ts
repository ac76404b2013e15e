/** What the gateway reads of a request: its headers, as the proxy event and a signature see them, and its body. */
import type { IncomingMessage } from 'node:http';
import { apiLimits } from '#shared/config/index.ts';
import type { SigV4Request } from '../sigv4.ts';

/**
 * The largest body passed to a handler. API Gateway passes up to 10 MB, and every function answers
 * a body over `apiLimits.maxBodyBytes` with 413 `body_too_large` (`functions/lib/http.ts`); this
 * gateway gives the same answer as soon as Content-Length, or the bytes read so far, say so, so it
 * never holds more than the limit.
 */
const MAX_BODY_BYTES = apiLimits.maxBodyBytes;

/** A request's headers as the proxy event carries them: by lower-case name, once and as lists. */
export interface EventHeaders {
  readonly single: Record<string, string>;
  readonly multi: Record<string, string[]>;
}

/**
 * The headers with Node's lower-case names and its merging of repeated headers (`req.headers`,
 * which Node builds for every request anyway); lists hold the one merged value, or the values of
 * a header Node keeps apart (`set-cookie`). Built with `Object.fromEntries`, so every name is an
 * own property, as in the JSON event Lambda parses, whatever the name (`constructor`, `toString`).
 */
export function headersOf(req: IncomingMessage): EventHeaders {
  const single: [string, string][] = [];
  const multi: [string, string[]][] = [];
  const received = req.headers;
  for (const name of Object.keys(received)) {
    const value = received[name];
    if (value === undefined) continue;
    single.push([name, typeof value === 'string' ? value : value.join(',')]);
    multi.push([name, typeof value === 'string' ? [value] : value]);
  }
  return { single: Object.fromEntries(single), multi: Object.fromEntries(multi) };
}

const NO_BODY = Buffer.alloc(0);

/**
 * The request body; `undefined` when it is over {@link MAX_BODY_BYTES}, known from Content-Length
 * before a byte is read, or else once the bytes read pass it. A request with neither
 * Content-Length nor Transfer-Encoding has no body (RFC 9112, 6.3), so it is not read; the server
 * discards the empty stream when the response ends. Local-only fast path: a GET's empty body is
 * returned without a promise, so a list request waits on no stream.
 */
export function readBody(
  req: IncomingMessage,
  headers: EventHeaders,
): Buffer | undefined | Promise<Buffer | undefined> {
  const { single } = headers;
  const declared = single['content-length'];
  if (single['transfer-encoding'] === undefined && (declared ?? '0') === '0') return NO_BODY;
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) {
    // Node has checked the header's syntax. The rest of the upload is read and dropped, not kept.
    req.resume();
    return undefined;
  }
  return readBodyStream(req);
}

function readBodyStream(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      // Stop keeping bytes, but go on reading: the socket stays open for the 413.
      chunks.length = 0;
      req.off('data', onData);
      req.off('end', onEnd);
      req.resume();
      resolve(undefined);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.once('error', reject);
  });
}

/**
 * The headers exactly as received, repeated ones as lists in order: what a signature covers.
 * Without a prototype, since the signature's own `SignedHeaders` say which names are looked up:
 * `constructor` there finds nothing rather than `Object`.
 */
export function rawHeadersOf(req: IncomingMessage): SigV4Request['headers'] {
  const headers = Object.create(null) as Record<string, string | string[]>;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (typeof seen === 'string') headers[name] = [seen, value];
    else seen.push(value);
  }
  return headers;
}
