import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the local API that a test can take down and bring back on the same port, or make hang (it
 * accepts connections and never answers), as a browser meets an API that is down or stuck.
 */
export class SwitchableProxy {
  private server: Server;
  private mode: 'up' | 'hung' = 'up';
  private readonly sockets = new Set<Socket>();
  private readonly hung = new Set<Socket>();

  private constructor(
    private readonly target: () => number,
    readonly port: number,
    server: Server,
  ) {
    this.server = server;
  }

  /** Listens on a free loopback port; `target` names the port to forward to (read at each connection). */
  static async start(target: () => number): Promise<SwitchableProxy> {
    const holder: { proxy?: SwitchableProxy } = {};
    const server = createServer((socket) => holder.proxy?.accept(socket));
    await listen(server, 0);
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
    holder.proxy = new SwitchableProxy(target, address.port, server);
    return holder.proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops listening and cuts every connection: new ones are refused. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of [...this.sockets, ...this.hung]) socket.destroy();
    });
  }

  /** Listens again on the same port, forwarding. */
  async restart(): Promise<void> {
    this.mode = 'up';
    const server = createServer((socket) => this.accept(socket));
    await listen(server, this.port);
    this.server = server;
  }

  /** New connections are accepted and held without an answer; open ones are cut, so none slips through. */
  hang(): void {
    this.mode = 'hung';
    for (const socket of this.sockets) socket.destroy();
  }

  /** New connections are forwarded again; the held ones stay held, as a stuck server's would. */
  resume(): void {
    this.mode = 'up';
  }

  async close(): Promise<void> {
    await this.stop();
  }

  private accept(socket: Socket): void {
    if (this.mode === 'hung') {
      this.hung.add(socket);
      socket.on('close', () => this.hung.delete(socket));
      socket.on('error', () => undefined);
      socket.resume();
      return;
    }
    this.sockets.add(socket);
    const upstream = createConnection({ host: '127.0.0.1', port: this.target() });
    const cut = () => {
      socket.destroy();
      upstream.destroy();
      this.sockets.delete(socket);
    };
    socket.on('error', cut).on('close', cut);
    upstream.on('error', cut).on('close', cut);
    socket.pipe(upstream).pipe(socket);
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}
