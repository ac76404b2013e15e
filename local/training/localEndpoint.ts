import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../../infra/paths.ts';
import type { EndpointReply, EndpointRequest } from './endpointMessages.ts';

/** The endpoint process died, or would not start: what it was asked is not done. */
export class EndpointProcessError extends Error {}

const ENTRY = join(repoRoot, 'local', 'training', 'endpointProcess.ts');
const START_TIMEOUT_MS = 30_000;
const CLOSE_GRACE_MS = 3_000;
/** Restarts back off from the first to the last delay, as a fleet replaces an unhealthy instance. */
const RESTART_DELAYS_MS = [100, 250, 500, 1_000, 2_000, 5_000] as const;

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Starts the endpoint process on `port` (0: any free one) and resolves once it listens. Its
 * output goes to the stack's; its IPC channel carries the model swaps.
 */
async function spawnEndpoint(port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(ENTRY, [String(port)], {
    cwd: repoRoot,
    // Node flags of the stack (e.g. --cpu-prof) reach the model server too.
    execArgv: ['--import', 'tsx', ...process.execArgv.filter((flag) => flag.startsWith('--cpu-prof'))],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new EndpointProcessError('the model server did not start in time')),
      START_TIMEOUT_MS,
    );
    child.on('message', (reply: EndpointReply) => {
      if (reply.kind !== 'listening') return;
      clearTimeout(timer);
      resolve(reply.url);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new EndpointProcessError(`the model server exited while starting (${signal ?? `code ${code}`})`));
    });
  });
  try {
    return { child, url: await listening };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/**
 * The local stand-in for the SageMaker endpoint: the `model/` inference server in its own process
 * on loopback, whose model the pipeline's deployment swaps in place (SageMaker's blue/green
 * update, without the second fleet). If the process dies it is started again on the same port
 * with the model it served, as SageMaker replaces a failed instance; until then the stack's calls
 * fail as they would against an unhealthy endpoint, and its lists fall back. Until a model is
 * served, `/ping` answers 503 as an endpoint being created would.
 */
export class LocalEndpoint {
  private child: ChildProcess;
  private served: { readonly path: string; readonly version: string } | undefined;
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private closing = false;
  private restarting: Promise<void> | undefined;
  private restartCount = 0;

  private constructor(
    started: { child: ChildProcess; url: string },
    private readonly log: (line: string) => void,
  ) {
    this.child = started.child;
    this.url = started.url;
    this.watch(started.child);
  }

  readonly url: string;

  static async start(log: (line: string) => void): Promise<LocalEndpoint> {
    return new LocalEndpoint(await spawnEndpoint(0), log);
  }

  /** The version the endpoint serves (or serves again once restarted), if any. */
  get version(): string | undefined {
    return this.served?.version;
  }

  /** The model server's process id: what a fault test kills. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** How often the process died and was started again. */
  get restarts(): number {
    return this.restartCount;
  }

  /** Resolves once no restart is under way (at once if the process is up). */
  async healthy(): Promise<void> {
    while (this.restarting) await this.restarting;
  }

  /** Serves the model in `path` (a model directory, or one holding `model.tar.gz`) as `version`. */
  async serve(path: string, version: string): Promise<void> {
    await this.healthy();
    await this.ask(this.child, path, version);
    this.served = { path, version };
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.restarting;
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.send({ kind: 'close' } satisfies EndpointRequest, () => {});
    const timer = setTimeout(() => child.kill('SIGKILL'), CLOSE_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  private ask(child: ChildProcess, path: string, version: string): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
      child.send({ kind: 'serve', id, path, version } satisfies EndpointRequest, (error) => {
        if (error === null) return;
        this.waiters.delete(id);
        reject(new EndpointProcessError(`the model server is gone: ${error.message}`));
      });
    });
  }

  /** Answers the waiters from `child`'s replies; rejects them if it dies. */
  private listen(child: ChildProcess): void {
    // A send to a process that just died fails through the send callback; nothing else to do here.
    child.on('error', () => {});
    child.on('message', (reply: EndpointReply) => {
      if (reply.kind === 'listening') return;
      const waiter = this.waiters.get(reply.id);
      this.waiters.delete(reply.id);
      if (reply.kind === 'served') waiter?.resolve();
      else waiter?.reject(new EndpointProcessError(`the model server could not load the model: ${reply.message}`));
    });
    child.once('exit', (code, signal) => {
      const lost = new EndpointProcessError(`the model server exited (${signal ?? `code ${code}`})`);
      for (const waiter of this.waiters.values()) waiter.reject(lost);
      this.waiters.clear();
    });
  }

  private watch(child: ChildProcess): void {
    this.listen(child);
    this.supervise(child);
  }

  /** Starts the endpoint again when `child` dies, unless the stack is closing it. */
  private supervise(child: ChildProcess): void {
    child.once('exit', (code, signal) => {
      if (this.closing) return;
      this.log(`local model server exited (${signal ?? `code ${code}`}); starting it again on ${this.url}`);
      this.restarting = this.restart().finally(() => (this.restarting = undefined));
    });
  }

  private async restart(): Promise<void> {
    const port = Number(new URL(this.url).port);
    for (let attempt = 0; !this.closing; attempt++) {
      await sleep(RESTART_DELAYS_MS[Math.min(attempt, RESTART_DELAYS_MS.length - 1)]);
      if (this.closing) return;
      let child: ChildProcess | undefined;
      try {
        ({ child } = await spawnEndpoint(port));
        this.listen(child);
        const served = this.served;
        if (served) await this.ask(child, served.path, served.version);
        if (child.exitCode !== null || child.signalCode !== null) throw new EndpointProcessError('exited');
        this.child = child;
        this.supervise(child);
        this.restartCount += 1;
        this.log(`local model server back on ${this.url}${served ? ` serving ${served.version}` : ''}`);
        return;
      } catch (error) {
        child?.kill('SIGKILL');
        this.log(`local model server restart failed, trying again: ${(error as Error).message}`);
      }
    }
  }
}
