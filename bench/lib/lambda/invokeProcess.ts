/**
 * Child process: one Lambda execution environment of a handler bundle. It imports the bundle once
 * (the cold start) and then invokes `handler(event, context)` as the Node.js runtime does: one
 * invocation at a time, each awaited before the next event is taken, the event parsed from JSON
 * and the trace id set in the environment per invocation. A process per build, so each starts
 * with fresh module state (caches, clients, breakers), as a new execution environment does.
 *
 * Without a bundle, the handler is the floor: an async function returning one fixed result.
 *
 * argv[2]: JSON {@link InvokeProcessOptions}. Ready value: {@link InvokeProcessInfo}.
 * Command `invoke` ({@link InvokeArgs}) answers {@link Invocations}.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { pathToFileURL } from 'node:url';
import { failStart, serveParent } from '../serving/ipc.ts';
import { lambdaContext } from './apiEvent.ts';

export interface InvokeProcessOptions {
  /** Absolute path of the bundle exporting `handler`. */
  readonly bundle?: string;
  /** The floor's answer, when there is no bundle. */
  readonly fixedResult?: APIGatewayProxyResult;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

export interface InvokeProcessInfo {
  /** Time to import the bundle (module evaluation included): the handler's part of a cold start. */
  readonly importMs: number;
}

export interface InvokeArgs {
  /** Events as JSON text, invoked in this order. */
  readonly events: readonly string[];
}

export interface Invocations {
  /** Per invocation: from the call of `handler` until its promise settled. */
  readonly latenciesMs: readonly number[];
  /** Process CPU (user + system, all threads) of the whole block, µs. */
  readonly cpuUs: number;
  /** Wall time of the block, ms. */
  readonly wallMs: number;
  readonly statuses: Readonly<Record<string, number>>;
  /** By `x-cache` header (`none` without one). */
  readonly cache: Readonly<Record<string, number>>;
  /** The last result, for the floor's copy of a hit. */
  readonly last?: APIGatewayProxyResult;
}

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Lets I/O callbacks run between invocations, as the runtime's request for the next event does. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

let traceCounter = 0;

async function invokeAll(handler: Handler, options: InvokeProcessOptions, args: InvokeArgs): Promise<Invocations> {
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  const cache: Record<string, number> = {};
  let last: APIGatewayProxyResult | undefined;
  // The runtime's work between invocations (event parsing, the trace id) is in the block's CPU
  // too, alike for every build; the latency is the handler's alone.
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  for (const text of args.events) {
    const event = JSON.parse(text) as APIGatewayProxyEvent;
    const requestId = event.requestContext.requestId;
    process.env._X_AMZN_TRACE_ID = `Root=1-67a1b2c3-${String(++traceCounter).padStart(24, '0')};Sampled=0`;
    const context = lambdaContext(requestId, options.memoryMb, Date.now() + options.timeoutSeconds * 1000);
    const start = performance.now();
    const result = await handler(event, context);
    latenciesMs.push(performance.now() - start);
    statuses[result.statusCode] = (statuses[result.statusCode] ?? 0) + 1;
    const header = result.headers?.['x-cache'];
    const status = typeof header === 'string' ? header : 'none';
    cache[status] = (cache[status] ?? 0) + 1;
    last = result;
    await turn();
  }
  const wallMs = performance.now() - wallStart;
  const used = process.cpuUsage(cpuStart);
  return { latenciesMs, cpuUs: used.user + used.system, wallMs, statuses, cache, ...(last ? { last } : {}) };
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as InvokeProcessOptions;
  const started = performance.now();
  let handler: Handler;
  if (options.bundle !== undefined) {
    const module = (await import(pathToFileURL(options.bundle).href)) as { handler: Handler };
    handler = module.handler;
  } else {
    const fixed = options.fixedResult;
    if (fixed === undefined) throw new Error('give a bundle or a fixed result');
    handler = async () => ({ ...fixed, headers: { ...fixed.headers } });
  }
  const importMs = performance.now() - started;
  const info: InvokeProcessInfo = { importMs };
  serveParent(info, { invoke: (args) => invokeAll(handler, options, args as InvokeArgs) }, async () => undefined);
}

main().catch(failStart);
