import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  dataLake as lakeConfig,
  api,
  envVars,
  registryTable,
  training as trainingConfig,
  userTokens,
  type RouteName,
} from '#shared/config/index.ts';
import { mintUserToken, StaticUserTokenKeys, type MintedUserToken } from '#shared/auth/userToken.ts';
import { checkCorsOrigins, corsOriginsFrom } from '#shared/http/cors.ts';
import { systemClock } from '#shared/ports/index.ts';
import { DynamoModelRegistry } from '#shared/adapters/dynamoModelRegistry.ts';
import { LiveModelVersion } from '#shared/serving/liveModel.ts';
import { LocalLakeReader, LocalNewDataCounter } from '#shared/lake/localLake.ts';
import {
  startApiGateway,
  type GatewayResponse,
  type LocalApi,
  type LocalApiIds,
  type ProxyHandler,
} from './apiGateway.ts';
import { signSigV4, type SigV4Credentials } from './sigv4.ts';
import { createLocalSite, type LocalSiteOptions } from './site.ts';
import { dashboardSite } from '../web/dashboard/site.ts';
import { LocalDataLake } from './dataLake.ts';
import type { BootstrapModel } from './localModel.ts';
import { LocalBuckets } from './training/buckets.ts';
import { LocalEndpoint } from './training/localEndpoint.ts';
import { LocalPipeline, loadDefinition } from './training/localPipeline.ts';
import { LocalTrainingRuns } from './training/localRuns.ts';
import { EventSourceMapping, type StreamMapping } from './eventSourceMapping.ts';
import { startProcessorMapping } from './processorMapping.ts';
import { LocalStatsCollector } from './stats/collector.ts';
import { configureEnvironment, localApiIds, localNames, recordLive, startWith } from './stackSetup.ts';
import {
  ensureEventStream,
  ensureFeatureTable,
  ensureTable,
  localClients,
  startStandIns,
  type StandIns,
} from './standins.ts';

export { localSecrets } from './stackSetup.ts';

export interface LocalStackOptions {
  /** @default 3000 (0 picks a free port) */
  readonly port?: number;
  /** The storefront API's key. @default RECO_API_KEY, else 'local-dev-key' */
  readonly apiKey?: string;
  /**
   * The server API's IAM access key, which SigV4 signatures are checked against.
   * @default RECO_SERVER_ACCESS_KEY_ID / RECO_SERVER_SECRET_ACCESS_KEY, else `local` / `local-dev-secret`
   */
  readonly serverCredentials?: SigV4Credentials;
  /** Where the on-failure records and other local files go. @default '.local-data' */
  readonly dataDir?: string;
  /**
   * Where the DynamoDB and Kinesis stand-ins run: `'process'`, a child process of their own (as
   * the services are apart from a function in AWS, and so the stack's event loop and theirs use
   * both cores), or `'in-process'`, on this process's event loop.
   * @default 'process'
   */
  readonly standIns?: 'process' | 'in-process';
  /**
   * Where the processor's event source mapping (its poller and handler) runs: `'in-process'`, on
   * the API's event loop, or `'thread'`, a worker thread of its own, so its batches do not hold
   * up the API's event loop. On two cores it gave no more events/s in paired storefront runs
   * and mixed latencies (bench/README.md#reading-the-latest-records), so it is not the default.
   * @default 'in-process'
   */
  readonly processor?: 'thread' | 'in-process';
  /**
   * The processor's parallel store writes per batch (`FeatureDeps.writeConcurrency`, 16 in the
   * function). Each is a round trip to the DynamoDB stand-in, which answers slower than DynamoDB,
   * and slower still on a busy machine, so the processor waits on round trips, not CPU: at 64, in
   * paired storefront runs on a loaded two-core machine, the backlog when the load stopped was 160
   * records instead of 1,620 and drained in 1.4 s instead of 6.0 s.
   * @default 64
   */
  readonly processorWriteConcurrency?: number;
  /** Batching window of the stream poller, ms. @default from config */
  readonly batchingWindowMs?: number;
  /**
   * The model the stack starts with (see `local/localModel.ts`): recorded as the live version and
   * served by the endpoint stand-in, its history written to the lake. Without it the registry has
   * no live version and the lists are popularity until a pipeline run (`POST /v1/admin/train`)
   * makes one, as in a fresh deployment.
   */
  readonly model?: () => Promise<BootstrapModel>;
  /**
   * A model server already running elsewhere (the serving bench's own process, a test's): the
   * lists call it instead of the endpoint stand-in, and its version is recorded live.
   */
  /** The holdout of the stack's training runs. @default training.localHoldout */
  readonly trainingHoldout?: { readonly seconds: number };
  /** Hyperparameters of the stack's training runs (strings, as SageMaker takes them). @default the image's */
  readonly trainingHyperparameters?: Readonly<Record<string, string>>;
  readonly externalModel?: { readonly url: string; readonly modelVersion: string; readonly trainedOn?: number };
  /**
   * Origins whose pages may call the API (CORS), as `-c reco:corsOrigins` in AWS: the local
   * gateway's preflights and errors and the handlers' answers all use them.
   * @default RECO_CORS_ORIGINS (comma-separated), else `api.cors.allowOrigins` (`*`)
   */
  readonly corsOrigins?: readonly string[];
  /**
   * What the gateway serves outside `/v1` (`local/site.ts`): the demo shop at `/`, and sites mounted under their own
   * prefixes; `false`: nothing but the API. @default the shop, calling the API on its own origin
   */
  readonly site?: false | LocalSiteOptions;
}

export interface LocalStackStats {
  eventsAccepted: number;
  eventsRejected: number;
  recommendationsServed: number;
  httpErrors: number;
}

/** A request to the server API: its path (with the query) under the stack's URL. */
export interface ServerRequest {
  /** @default 'GET' */
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface LocalStack {
  /** Both APIs: a SigV4-signed request is a server-API call, any other a storefront call. */
  readonly url: string;
  /** The storefront API's key. */
  readonly apiKey: string;
  /** The server API's access key. */
  readonly serverCredentials: SigV4Credentials;
  /** Region and service signatures are scoped to. */
  readonly signingScope: { readonly region: string; readonly service: 'execute-api' };
  /** What each API puts in `requestContext.apiId`. */
  readonly apiIds: LocalApiIds;
  /**
   * A user token for `userId`, minted with the stack's user-token keys as
   * `POST /v1/admin/user-tokens` mints it (default lifetime `userTokens.ttlSeconds`).
   */
  mintUserToken(userId: string, ttlSeconds?: number): Promise<MintedUserToken>;
  /** `fetch` on the server API, signed with {@link LocalStack.serverCredentials}. */
  serverFetch(path: string, request?: ServerRequest): Promise<Response>;
  readonly standIns: StandIns;
  /** The processor's event source mapping. */
  readonly mapping: StreamMapping;
  /** Raw events as Firehose would land them in S3. */
  readonly dataLake: LocalDataLake;
  /** The SageMaker endpoint stand-in; it serves nothing until a version is live. */
  readonly endpoint: LocalEndpoint;
  /** The model the stack started with, if any. */
  readonly model?: { readonly url: string; readonly modelVersion: string; readonly trainedOn: number };
  /** The training pipeline, as `POST /v1/admin/train` runs it. */
  readonly training: LocalTrainingRuns;
  readonly stats: LocalStackStats;
  readonly names: { readonly table: string; readonly stream: string; readonly registry: string };
  /** The origins answered CORS for. */
  readonly corsOrigins: readonly string[];
  stop(): Promise<void>;
}

/**
 * Starts the whole system on this machine: AWS stand-ins, the same table and stream as the CDK
 * app, the unchanged Lambda handlers behind a local API Gateway, and a Kinesis poller that
 * invokes the processor like an event source mapping.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  // process.env itself: the handlers read their settings from it at import, as in Lambda.
  const env = process.env;
  const apiKey = options.apiKey ?? env.RECO_API_KEY ?? 'local-dev-key';
  const serverCredentials = options.serverCredentials ?? {
    accessKeyId: env.RECO_SERVER_ACCESS_KEY_ID || 'local',
    secretAccessKey: env.RECO_SERVER_SECRET_ACCESS_KEY || 'local-dev-secret',
  };
  const corsOrigins =
    options.corsOrigins === undefined
      ? corsOriginsFrom(env.RECO_CORS_ORIGINS, 'RECO_CORS_ORIGINS')
      : checkCorsOrigins(options.corsOrigins, 'corsOrigins');
  const dataDir = resolve(options.dataDir ?? '.local-data');
  await mkdir(dataDir, { recursive: true });

  const standIns = await startStandIns(env, { where: options.standIns ?? 'process' });
  configureEnvironment(env, standIns);
  // As the Api construct sets it on the functions; assigned, not defaulted, so the gateway and
  // the handlers built below agree.
  env[envVars.corsAllowOrigins] = corsOrigins.join(',');
  const names = {
    table: env[envVars.featureTableName] ?? '',
    stream: env[envVars.eventStreamName] ?? '',
    registry: env[envVars.registryTableName] ?? '',
  };
  const clients = localClients(standIns);
  await ensureFeatureTable(clients.dynamoDb, names.table);
  await ensureTable(clients.dynamoDb, registryTable, names.registry);
  await ensureEventStream(clients.kinesis, names.stream);

  const endpoint = await LocalEndpoint.start((line) => console.error(line));
  // The SDK's standard endpoint setting: the handler's SageMaker client reaches the local server.
  env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = options.externalModel?.url ?? endpoint.url;
  // dynalite has no TransactWriteItems: the live pointer is written first, as the commit point.
  const registry = new DynamoModelRegistry(clients.dynamoDb, names.registry, { atomicWrites: 'ordered' });
  const buckets = new LocalBuckets({ [localNames.artifactsBucket]: join(dataDir, 'artifacts') });
  const dataLake = new LocalDataLake(join(dataDir, 'lake'));
  const bootstrap = options.model ? await options.model() : undefined;
  if (bootstrap) await startWith(bootstrap, { registry, buckets, endpoint, dataLake });
  if (options.externalModel) await recordLive(registry, { version: options.externalModel.modelVersion });

  // Imported only now: the SDK clients read their endpoints from the environment when created.
  const [ingest, recommend, catalogue, privacy, admin] = await Promise.all([
    import('#functions/ingest/app.ts'),
    import('#functions/recommend/app.ts'),
    import('#functions/catalogue/app.ts'),
    import('#functions/privacy/app.ts'),
    import('#functions/admin/app.ts'),
  ]);
  // Each function as its Lambda entry point builds it, from the same environment (the processor's
  // in `processorMapping.ts`, with poison records going to a file, as there is no SQS stand-in).
  const ingestHandler = ingest.createHandler(ingest.createDeps(env));
  // A version the local pipeline deploys reaches the lists within a second, not the 30 s of a fleet of functions.
  const liveModel = new LiveModelVersion({
    source: registry,
    clock: systemClock,
    ttlMs: trainingConfig.localLiveVersionCacheMs,
  });
  // What `GET /v1/admin/stats` reports here, in place of CloudWatch.
  const statsCollector = new LocalStatsCollector();
  const recommendHandler = recommend.createHandler(
    recommend.createDeps(env, { liveModel, onFallback: statsCollector.fallback }),
  );
  const catalogueHandler = catalogue.createHandler(catalogue.createDeps(env));
  const privacyHandler = privacy.createHandler(privacy.createDeps(env));
  const lakeEvents = join(dataLake.root, lakeConfig.eventsPrefix);
  const training = new LocalTrainingRuns(
    new LocalPipeline({
      definition: await loadDefinition(),
      registry,
      buckets,
      artifactsBucket: localNames.artifactsBucket,
      lakeEventsDir: lakeEvents,
      newData: new LocalNewDataCounter(new LocalLakeReader(lakeEvents)),
      endpoint,
      endpointName: env[envVars.modelEndpointName] ?? localNames.endpoint,
      dynamoDb: clients.dynamoDb,
      featureTableName: names.table,
      erasureHashKey: env[envVars.erasureHashKey] ?? '',
      ...(options.trainingHoldout ? { holdout: options.trainingHoldout } : {}),
      ...(options.trainingHyperparameters ? { hyperparameters: options.trainingHyperparameters } : {}),
      log: (line) => console.error(line),
    }),
    (line) => console.error(line),
  );
  const adminHandler = admin.createHandler(
    admin.createDeps(env, {
      models: { registry, runs: training },
      stats: admin.statsDepsFrom(env, { registry, metrics: statsCollector }),
    }),
  );
  const apiIds: LocalApiIds = {
    storefront: env[envVars.storefrontApiId] ?? localApiIds.storefront,
    server: env[envVars.serverApiId] ?? localApiIds.server,
  };
  const userTokenKeys = new StaticUserTokenKeys(env[envVars.userTokenKeys] ?? '', envVars.userTokenKeys);

  const stats: LocalStackStats = { eventsAccepted: 0, eventsRejected: 0, recommendationsServed: 0, httpErrors: 0 };
  const onResponse = (response: GatewayResponse) => {
    statsCollector.response(response);
    const { route, statusCode, result } = response;
    if (statusCode >= 400) stats.httpErrors += 1;
    if (statusCode !== 200 || !result) return;
    if (route === 'events') {
      const body = JSON.parse(result.body) as { accepted: number; rejected: unknown[] };
      stats.eventsAccepted += body.accepted;
      stats.eventsRejected += body.rejected.length;
    } else if (route === 'userRecommendations') {
      stats.recommendationsServed += 1;
    }
  };

  const handlers: Record<RouteName, ProxyHandler> = {
    events: ingestHandler,
    userRecommendations: recommendHandler,
    health: recommendHandler,
    catalogueItems: catalogueHandler,
    catalogueItem: catalogueHandler,
    userErasure: privacyHandler,
    similarItems: recommendHandler,
    rankings: recommendHandler,
    trending: recommendHandler,
    readiness: recommendHandler,
    userTokens: adminHandler,
    trainModel: adminHandler,
    models: adminHandler,
    model: adminHandler,
    promoteModel: adminHandler,
    stats: adminHandler,
  };
  const region = env.AWS_REGION ?? 'us-east-1';
  const mapping = await startProcessorMapping({
    where: options.processor ?? 'in-process',
    env,
    kinesis: clients.kinesis,
    endpoints: { dynamodbEndpoint: standIns.dynamodbEndpoint, kinesisEndpoint: standIns.kinesisEndpoint },
    streamName: names.stream,
    region,
    dataDir,
    ...(options.batchingWindowMs === undefined ? {} : { batchingWindowMs: options.batchingWindowMs }),
    writeConcurrency: options.processorWriteConcurrency ?? 64,
    onProgress: statsCollector.processorProgress,
  });
  const lakeMapping = new EventSourceMapping({
    kinesis: clients.kinesis,
    streamName: names.stream,
    streamArn: `arn:aws:kinesis:${region}:000000000000:stream/${names.stream}`,
    region,
    handler: dataLake.handler,
    onFailurePath: join(dataDir, 'lake-on-failure.jsonl'),
    // Nothing waits on the lake (Firehose buffers for a minute): each shard is read about once a
    // second, as much as one GetRecords returns (10,000), busy or idle.
    batchingWindowMs: 1_000,
    pollIntervalMs: 1_000,
    batchSize: 10_000,
  });
  await lakeMapping.start();

  let localApi: LocalApi;
  const signingScope = { region, service: 'execute-api' } as const;
  /** A signed server-API call; only made once the gateway listens. */
  const serverFetch: LocalStack['serverFetch'] = async (path, { method = 'GET', headers = {}, body = '' } = {}) => {
    const target = `${localApi.url}${path}`;
    const signed = await signSigV4({ method, url: target, headers, body }, serverCredentials, signingScope);
    return fetch(target, { method, headers: signed, ...(body === '' ? {} : { body }) });
  };
  const site =
    options.site === false
      ? undefined
      : createLocalSite({
          ...options.site,
          mounts: {
            '/dashboard': dashboardSite({
              basePath: '/dashboard',
              fetchStats: (query) => serverFetch(`${api.routes.stats}${query === '' ? '' : `?${query}`}`),
            }),
            ...options.site?.mounts,
          },
          dynamoDb: clients.dynamoDb,
          tableName: names.table,
          apiKey,
          serverCredentials,
          region,
          serverUrl: () => localApi.url,
        });
  try {
    localApi = await startApiGateway({
      port: options.port ?? 3000,
      apiKey,
      handlers,
      onResponse,
      corsOrigins,
      apiIds,
      serverCredentials: [serverCredentials],
      region,
      ...(site ? { site } : {}),
    });
  } catch (error) {
    await mapping.stop();
    await lakeMapping.stop();
    await standIns.stop();
    throw error;
  }

  const url = localApi.url;
  return {
    url,
    apiKey,
    serverCredentials,
    signingScope,
    apiIds,
    mintUserToken: (userId, ttlSeconds = userTokens.ttlSeconds) =>
      mintUserToken(userId, { keys: userTokenKeys, clock: systemClock }, ttlSeconds),
    serverFetch,
    standIns,
    mapping,
    dataLake,
    endpoint,
    ...(bootstrap
      ? { model: { url: endpoint.url, modelVersion: bootstrap.version, trainedOn: bootstrap.trainedOn } }
      : {}),
    ...(options.externalModel ? { model: { trainedOn: 0, ...options.externalModel } } : {}),
    training,
    stats,
    names,
    corsOrigins,
    stop: async () => {
      await localApi.close();
      await mapping.stop();
      await lakeMapping.stop();
      await training.idle();
      await endpoint.close();
      clients.dynamoDb.destroy();
      clients.kinesis.destroy();
      await standIns.stop();
    },
  };
}
