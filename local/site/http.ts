import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '#shared/errors.ts';

/** The site's JSON answers are small and personal (a session's token): never cached. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

/**
 * Refuses a POST that a cross-site form could send (`text/plain`, form encodings): only `application/json` is
 * read, and a page elsewhere can send that only after a CORS preflight, which the shop's routes never grant.
 */
export function requireJson(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new UnsupportedMediaTypeError('unsupported_media_type', 'send the body as content-type: application/json');
  }
}

/** A JSON body of at most `maxBytes`, refused as the API refuses one: 413 past the limit, 400 when not JSON. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  requireJson(req);
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) throw new PayloadTooLargeError('body_too_large', `the body is over ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new PayloadTooLargeError('body_too_large', `the body is over ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (error) {
    throw new InvalidRequestError('invalid_json', 'the body is not JSON', { cause: error });
  }
}

/** One cookie's value from a `Cookie` header, or undefined. */
export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
