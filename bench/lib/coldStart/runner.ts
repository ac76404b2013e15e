/**
 * Child process: one fresh Lambda execution environment of a handler bundle, run by plain `node`
 * (no tsx, no loader hooks: Node strips this file's types itself), as the Node.js runtime runs a
 * function. It imports the bundle, invokes `handler(event, context)` once (the first invocation),
 * then, if asked, invokes blocks of further events one at a time (warm invocations), prints one
 * JSON line ({@link RunnerResult}) and exits.
 *
 * It imports nothing but Node's built-ins, so the clock starts with the handler's own work: the
 * first `performance.now()` here is taken once Node has booted and this file is evaluated, and
 * init plus first invocation is measured from it.
 *
 * argv[2]: path of a JSON file holding {@link RunnerInput}.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const started = performance.now();

export interface RunnerInput {
  /** Absolute path of the bundle exporting `handler`. */
  readonly bundle: string;
  /** The first invocation's event; absent: init only (no stand-in for the handler's services). */
  readonly first?: unknown;
  /** Warm invocations after the first, by block name, each event invoked in turn. */
  readonly blocks?: Readonly<Record<string, readonly unknown[]>>;
  readonly functionName: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

export interface Answer {
  readonly statusCode?: number;
  readonly headers?: Readonly<Record<string, unknown>>;
  readonly body?: string;
  readonly batchItemFailures?: readonly unknown[];
}

export interface RunnerResult {
  /** From process start (Node's time origin) to the runner's first line: Node's own boot. */
  readonly bootMs: number;
  /** Import of the bundle, module evaluation included. */
  readonly importMs: number;
  /** The first invocation, from the call of `handler` until its promise settled; 0 without one. */
  readonly firstInvocationMs: number;
  /** `importMs + firstInvocationMs`: the handler's part of a cold start. */
  readonly initPlusFirstMs: number;
  /** A short summary of the first answer, to check it did the work (status, failures). */
  readonly firstAnswer?: string;
  /** Per warm block: each invocation's latency and CPU time (user + system), ms, and the answers' summaries counted. */
  readonly blocks: Readonly<Record<string, WarmBlock>>;
}

export interface WarmBlock {
  readonly latenciesMs: number[];
  readonly cpuMs: number[];
  readonly answers: Record<string, number>;
}

type Handler = (event: unknown, context: unknown) => Promise<Answer>;

/** What a status check needs of an answer: the HTTP status and cache header, or the batch failures. */
function summary(answer: Answer | undefined): string {
  if (answer === undefined) return 'undefined';
  if (answer.statusCode !== undefined) {
    const cache = answer.headers?.['x-cache'];
    return `${answer.statusCode}${typeof cache === 'string' ? ` ${cache}` : ''}`;
  }
  if (answer.batchItemFailures !== undefined) return `batchItemFailures=${answer.batchItemFailures.length}`;
  return 'other';
}

let invocation = 0;

/** The context the Node.js runtime passes, with a fresh request id per invocation. */
function context(input: RunnerInput) {
  const requestId = `cold-${process.pid}-${++invocation}`;
  const deadline = Date.now() + input.timeoutSeconds * 1000;
  process.env._X_AMZN_TRACE_ID = `Root=1-67a1b2c3-${String(process.pid).padStart(12, '0')}${String(invocation).padStart(12, '0')};Sampled=0`;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: input.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${input.functionName}`,
    memoryLimitInMB: String(input.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${input.functionName}`,
    logStreamName: '2026/12/07/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

async function main(): Promise<void> {
  const input = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as RunnerInput;
  const importStart = performance.now();
  const { handler } = (await import(pathToFileURL(input.bundle).href)) as { handler: Handler };
  const imported = performance.now();
  let firstAnswer: Answer | undefined;
  if (input.first !== undefined) firstAnswer = await handler(input.first, context(input));
  const firstDone = performance.now();
  const blocks: Record<string, WarmBlock> = {};
  for (const [name, events] of Object.entries(input.blocks ?? {})) {
    const block: WarmBlock = { latenciesMs: [], cpuMs: [], answers: {} };
    for (const event of events) {
      const ctx = context(input);
      const cpu = process.cpuUsage();
      const start = performance.now();
      const answer = await handler(event, ctx);
      block.latenciesMs.push(performance.now() - start);
      const used = process.cpuUsage(cpu);
      block.cpuMs.push((used.user + used.system) / 1000);
      const key = summary(answer);
      block.answers[key] = (block.answers[key] ?? 0) + 1;
      // The runtime's request for the next event is I/O: callbacks due now run before it.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    blocks[name] = block;
  }
  const result: RunnerResult = {
    bootMs: started,
    importMs: imported - importStart,
    firstInvocationMs: input.first === undefined ? 0 : firstDone - imported,
    initPlusFirstMs: firstDone - importStart,
    ...(input.first === undefined ? {} : { firstAnswer: summary(firstAnswer) }),
    blocks,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
