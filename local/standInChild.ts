import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { repoRoot } from '../infra/paths.ts';
import type { StandInReply, StandInRequest } from './standInProcess.ts';
import type { StandInServer, StandInService } from './standInServer.ts';

const ENTRY = join(repoRoot, 'local', 'standInProcess.ts');
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 3_000;

/** A stand-in process died or would not start. */
export class StandInProcessError extends Error {
  override readonly name = 'StandInProcessError';
}

/** Starts `service`'s stand-in in a child process of its own; resolves once it listens. */
export async function forkStandIn(service: StandInService): Promise<StandInServer> {
  const child: ChildProcess = fork(ENTRY, [service], {
    cwd: repoRoot,
    // Node flags of the stack (e.g. --cpu-prof) reach the stand-in too.
    execArgv: ['--import', 'tsx', ...process.execArgv.filter((flag) => flag.startsWith('--cpu-prof'))],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiters = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const exited = once(child, 'exit');
  child.on('error', () => {});
  child.once('exit', (code, signal) => {
    const lost = new StandInProcessError(`the ${service} stand-in exited (${signal ?? `code ${code}`})`);
    for (const waiter of waiters.values()) waiter.reject(lost);
    waiters.clear();
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new StandInProcessError(`the ${service} stand-in did not start`)),
      START_TIMEOUT_MS,
    );
    child.on('message', (reply: StandInReply) => {
      if (reply.kind === 'listening') {
        clearTimeout(timer);
        resolve(reply.endpoint);
        return;
      }
      const waiter = waiters.get(reply.id);
      waiters.delete(reply.id);
      if (reply.kind === 'done') waiter?.resolve(reply.value);
      else waiter?.reject(new StandInProcessError(`${service} stand-in: ${reply.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new StandInProcessError(`the ${service} stand-in exited while starting (${signal ?? `code ${code}`})`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  const ask = (request: StandInRequest & { readonly id: number }) =>
    new Promise<unknown>((resolve, reject) => {
      waiters.set(request.id, { resolve, reject });
      child.send(request, (error) => {
        if (error === null) return;
        waiters.delete(request.id);
        reject(new StandInProcessError(`the ${service} stand-in is gone: ${error.message}`));
      });
    });
  return {
    service,
    endpoint,
    pid: child.pid ?? -1,
    restart: async (downtimeMs = 0) => {
      await ask({ kind: 'restart', id: nextId++, downtimeMs });
    },
    operations: async () => (await ask({ kind: 'operations', id: nextId++ })) as Record<string, number>,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ kind: 'stop' } satisfies StandInRequest, () => {});
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
