import dynalite from 'dynalite';
import kinesalite from 'kinesalite';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type StandInService = 'dynamodb' | 'kinesis';

/** Requests a stand-in answered, by operation (the `X-Amz-Target` action, e.g. `GetItem`). */
export type OperationCount = Record<string, number>;

/** One stand-in listening on loopback, wherever it runs (this process or a child of its own). */
export interface StandInServer {
  readonly service: StandInService;
  readonly endpoint: string;
  /** The process it runs in. */
  readonly pid: number;
  /**
   * Takes the stand-in off the network for `downtimeMs` (connections dropped, new ones refused)
   * and brings it back on the same port with its data: what clients see of a restart.
   */
  restart(downtimeMs?: number): Promise<void>;
  operations(): Promise<OperationCount>;
  stop(): Promise<void>;
}

const create: Record<StandInService, () => Server> = {
  dynamodb: () => dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }),
  kinesis: () => kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50 }),
};

const httpClose = createServer().close;
const httpListen: (this: Server, port: number, host: string, callback: () => void) => Server = createServer().listen;

/**
 * Stops listening without closing the stand-in's database: closing LevelDB under load can crash
 * the process, and an outage is what a client sees of a restart anyway.
 */
const goOffline = (server: Server) =>
  new Promise<void>((resolve) => {
    httpClose.call(server, () => resolve());
    server.closeAllConnections();
  });

/** Starts `service`'s stand-in (dynalite or kinesalite, in memory) in this process, on a free loopback port. */
export async function startStandInServer(service: StandInService): Promise<StandInServer> {
  const server = create[service]();
  const counts: OperationCount = {};
  // Counted before the stand-in's own listener reads the request; one property write per request.
  server.prependListener('request', (req: IncomingMessage) => {
    const target = req.headers['x-amz-target'];
    const action = typeof target === 'string' ? target.slice(target.indexOf('.') + 1) : 'other';
    counts[action] = (counts[action] ?? 0) + 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    service,
    endpoint: `http://127.0.0.1:${port}`,
    pid: process.pid,
    restart: async (downtimeMs = 0) => {
      await goOffline(server);
      await sleep(downtimeMs);
      // The stand-ins wrap `listen`; the plain one reopens the port without recreating the store.
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        httpListen.call(server, port, '127.0.0.1', () => resolve());
      });
    },
    operations: () => Promise.resolve({ ...counts }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections of the SDK clients would hold the close open.
        server.closeAllConnections();
      }),
  };
}
