/**
 * The handlers the cold-start bench measures, each with what its first invocation is in this run:
 * the event the Lambda runtime would hand it (API Gateway proxy events from the storefront or
 * server API, a Kinesis batch) and the environment the CDK app gives it, pointed at the stand-ins.
 * A handler whose every first call needs a service without a stand-in here (S3, SageMaker, Step
 * Functions, Secrets Manager) is measured on its init alone and says so.
 */
import type { APIGatewayProxyEvent, KinesisStreamEvent } from 'aws-lambda';
import { api, envVars, featureTable, lambdaDefaults, metricsNamespace, serviceName } from '#shared/config/index.ts';
import type { StorefrontEventInput } from '#shared/events/schema.ts';
import { pipelineFunctionEnv } from '#shared/training/pipelineEnv.ts';
import { BENCH_API_IDS, BENCH_ORIGIN, recommendationsEvent } from '../lambda/apiEvent.ts';
import { streamRecords, toEpochMs } from '../fixtures.ts';

export const FEATURE_TABLE = 'reco-bench-features';
export const EVENT_STREAM = 'reco-bench-events';
export const FLOOR_ENTRY = 'bench/lib/coldStart/floorHandler.ts';

/** What one subject's runs need: the same for every run but the events, which may differ per run. */
export interface RunInputs {
  /** Per run `k`: the first invocation's event, or undefined for init only. */
  readonly first: (k: number) => unknown;
  /**
   * Warm invocations after a first one, by block name, for the per-invocation billed time the cost
   * model reads; absent: not measured warm.
   */
  readonly warm?: () => Readonly<Record<string, readonly unknown[]>>;
}

export interface Subject {
  /** The folder under `functions/` (or `floor`). */
  readonly name: string;
  readonly entry: string;
  /** What the first invocation does; `init only` when nothing is invoked. */
  readonly firstInvocation: string;
  readonly inputs: RunInputs;
  /** Variables only this function gets (e.g. the pipeline's, whose endpoint name would give recommend a model). */
  readonly env?: Readonly<Record<string, string>>;
}

/** What the suite hands the subjects: shoppers with tokens, simulator events, the run's clock. */
export interface SubjectContext {
  /** Signed-in shoppers of the seeded table, each with a user token minted with `tokenKeys`. */
  readonly shoppers: readonly { readonly id: string; readonly token: string }[];
  /** Simulator events not yet applied to the table, moved to just before now; 100 per run are used. */
  readonly freshEvents: readonly StorefrontEventInput[];
  readonly runs: number;
  /** More such events, none of them in `freshEvents`, for the warm blocks ({@link WARM}). */
  readonly warmEvents: readonly StorefrontEventInput[];
}

/** The environment of a function in this run: Lambda's own variables, RecoFunction's and the bind calls'. */
export function lambdaEnvironment(options: {
  readonly functionName: string;
  readonly dynamodbEndpoint: string;
  readonly kinesisEndpoint: string;
  readonly tokenKeys: string;
}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: options.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(lambdaDefaults.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_ENDPOINT_URL_DYNAMODB: options.dynamodbEndpoint,
    AWS_ENDPOINT_URL_KINESIS: options.kinesisEndpoint,
    // RecoFunction's service-wide variables (infra/constructs/reco-function.ts).
    POWERTOOLS_SERVICE_NAME: serviceName,
    POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
    NODE_OPTIONS: '--enable-source-maps',
    // The bind calls' variables; the secrets inline, as the local stack gives them (in AWS each is
    // one Secrets Manager read on first use, which no handler here makes before its first answer
    // but the token checks).
    [envVars.featureTableName]: FEATURE_TABLE,
    [envVars.eventStreamName]: EVENT_STREAM,
    [envVars.modelVersion]: 'popularity-v1',
    [envVars.corsAllowOrigins]: BENCH_ORIGIN,
    [envVars.storefrontApiId]: BENCH_API_IDS.storefront,
    [envVars.serverApiId]: BENCH_API_IDS.server,
    [envVars.userTokenKeys]: options.tokenKeys,
    [envVars.erasureHashKey]: 'cold-start-bench-erasure-hash-key-0123456789',
    [envVars.poisonQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/reco-bench-poison',
    [envVars.registryTableName]: 'reco-bench-registry',
    [envVars.trainingStateMachineArn]: 'arn:aws:states:us-east-1:123456789012:stateMachine:reco-bench-training',
  };
}

/** An API Gateway proxy event of `route` on the storefront API, or the server API signed by a role. */
function apiEvent(options: {
  readonly route: keyof typeof api.routes;
  readonly path: string;
  readonly requestId: string;
  readonly pathParameters?: Record<string, string>;
  readonly body?: unknown;
  readonly server?: boolean;
}): APIGatewayProxyEvent {
  const base = recommendationsEvent('x', undefined, options.requestId);
  const apiId = options.server ? BENCH_API_IDS.server : BENCH_API_IDS.storefront;
  const headers = { ...base.headers, 'content-type': 'application/json' };
  return {
    ...base,
    resource: api.routes[options.route],
    path: options.path,
    httpMethod: api.routeMethods[options.route],
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    pathParameters: options.pathParameters ?? null,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    requestContext: {
      ...base.requestContext,
      apiId,
      resourcePath: api.routes[options.route],
      httpMethod: api.routeMethods[options.route],
      path: `/prod${options.path}`,
      identity: {
        ...base.requestContext.identity,
        ...(options.server
          ? { userArn: 'arn:aws:sts::123456789012:assumed-role/shop-backend/session', caller: 'AROAEXAMPLE:session' }
          : {}),
      },
    },
  };
}

/** A Kinesis batch as Lambda's event source mapping delivers it. */
function kinesisEvent(events: readonly StorefrontEventInput[], run: number): KinesisStreamEvent {
  const shardId = 'shardId-000000000000';
  // Later runs get later sequence numbers, as on one shard: none is a retry the processor skips.
  const records = streamRecords(events, { shardId, firstSequenceNumber: 49_000_000_000n + BigInt(run) * 1_000n });
  return {
    Records: records.map((record, i) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: `pk-${i}`,
        sequenceNumber: record.sequenceNumber,
        data: record.data,
        approximateArrivalTimestamp: Date.now() / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${record.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/reco-processor',
      awsRegion: 'us-east-1',
      eventSourceARN: `arn:aws:kinesis:us-east-1:123456789012:stream/${EVENT_STREAM}`,
    })),
  };
}

/** The pipeline function's settings (`shared/training/pipelineEnv.ts`), checked at its cold start. */
const PIPELINE_ENV: Readonly<Record<string, string>> = {
  [pipelineFunctionEnv.artifactsBucket]: 'reco-bench-artifacts',
  [pipelineFunctionEnv.lakeUri]: 's3://reco-bench-lake/events/',
  [pipelineFunctionEnv.endpointName]: 'reco-bench-endpoint',
  [pipelineFunctionEnv.namePrefix]: 'reco-bench',
};

/**
 * Events per first invocation of ingest and the processor: one, the least a first call does, so
 * the measurement is the cold start's cost rather than the batch's work (which the ingest and
 * processor suites measure).
 */
export const EVENTS_PER_BATCH = 1;

/**
 * The warm blocks of ingest and the processor: requests of the cost model's events per request,
 * and Kinesis batches of one record and of 100 (the billed time of a batch of n records is then
 * read as a fixed part plus n times a per-record part).
 */
export const WARM = {
  ingestRequests: 200,
  ingestEventsPerRequest: 5,
  processorBatches: 20,
  processorLargeBatchRecords: 100,
} as const;

/** Warm events the subjects use: one-record batches, then the large ones; ingest reuses them. */
export const WARM_EVENTS = WARM.processorBatches * (1 + WARM.processorLargeBatchRecords);

/** Every handler under `functions/`, and what its first invocation is. */
export function subjects(ctx: SubjectContext): Subject[] {
  const shopper = (k: number) => ctx.shoppers[k % ctx.shoppers.length] as { id: string; token: string };
  const batch = (k: number) => ctx.freshEvents.slice(k * EVENTS_PER_BATCH, (k + 1) * EVENTS_PER_BATCH);
  // A storefront page without a user token sends anonymous events only.
  const stripUser = (events: readonly StorefrontEventInput[]) =>
    events.map((event) => {
      const { userId: _userId, ...rest } = event as StorefrontEventInput & { userId?: string };
      return { ...rest, timestamp: toEpochMs(event.timestamp) };
    });
  const anonymous = (k: number) => stripUser(batch(k));
  const requestId = (name: string, k: number) => `cold-${name}-${k}`;
  const ingestWarm = () => ({
    request: Array.from({ length: WARM.ingestRequests }, (_, i) => {
      const start = (i * WARM.ingestEventsPerRequest) % (ctx.warmEvents.length - WARM.ingestEventsPerRequest);
      return apiEvent({
        route: 'events',
        path: api.routes.events,
        requestId: requestId('ingest-warm', i),
        body: { events: stripUser(ctx.warmEvents.slice(start, start + WARM.ingestEventsPerRequest)) },
      });
    }),
  });
  // Sequence numbers after every cold run's, batch after batch, as on one shard.
  const processorWarm = () => {
    const small = ctx.warmEvents.slice(0, WARM.processorBatches);
    const large = ctx.warmEvents.slice(WARM.processorBatches);
    const run = (j: number) => ctx.runs + 1 + j;
    return {
      batch1: small.map((event, j) => kinesisEvent([event], run(j))),
      [`batch${WARM.processorLargeBatchRecords}`]: Array.from({ length: WARM.processorBatches }, (_, j) =>
        kinesisEvent(
          large.slice(j * WARM.processorLargeBatchRecords, (j + 1) * WARM.processorLargeBatchRecords),
          run(WARM.processorBatches + j),
        ),
      ),
    };
  };
  return [
    {
      name: 'recommend',
      entry: 'functions/recommend/handler.ts',
      firstInvocation: 'GET /v1/users/{userId}/recommendations of a signed-in shopper (cache miss, no model)',
      inputs: {
        first: (k) => recommendationsEvent(shopper(k).id, { count: '20' }, requestId('recommend', k), shopper(k).token),
      },
    },
    {
      name: 'ingest',
      entry: 'functions/ingest/handler.ts',
      firstInvocation: 'POST /v1/events with one anonymous event, PutRecords to the Kinesis stand-in',
      inputs: {
        first: (k) =>
          apiEvent({
            route: 'events',
            path: api.routes.events,
            requestId: requestId('ingest', k),
            body: { events: anonymous(k) },
          }),
        warm: ingestWarm,
      },
    },
    {
      name: 'processor',
      entry: 'functions/processor/handler.ts',
      firstInvocation: 'a Kinesis batch of one record, its feature writes to the DynamoDB stand-in',
      inputs: { first: (k) => kinesisEvent(batch(k), k), warm: processorWarm },
    },
    {
      name: 'catalogue',
      entry: 'functions/catalogue/handler.ts',
      firstInvocation: 'PUT /v1/items of one item from the server API',
      inputs: {
        first: (k) =>
          apiEvent({
            route: 'catalogueItems',
            path: api.routes.catalogueItems,
            requestId: requestId('catalogue', k),
            server: true,
            body: {
              items: Array.from({ length: 1 }, (_, i) => ({
                itemId: `cold-${k}-${i}`,
                title: `Item ${i}`,
                categories: ['outdoor'],
                price: 10 + i,
                currency: 'EUR',
              })),
            },
          }),
      },
    },
    {
      name: 'privacy',
      entry: 'functions/privacy/handler.ts',
      firstInvocation: 'DELETE /v1/users/{userId} from the server API (a shopper never seen)',
      inputs: {
        first: (k) => {
          const userId = `cold-erased-${k}`;
          const path = api.routes.userErasure.replace('{userId}', userId);
          return apiEvent({
            route: 'userErasure',
            path,
            requestId: requestId('privacy', k),
            server: true,
            pathParameters: { userId },
          });
        },
      },
    },
    {
      name: 'admin',
      entry: 'functions/admin/handler.ts',
      firstInvocation: 'POST /v1/admin/user-tokens from the server API (no AWS call: the keys are inline)',
      inputs: {
        first: (k) =>
          apiEvent({
            route: 'userTokens',
            path: api.routes.userTokens,
            requestId: requestId('admin', k),
            server: true,
            body: { userId: shopper(k).id },
          }),
      },
    },
    ...(['pipeline', 'pipelineTeardown', 'rotateUserTokenKeys'] as const).map((name) => ({
      name,
      entry: `functions/${name}/handler.ts`,
      firstInvocation: 'init only (its first call needs S3, SageMaker, Step Functions or Secrets Manager)',
      inputs: { first: () => undefined },
      ...(name === 'pipeline' ? { env: PIPELINE_ENV } : {}),
    })),
  ];
}

/** The floor: one GetItem of a key that is not in the table (the round trip is the same). */
export function floorSubject(): Subject {
  const key = {
    [featureTable.partitionKey.name]: { S: 'cold-start#floor' },
    [featureTable.sortKey.name]: { S: 'floor' },
  };
  return {
    name: 'floor',
    entry: FLOOR_ENTRY,
    firstInvocation: 'one GetItem with one DynamoDB client',
    inputs: { first: () => ({ tableName: FEATURE_TABLE, key }) },
  };
}
