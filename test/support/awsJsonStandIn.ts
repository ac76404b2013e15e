import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An error the stand-in answers with, as AWS JSON protocols carry it (`__type`, 400). */
export class AwsJsonError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

export type AwsJsonOperation = (input: Record<string, unknown>) => unknown;

/** A stand-in speaking one AWS JSON protocol on loopback. */
export interface AwsJsonStandIn {
  /** Where the SDK's `AWS_ENDPOINT_URL_<SERVICE>` points. */
  readonly url: string;
  stop(): Promise<void>;
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Serves the operations of one AWS service over its JSON protocol (`POST /`, the operation in
 * `X-Amz-Target: <targetPrefix>.<Operation>`), on a free loopback port. An operation it does not
 * have answers `UnknownOperationException`, so a call the code starts making fails loudly. Requests
 * are not authenticated: the SDK signs them, the stand-in ignores the signature.
 */
export async function startAwsJsonStandIn(
  targetPrefix: string,
  contentType: string,
  operations: Readonly<Record<string, AwsJsonOperation>>,
): Promise<AwsJsonStandIn> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const answer = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': contentType });
        response.end(JSON.stringify(body));
      };
      try {
        const target = String(request.headers['x-amz-target'] ?? '');
        const operation = target.startsWith(`${targetPrefix}.`)
          ? operations[target.slice(targetPrefix.length + 1)]
          : undefined;
        if (request.method !== 'POST' || operation === undefined) {
          throw new AwsJsonError('UnknownOperationException', `the stand-in has no operation ${target}`);
        }
        const text = await bodyOf(request);
        answer(200, operation(text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)) ?? {});
      } catch (error) {
        const known = error instanceof AwsJsonError;
        answer(known ? 400 : 500, {
          __type: known ? error.type : 'InternalFailure',
          message: error instanceof Error ? error.message : String(error),
        });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
