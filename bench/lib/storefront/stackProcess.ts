/**
 * Child process: the local stack as `npm start -- --rate 0` runs it (the bootstrap model trained on
 * the simulated week, the catalogue uploaded through the server API, no simulated traffic), on a
 * free port and a scratch data directory, with its counters served over IPC to the storefront
 * suite.
 *
 * argv[2]: JSON {@link StorefrontStackOptions}. Ready value: {@link StorefrontStackInfo}.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envVars } from '#shared/config/index.ts';
import { createCatalogue, createShoppers, createTrafficSimulator } from '#local/simulator/index.ts';
import { localModelDir, trainBootstrapModel, uploadCatalogue } from '#local/localModel.ts';
import { startLocalStack, type LocalStackOptions } from '#local/stack.ts';
import type { DeserializeMiddleware, MetadataBearer } from '@smithy/types';
import { failStart, serveParent } from '../serving/ipc.ts';

export interface StorefrontStackOptions {
  readonly apiKey: string;
  /** The user-token signing keys (`envVars.userTokenKeys` JSON) the bench mints its shoppers' tokens with. */
  readonly userTokenKeys: string;
  /** `npm start`'s seed. */
  readonly seed: number;
  /** Where the stand-ins run (see `LocalStackOptions.standIns`); unset: the stack's default. */
  readonly standIns?: LocalStackOptions['standIns'];
  /** Where the processor's mapping runs (see `LocalStackOptions.processor`); unset: the stack's default. */
  readonly processor?: LocalStackOptions['processor'];
  readonly processorWriteConcurrency?: number;
}

export interface StorefrontStackInfo {
  /** With 127.0.0.1 instead of `localhost`, so clients do not try ::1 first. */
  readonly url: string;
  /** Item ids of the simulated catalogue, for the shoppers' views. */
  readonly itemIds: readonly string[];
  /** Process ids by role; a role running inside the stack's process has the stack's pid. */
  readonly pids: {
    readonly stack: number;
    readonly dynamodb: number;
    readonly kinesis: number;
    readonly model: number;
  };
  readonly endpoints: { readonly dynamodb: string; readonly kinesis: string };
  readonly names: { readonly table: string; readonly stream: string };
}

/** A DynamoDB request as the handlers' client sent it to the stand-in, for replay. */
export interface CapturedRequest {
  readonly operation: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface StorefrontStackStats {
  readonly eventsAccepted: number;
  readonly processed: number;
  readonly discarded: number;
  readonly idle: boolean;
  readonly lagMs: number;
  readonly maxLagMs: number;
  readonly invocations: number;
  readonly httpErrors: number;
  readonly recommendationsServed: number;
  /** Requests each stand-in answered, by operation (`X-Amz-Target`'s action). */
  readonly standInOperations: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as StorefrontStackOptions;
  const env = process.env;
  // Fresh stand-ins and the embedded cache, whatever the shell set.
  for (const name of [
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_ENDPOINT_URL_KINESIS',
    'AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME',
    'REDIS_URL',
    envVars.cacheUrl,
  ]) {
    delete env[name];
  }
  env[envVars.userTokenKeys] = options.userTokenKeys;
  const dataDir = await mkdtemp(join(tmpdir(), 'reco-storefront-'));
  // As `local/main.ts` builds them for `npm start`.
  const catalogue = createCatalogue({ seed: options.seed });
  const shoppers = createShoppers({ seed: options.seed, catalogue });
  let historyClock = Date.now() - 7 * 24 * 60 * 60 * 1000;
  const history = createTrafficSimulator({
    seed: options.seed + 1,
    catalogue,
    shoppers,
    now: () => (historyClock += 15_000),
  });
  const stack = await startLocalStack({
    port: 0,
    dataDir,
    apiKey: options.apiKey,
    ...(options.standIns === undefined ? {} : { standIns: options.standIns }),
    ...(options.processor === undefined ? {} : { processor: options.processor }),
    ...(options.processorWriteConcurrency === undefined
      ? {}
      : { processorWriteConcurrency: options.processorWriteConcurrency }),
    model: () => trainBootstrapModel({ dir: localModelDir(dataDir), catalogue, history, events: 30_000 }),
  });
  await uploadCatalogue(stack, catalogue);
  const info: StorefrontStackInfo = {
    url: stack.url.replace('//localhost:', '//127.0.0.1:'),
    itemIds: catalogue.items.map((item) => item.itemId),
    pids: {
      stack: process.pid,
      dynamodb: stack.standIns.pids.dynamodb ?? process.pid,
      kinesis: stack.standIns.pids.kinesis ?? process.pid,
      model: stack.endpoint.pid ?? process.pid,
    },
    endpoints: { dynamodb: stack.standIns.dynamodbEndpoint, kinesis: stack.standIns.kinesisEndpoint },
    names: stack.names,
  };
  // The handlers' DynamoDB requests as sent (serialised and signed), the last few hundred of each
  // operation, while the suite asks: what the stand-in's ceiling is then measured with.
  const { dynamoDb } = await import('#functions/lib/dynamoDb.ts');
  let captured: Map<string, CapturedRequest[]> | undefined;
  const capture =
    <I extends object, O extends MetadataBearer>(): DeserializeMiddleware<I, O> =>
    (next) =>
    (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      const body = !captured
        ? undefined
        : request.body instanceof Uint8Array
          ? Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength).toString('utf8')
          : request.body;
      if (captured && typeof body === 'string' && request.headers) {
        const target = request.headers['x-amz-target'] ?? '';
        const operation = target.slice(target.indexOf('.') + 1);
        let list = captured.get(operation);
        if (!list) captured.set(operation, (list = []));
        if (list.length >= 400) list.shift();
        list.push({ operation, headers: { ...request.headers }, body });
      }
      return next(args);
    };
  // The innermost step, after signing: the headers carry the SDK's own Authorization and date.
  dynamoDb.middlewareStack.add(capture(), { step: 'deserialize', name: 'benchCapture' });
  serveParent(
    info,
    {
      startCapture: () => {
        captured = new Map();
      },
      capturedRequests: (): CapturedRequest[] => {
        const out = [...(captured?.values() ?? [])].flat();
        captured = undefined;
        return out;
      },
      stats: async (): Promise<StorefrontStackStats> => ({
        eventsAccepted: stack.stats.eventsAccepted,
        processed: stack.mapping.stats.processed,
        discarded: stack.mapping.stats.discarded,
        idle: stack.mapping.idle,
        lagMs: stack.mapping.stats.lagMs,
        maxLagMs: stack.mapping.stats.maxLagMs,
        invocations: stack.mapping.stats.invocations,
        httpErrors: stack.stats.httpErrors,
        recommendationsServed: stack.stats.recommendationsServed,
        standInOperations: await stack.standIns.operations(),
      }),
      resetMaxLag: () => {
        stack.mapping.resetMaxLag();
      },
    },
    async () => {
      try {
        await stack.stop();
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  );
}

main().catch(failStart);
