/**
 * Child process: the local stack (real handlers, local API Gateway; the DynamoDB and Kinesis
 * stand-ins in a child process of its own) with the embedded LRU cache or, when `redisUrl` is given, a real Redis, and
 * the recommend handler's SageMaker client pointed at an already running model server.
 *
 * argv[2]: JSON {@link StackProcessOptions}. Ready value: {@link StackProcessInfo}.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { InitializeMiddleware, MetadataBearer } from '@smithy/types';
import { envVars, featureTable } from '#shared/config/index.ts';
import { startLocalStack } from '#local/stack.ts';
import type { BareResponse } from './bareProcess.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { percentile } from '../stats.ts';
import { failStart, serveParent, startChild } from './ipc.ts';
import type { StandInsProcessInfo } from './standInsProcess.ts';

export interface StackProcessOptions {
  readonly apiKey: string;
  /** The user-token signing keys (`envVars.userTokenKeys` JSON) the bench mints its shoppers' tokens with. */
  readonly userTokenKeys: string;
  readonly redisUrl?: string;
  readonly model?: { readonly url: string; readonly modelVersion: string; readonly trainedOn: number };
  readonly batchingWindowMs?: number;
}

export interface StackProcessInfo {
  /** With 127.0.0.1 instead of `localhost`, so clients do not try ::1 first. */
  readonly url: string;
  readonly apiKey: string;
  /** Scratch directory of the stack (on-failure records, data lake); the parent removes it too. */
  readonly dataDir: string;
  /** The DynamoDB and Kinesis stand-ins' own process (see `standInsProcess.ts`). */
  readonly standInsPid: number;
}

/** GetItem round trips per second through the handlers' own DynamoDB client to the stand-in. */
export interface DynamoProbe {
  readonly calls: number;
  readonly perSecond: number;
}

/** Model calls since `watchModelCalls`, and how many of them gave the model a user id (a personal list). */
export interface ModelCallCount {
  readonly calls: number;
  readonly withUserId: number;
}

/** How long the handlers' AWS SDK calls took, by command, since the last `sdkCallTimes` call. */
export type SdkCallTimes = Record<string, { readonly calls: number; readonly p50Ms: number; readonly p99Ms: number }>;

export interface StackProcessStats {
  readonly eventsAccepted: number;
  readonly eventsRejected: number;
  readonly processed: number;
  readonly discarded: number;
  readonly idle: boolean;
  readonly httpErrors: number;
  readonly recommendationsServed: number;
  readonly rssMb: number;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as StackProcessOptions;
  const env = process.env;
  // Fresh in-process stand-ins and exactly the cache asked for, whatever the shell set.
  delete env.AWS_ENDPOINT_URL_DYNAMODB;
  delete env.AWS_ENDPOINT_URL_KINESIS;
  delete env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME;
  delete env[envVars.cacheUrl];
  delete env[envVars.modelEndpointName];
  delete env.REDIS_URL;
  if (options.redisUrl !== undefined) env.REDIS_URL = options.redisUrl;
  env[envVars.userTokenKeys] = options.userTokenKeys;

  // The DynamoDB and Kinesis stand-ins in a process of their own, as the model server is: in AWS
  // neither service runs in the function's process, so their CPU is not the serving path's. The
  // stack reaches them through the SDK's standard endpoint variables, as it would real services.
  // (In one process, they cost the stack ~25 % of its CPU in the mixed phase: 1,733 req/s there
  // against 1,984 here, in runs of the same day.)
  const standIns = await startChild<StandInsProcessInfo>(join(import.meta.dirname, 'standInsProcess.ts'), {
    label: 'stand-ins',
  });
  env.AWS_ENDPOINT_URL_DYNAMODB = standIns.ready.dynamodbEndpoint;
  env.AWS_ENDPOINT_URL_KINESIS = standIns.ready.kinesisEndpoint;

  const dataDir = await mkdtemp(join(tmpdir(), 'reco-serving-'));
  const model = options.model;
  const stack = await startLocalStack({
    port: 0,
    dataDir,
    apiKey: options.apiKey,
    ...(options.batchingWindowMs === undefined ? {} : { batchingWindowMs: options.batchingWindowMs }),
    // The model server runs in its own process and outlives this stack: closing is its owner's job.
    ...(model ? { externalModel: model } : {}),
  });
  const info: StackProcessInfo = {
    url: stack.url.replace('//localhost:', '//127.0.0.1:'),
    apiKey: stack.apiKey,
    dataDir,
    standInsPid: standIns.pid,
  };
  // The handlers' client (module scope, imported by the stack already): same agent, same middleware.
  const { dynamoDb } = await import('#functions/lib/dynamoDb.ts');
  const { sageMakerRuntime } = await import('#functions/lib/sageMakerRuntime.ts');
  // Each SDK call's time from send to result, by command: where a slow answer's time went. The
  // middleware is the first of the stack, so serialising, signing, retries and waiting for this
  // process's event loop count too, as they do for the request that waits on the call.
  const callTimes = new Map<string, number[]>();
  const bareServers: Server[] = [];
  const timed =
    <I extends object, O extends MetadataBearer>(): InitializeMiddleware<I, O> =>
    (next, context) =>
    async (args) => {
      const started = performance.now();
      try {
        return await next(args);
      } finally {
        const name = context.commandName ?? 'unknown';
        let times = callTimes.get(name);
        if (!times) callTimes.set(name, (times = []));
        times.push(performance.now() - started);
      }
    };
  const timing = { step: 'initialize', priority: 'high', name: 'benchCallTimes' } as const;
  dynamoDb.middlewareStack.add(timed(), timing);
  sageMakerRuntime.middlewareStack.add(timed(), timing);
  // Whether the model is asked for a shopper's own list (a user id in the invocation) or only
  // with recent items: counted only between `watchModelCalls` and `modelCalls`, so load runs
  // carry no extra work.
  let modelCalls: { calls: number; withUserId: number } | undefined;
  const userIdMarker = Buffer.from('"userId":');
  const watchUserIds =
    <I extends object, O extends MetadataBearer>(): InitializeMiddleware<I, O> =>
    (next) =>
    async (args) => {
      if (modelCalls) {
        modelCalls.calls++;
        const body = (args.input as { Body?: unknown }).Body;
        const bytes =
          body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : undefined;
        if (bytes?.includes(userIdMarker)) modelCalls.withUserId++;
      }
      return next(args);
    };
  sageMakerRuntime.middlewareStack.add(watchUserIds(), { step: 'initialize', name: 'benchModelUserIds' });
  serveParent(
    info,
    {
      stats: (): StackProcessStats => ({
        eventsAccepted: stack.stats.eventsAccepted,
        eventsRejected: stack.stats.eventsRejected,
        processed: stack.mapping.stats.processed,
        discarded: stack.mapping.stats.discarded,
        idle: stack.mapping.idle,
        httpErrors: stack.stats.httpErrors,
        recommendationsServed: stack.stats.recommendationsServed,
        rssMb: Math.round(process.memoryUsage().rss / 1e6),
      }),
      /**
       * A bare `node:http` server in this process answering `response`, as `bareProcess.ts` does:
       * what this process's own weight (heap, pollers, SDK clients) costs a request, apart from
       * the serving path's code.
       */
      bareInside: async (response: unknown): Promise<{ url: string }> => {
        const { status, headers, body } = response as BareResponse;
        const bytes = Buffer.from(body, 'utf8');
        const bare = createServer((_request, reply) => {
          reply.writeHead(status, headers);
          reply.end(bytes);
        });
        bare.keepAliveTimeout = 5_000;
        await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
        bareServers.push(bare);
        return { url: `http://127.0.0.1:${(bare.address() as AddressInfo).port}` };
      },
      watchModelCalls: () => {
        modelCalls = { calls: 0, withUserId: 0 };
      },
      modelCalls: (): ModelCallCount => {
        const out = modelCalls ?? { calls: 0, withUserId: 0 };
        modelCalls = undefined;
        return out;
      },
      sdkCallTimes: (): SdkCallTimes => {
        const out: Record<string, SdkCallTimes[string]> = {};
        for (const [name, times] of callTimes) {
          const at = (p: number) => Math.round(percentile(times, p) * 10) / 10;
          out[name] = { calls: times.length, p50Ms: at(50), p99Ms: at(99) };
        }
        callTimes.clear();
        return out;
      },
      /** What one DynamoDB call costs here: `concurrency` loops of GetItem for `ms`. */
      dynamoProbe: async (args: unknown): Promise<DynamoProbe> => {
        const { ms, concurrency } = args as { ms: number; concurrency: number };
        const key = {
          [featureTable.partitionKey.name]: { S: 'U#bench-probe' },
          [featureTable.sortKey.name]: { S: 'PROFILE' },
        };
        let calls = 0;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (performance.now() - started < ms) {
              await dynamoDb.send(new GetItemCommand({ TableName: stack.names.table, Key: key }));
              calls++;
            }
          }),
        );
        return { calls, perSecond: (calls * 1000) / (performance.now() - started) };
      },
    },
    async () => {
      try {
        for (const bare of bareServers) bare.closeAllConnections();
        await Promise.all(bareServers.map((bare) => new Promise((resolve) => bare.close(resolve))));
        await stack.stop();
        await standIns.stop();
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  );
}

main().catch(failStart);
