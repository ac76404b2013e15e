/**
 * Child processes for the serving benchmark, driven over Node's IPC channel.
 *
 * The serving suite runs the local stack, the model server and the bare floor server each in a
 * process of its own, with the load generator (autocannon) in the bench process:
 * - the handlers read their environment once, at import, so one process can only ever hold one
 *   stack configuration (embedded LRU or Redis, these stand-ins' ports), and `npm run bench` runs
 *   every suite in one process (the freshness suite imports the handlers first);
 * - in AWS the model is another machine, and a load generator sharing the server's event loop
 *   would measure itself.
 *
 * Protocol: the parent sends `{ id, command, args }`, the child answers `{ id, ok, value }` or
 * `{ id, ok: false, error }`; a child announces `{ ready: value }` once it serves.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}

export interface Child<Ready> {
  readonly pid: number;
  /** What the child announced when it was ready. */
  readonly ready: Ready;
  call<T = unknown>(command: string, args?: unknown): Promise<T>;
  /** The last lines the child wrote (stdout and stderr), for error messages. */
  tail(): string;
  /** Lines the child wrote in all (the handlers' warnings end up here). */
  readonly linesWritten: () => number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Forks `entry` (a `.ts` file run through tsx) and waits for its `{ ready }` message. Rejects
 * with the child's last output if it exits or fails first, or after `timeoutMs`.
 */
export function startChild<Ready>(
  entry: string,
  options: { args?: readonly string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number; label: string },
): Promise<Child<Ready>> {
  const child: ChildProcess = fork(entry, [...(options.args ?? [])], {
    cwd: repoRoot,
    env: options.env ?? process.env,
    // e.g. RECO_BENCH_CHILD_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the children
    // (Node refuses --cpu-prof in NODE_OPTIONS).
    execArgv: ['--import', 'tsx', ...(process.env.RECO_BENCH_CHILD_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const lines: string[] = [];
  let written = 0;
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      written++;
      lines.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
      if (lines.length > 40) lines.shift();
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // e.g. RECO_BENCH_CHILD_OUTPUT_DIR=/tmp/out with RECO_BENCH_CHILD_NODE_ARGS=--trace-gc: each
  // child's whole output in a file of its own, named by label and pid.
  const outputDir = process.env.RECO_BENCH_CHILD_OUTPUT_DIR;
  if (outputDir) {
    const file = createWriteStream(join(outputDir, `${options.label.replace(/[^\w.-]+/g, '-')}.${child.pid}.log`));
    child.stdout?.pipe(file, { end: false });
    child.stderr?.pipe(file, { end: false });
    child.once('exit', () => file.end());
  }
  const tail = () => lines.join('\n');

  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    for (const { reject } of pending.values()) {
      reject(new Error(`${options.label} exited (${signal ?? code}) during a call:\n${tail()}`));
    }
    pending.clear();
  });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.label} not ready after ${options.timeoutMs} ms:\n${tail()}`));
    }, options.timeoutMs ?? 120_000);
    const failEarly = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(new Error(`${options.label} exited (${signal ?? code}) before it was ready:\n${tail()}`));
    };
    child.once('exit', failEarly);
    child.on('message', (message: unknown) => {
      const m = message as Partial<Reply> & { ready?: Ready; failed?: string };
      if (m.failed !== undefined) {
        clearTimeout(timer);
        child.off('exit', failEarly);
        child.kill('SIGKILL');
        reject(new Error(`${options.label} failed to start: ${m.failed}\n${tail()}`));
        return;
      }
      if ('ready' in m) {
        clearTimeout(timer);
        child.off('exit', failEarly);
        resolve({
          pid: child.pid ?? -1,
          ready: m.ready as Ready,
          tail,
          linesWritten: () => written,
          call: <T>(command: string, args?: unknown) =>
            new Promise<T>((resolveCall, rejectCall) => {
              if (child.exitCode !== null || child.signalCode !== null) {
                rejectCall(new Error(`${options.label} is not running:\n${tail()}`));
                return;
              }
              const id = nextId++;
              pending.set(id, { resolve: resolveCall as (value: unknown) => void, reject: rejectCall });
              child.send({ id, command, args });
            }),
          stop: async (graceMs = 5_000) => {
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.kill('SIGTERM');
            const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
            await exited;
            clearTimeout(killer);
          },
        });
        return;
      }
      if (typeof m.id !== 'number') return;
      const call = pending.get(m.id);
      if (!call) return;
      pending.delete(m.id);
      if (m.ok) call.resolve(m.value);
      else call.reject(new Error(`${options.label}: ${m.error ?? 'failed'}`));
    });
  });
}

/**
 * The child side: announces `ready`, answers commands with `handlers`, and exits when the parent
 * goes away (SIGTERM runs `onStop` first).
 */
export function serveParent(
  ready: unknown,
  handlers: Readonly<Record<string, (args: unknown) => unknown>>,
  onStop: () => Promise<void>,
): void {
  const send = (message: unknown) => process.send?.(message);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await onStop();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop());
  process.on('disconnect', () => void stop());
  process.on('message', (message: unknown) => {
    const { id, command, args } = message as { id: number; command: string; args: unknown };
    const handler = handlers[command];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${command}`);
        return handler(args);
      })
      .then(
        (value) => send({ id, ok: true, value }),
        (error: unknown) => send({ id, ok: false, error: error instanceof Error ? error.message : String(error) }),
      );
  });
  send({ ready });
}

/** Reports a start-up failure to the parent and exits. */
export function failStart(error: unknown): void {
  const failed = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (process.send) process.send({ failed }, () => process.exit(1));
  else process.exit(1);
}
