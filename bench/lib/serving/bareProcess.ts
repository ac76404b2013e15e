/**
 * Child process: the floor of the cache-hit benchmark, a bare `node:http` server on loopback
 * that answers every request with one fixed response (the same status, headers and body bytes
 * as a recorded cache hit of the stack), without routing, parsing or any I/O.
 *
 * argv[2]: JSON {@link BareResponse}. Ready value: `{ url }`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { failStart, serveParent } from './ipc.ts';

export interface BareResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

async function main(): Promise<void> {
  const response = JSON.parse(process.argv[2] ?? '{}') as BareResponse;
  const body = Buffer.from(response.body, 'utf8');
  const server = createServer((_req, res) => {
    res.writeHead(response.status, response.headers);
    res.end(body);
  });
  // The local API Gateway's keep-alive setting, so both servers treat connections alike.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  serveParent({ url: `http://127.0.0.1:${port}` }, {}, async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });
}

main().catch(failStart);
