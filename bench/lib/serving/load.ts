/**
 * Load and measurement helpers of the serving suite: autocannon runs, CPU accounting of the
 * processes involved, and a sequential sampler that reads bodies and headers.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon, { type Instance, type Options, type Result } from 'autocannon';

/** A finished autocannon run with the wall time the bench process measured around it. */
export interface LoadRun {
  readonly result: Result;
  readonly wallMs: number;
  /** Completed requests per second of wall time. */
  readonly rps: number;
  /** Responses with a 5xx status. */
  readonly serverErrors: number;
}

const serverErrorsOf = (result: Result): number =>
  Object.entries(result.statusCodeStats).reduce(
    (sum, [status, { count }]) => (Number(status) >= 500 ? sum + count : sum),
    0,
  );

/**
 * Runs autocannon to the end. Latencies are recorded as measured (`ignoreCoordinatedOmission`):
 * autocannon 8's correction records every response with an expected interval of
 * `ceil(1 / rate)` = 1 ms (seconds and milliseconds mixed up), which adds one synthetic sample
 * per millisecond of latency and inflates the tail; rate-limited runs here use enough
 * connections that a connection falls behind its schedule only when the server does.
 */
const withOptions = (options: Options): Options =>
  options.overallRate === undefined && options.connectionRate === undefined
    ? options
    : { ignoreCoordinatedOmission: true, ...options };

export async function runLoad(options: Options): Promise<LoadRun> {
  const started = performance.now();
  const result = await autocannon(withOptions(options));
  const wallMs = performance.now() - started;
  return { result, wallMs, rps: (result.requests.total * 1000) / wallMs, serverErrors: serverErrorsOf(result) };
}

/** Starts autocannon and returns the instance (stop it with `stop()`, then await it). */
export function startLoad(options: Options): { instance: Instance; done: Promise<LoadRun> } {
  const started = performance.now();
  const instance = autocannon(withOptions(options));
  const done = Promise.resolve(instance).then((result) => {
    const wallMs = performance.now() - started;
    return { result, wallMs, rps: (result.requests.total * 1000) / wallMs, serverErrors: serverErrorsOf(result) };
  });
  return { instance, done };
}

// --- CPU accounting -------------------------------------------------------------------------

/** USER_HZ, the unit of /proc/<pid>/stat times; 100 on every mainstream Linux. */
const TICKS_PER_SECOND = 100;

function processTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return undefined;
  }
}

function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const total = values.reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

export interface CpuShare {
  /** Per named process: CPU time over the interval as % of one core (200 = two cores busy). */
  readonly processes: Readonly<Record<string, number>>;
  /** The whole machine's busy time, % of all cores (other users' work included). */
  readonly machinePct: number;
}

/** Measures CPU between `start` and the returned function's call. `self` is this process. */
export function cpuMeter(pids: Readonly<Record<string, number>>): () => CpuShare {
  const startedAt = performance.now();
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processTicks(pid)]));
  const selfBefore = process.cpuUsage();
  const machineBefore = machineTicks();
  return () => {
    const seconds = (performance.now() - startedAt) / 1000;
    const processes: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) {
      const start = before[name];
      const end = processTicks(pid);
      processes[name] =
        start === undefined || end === undefined ? Number.NaN : ((end - start) / TICKS_PER_SECOND / seconds) * 100;
    }
    const self = process.cpuUsage(selfBefore);
    processes.bench = ((self.user + self.system) / 1e6 / seconds) * 100;
    const machineAfter = machineTicks();
    const machinePct =
      machineBefore && machineAfter && machineAfter.total > machineBefore.total
        ? ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * 100
        : Number.NaN;
    return { processes, machinePct };
  };
}

// --- Sampling responses ----------------------------------------------------------------------

export interface Sample {
  /** ms on the `performance.now()` clock. */
  readonly start: number;
  readonly end: number;
  /** 0 when the request failed without a response. */
  readonly status: number;
  readonly degraded?: boolean;
  readonly cache?: string;
  readonly modelVersion?: string;
  /** `reason` of the first item, e.g. `because you viewed …` or `popular`. */
  readonly firstReason?: string;
}

/** One request, with what the suite needs from the answer. */
export async function sample(url: string, init: RequestInit = {}): Promise<Sample> {
  const start = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    let degraded: boolean | undefined;
    let modelVersion: string | undefined;
    let firstReason: string | undefined;
    try {
      const body = JSON.parse(text) as { degraded?: unknown; modelVersion?: unknown; items?: { reason?: unknown }[] };
      if (typeof body.degraded === 'boolean') degraded = body.degraded;
      if (typeof body.modelVersion === 'string') modelVersion = body.modelVersion;
      const reason = Array.isArray(body.items) ? body.items[0]?.reason : undefined;
      if (typeof reason === 'string') firstReason = reason;
    } catch {
      // Not JSON: status and headers are all there is.
    }
    const cache = response.headers.get('x-cache') ?? undefined;
    return {
      start,
      end: performance.now(),
      status: response.status,
      ...(degraded === undefined ? {} : { degraded }),
      ...(cache === undefined ? {} : { cache }),
      ...(modelVersion === undefined ? {} : { modelVersion }),
      ...(firstReason === undefined ? {} : { firstReason }),
    };
  } catch {
    return { start, end: performance.now(), status: 0 };
  }
}

/** One request of a sampler: its URL and `fetch` options. */
export interface SampleRequest {
  readonly url: string;
  readonly init: RequestInit;
}

/**
 * `loops` sequential request loops (each with one request in flight and `pauseMs` between its
 * answers) until `stop()`; `requestFor(n)` makes the n-th request overall (from 0), before its
 * time starts. `samples()` returns every answer so far, ordered by the time its request started.
 */
export function startSampler(
  requestFor: (n: number) => SampleRequest | Promise<SampleRequest>,
  pauseMs: number,
  loops = 1,
): { samples: () => Sample[]; stop: () => Promise<void> } {
  const collected: Sample[] = [];
  let running = true;
  let next = 0;
  const loop = async () => {
    while (running) {
      const { url, init } = await requestFor(next++);
      collected.push(await sample(url, init));
      await sleep(pauseMs);
    }
  };
  const all = Promise.all(Array.from({ length: loops }, loop));
  return {
    samples: () => [...collected].sort((a, b) => a.start - b.start),
    stop: async () => {
      running = false;
      await all;
    },
  };
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function inPool<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

// --- Open-loop load at a steady rate -----------------------------------------------------------

/** One request of a {@link runPaced} run. */
export interface PacedRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** A finished {@link runPaced} run. */
export interface PacedRun {
  readonly sent: number;
  readonly completed: number;
  /** Connection errors and requests without an answer within the timeout. */
  readonly errors: number;
  readonly non2xx: number;
  /** Milliseconds from each request's scheduled start to its last byte, sorted ascending. */
  readonly latencies: readonly number[];
  readonly wallMs: number;
  /** Completed requests per second of wall time. */
  readonly rps: number;
  /** How late the generator itself sent, at worst (its own event loop), ms. */
  readonly maxSendLagMs: number;
}

/**
 * Requests at a steady rate, one every 1000/rate ms whatever the answers do (open loop, as
 * wrk2's constant throughput mode), each latency counted from when the request was due, so a
 * server that falls behind is charged for the queue it builds (no coordinated omission).
 *
 * autocannon's rate limit is not that: each connection sends its per-second quota back to back
 * when the second starts, then pauses; at 500 requests/s over 50 connections every second began
 * with 50 requests in flight and a queue of 450, so its p99 measured how long a burst takes to
 * drain. Written here because no maintained npm load generator paces an HTTP/1.1 keep-alive
 * pool this way; it runs in the bench process, which has a core's headroom at 500 requests/s.
 */
export async function runPaced(options: {
  readonly url: string;
  readonly rate: number;
  readonly durationSeconds: number;
  /** Sockets kept alive to the server; requests beyond them wait for one (and that wait counts). */
  readonly maxSockets: number;
  readonly timeoutMs?: number;
  readonly next: (n: number) => PacedRequest;
  readonly onResponse: (status: number, body: string, headers: Record<string, string>) => void;
}): Promise<PacedRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets });
  const base = new URL(options.url);
  const total = Math.round(options.rate * options.durationSeconds);
  const intervalMs = 1000 / options.rate;
  const latencies: number[] = [];
  let completed = 0;
  let errors = 0;
  let non2xx = 0;
  let maxSendLagMs = 0;
  const started = performance.now();
  const finished: Promise<void>[] = [];

  const fire = (n: number, dueAt: number): void => {
    const { path, headers } = options.next(n);
    finished.push(
      new Promise<void>((resolve) => {
        const req = request(
          {
            host: base.hostname,
            port: base.port,
            path,
            method: 'GET',
            headers,
            agent,
            timeout: options.timeoutMs ?? 10_000,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              latencies.push(performance.now() - dueAt);
              completed++;
              const status = res.statusCode ?? 0;
              if (status < 200 || status >= 300) non2xx++;
              const flat: Record<string, string> = {};
              for (const [name, value] of Object.entries(res.headers)) {
                if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
              }
              options.onResponse(status, Buffer.concat(chunks).toString('utf8'), flat);
              resolve();
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error('timed out')));
        req.on('error', () => {
          errors++;
          resolve();
        });
        req.end();
      }),
    );
  };

  await new Promise<void>((resolve) => {
    let n = 0;
    const tick = (): void => {
      const now = performance.now();
      while (n < total && started + n * intervalMs <= now) {
        const dueAt = started + n * intervalMs;
        maxSendLagMs = Math.max(maxSendLagMs, now - dueAt);
        fire(n, dueAt);
        n++;
      }
      if (n >= total) resolve();
      else setTimeout(tick, Math.max(0, started + n * intervalMs - performance.now()));
    };
    tick();
  });
  await Promise.all(finished);
  const wallMs = performance.now() - started;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { sent: total, completed, errors, non2xx, latencies, wallMs, rps: (completed * 1000) / wallMs, maxSendLagMs };
}
