import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Template } from 'aws-cdk-lib/assertions';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, CloudFormationCustomResourceDeleteEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, envVars, registryTable, type RouteName } from '#shared/config/index.ts';
import { LAKE_BYTES_PER_EVENT } from '#shared/adapters/s3Lake.ts';
import type { CleanUpResult } from '#shared/training/cleanUp.ts';
import type { RecordResult } from '#shared/training/outcome.ts';
import { pipelineStates, type GateVerdict, type GuardDecision } from '#shared/training/pipeline.ts';
import { pipelineFunctionEnv } from '#shared/training/pipelineEnv.ts';
import { parseS3Uri } from '#shared/training/plan.ts';
import { RecoFunction } from '#infra/constructs/reco-function.ts';
import { repoRoot, type FunctionName } from '#infra/paths.ts';
import { EventSourceMapping, type StreamHandler } from '#local/eventSourceMapping.ts';
import {
  ensureEventStream,
  ensureFeatureTable,
  ensureTable,
  localClients,
  startStandIns,
  type StandIns,
} from '#local/standins.ts';
import { trainerFor } from '#shared/recommender/registry.ts';
import type { CatalogueItem, Interaction } from '#shared/recommender/model.ts';
import { loadServingModel } from '../../model/lib/loading.ts';
import { InferenceServer } from '../../model/lib/server.ts';
import { buildTestApp, logicalIdOf } from '../infra/helpers.ts';
import { apiEvent } from '../support/apiGateway.ts';
import { TEST_USER_TOKEN_KEYS } from '../support/auth.ts';
import {
  startDynamoDbTransactionsStandIn,
  type DynamoDbTransactionsStandIn,
} from '../support/dynamoDbTransactionsStandIn.ts';
import { knownClient } from '../support/iam/clients.ts';
import { commandKey, scanCommandUses } from '../support/iam/commandScan.ts';
import { describeFindings, IamGuard, type GuardedCode, type GuardedFunction } from '../support/iam/guard.ts';
import { SdkCallRecorder, type RecordedCall } from '../support/iam/recorder.ts';
import { PLACEHOLDER } from '../support/iam/requests.ts';
import { TemplateModel, type CfnTemplate, type ProcessingJobTask } from '../support/iam/template.ts';
import { startS3StandIn, type S3StandIn } from '../support/s3StandIn.ts';
import { startSageMakerStandIn, type SageMakerStandIn } from '../support/sageMakerStandIn.ts';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../support/secretsManagerStandIn.ts';
import { startSqsStandIn, type SqsStandIn } from '../support/sqsStandIn.ts';
import { startStepFunctionsStandIn, type StepFunctionsStandIn } from '../support/stepFunctionsStandIn.ts';
import { startCloudWatchStandIn, type CloudWatchStandIn } from '../support/cloudWatchStandIn.ts';

/*
 * The IAM guard: every AWS SDK call the functions make, recorded from their real handlers (built
 * by `createDeps` from the environment the template gives each function) running against protocol
 * stand-ins, must be allowed by the synthesised template: the function's role, the resource and key
 * policies, and the VPC endpoint policies on its way. The training export, which SageMaker runs
 * as a Processing job, is held to the role and environment the state machine gives that job. Unit
 * tests stub the SDK and the stand-ins know no IAM, so this is where code and policy that disagree
 * show up before AWS refuses the call.
 */

/** The name the export's calls are recorded under: the model image's `export` mode, not a Lambda function. */
const EXPORT = 'export';

interface Synthesised {
  readonly model: TemplateModel;
  readonly functions: readonly GuardedFunction[];
  /** The state machine's export job: its role and the environment the definition gives it. */
  readonly exportJob: ProcessingJobTask;
  /** Everyone whose calls are checked: the functions and the export's role. */
  readonly guarded: readonly GuardedCode[];
}

/**
 * The app's template, which Lambda function runs each `functions/<name>/` handler, and the export
 * job. Synthesised without the CDK's built-in CloudFormation validation, as the infra tests do
 * (`CDK_VALIDATION`): it costs the process hundreds of megabytes and checks nothing this guard reads.
 */
function synthesise(): Synthesised {
  const validation = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const { stack } = buildTestApp();
    const functions = stack.node
      .findAll()
      .filter((construct): construct is RecoFunction => construct instanceof RecoFunction)
      .map((fn) => ({ name: path.basename(path.dirname(fn.entry)), logicalId: logicalIdOf(fn) }));
    const model = new TemplateModel(Template.fromStack(stack).toJSON() as CfnTemplate);
    const exportJob = model.processingJob(pipelineStates.exportDataset);
    return {
      model,
      functions,
      exportJob,
      guarded: [...functions, { name: EXPORT, roleLogicalId: exportJob.roleLogicalId }],
    };
  } finally {
    if (validation === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = validation;
  }
}

const SDK_ENVIRONMENT = [
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_KINESIS',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME',
  'AWS_ENDPOINT_URL_SAGEMAKER',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_SFN',
  'AWS_ENDPOINT_URL_CLOUDWATCH',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_LOG_LEVEL',
] as const;

/** A served shop small enough to train a model on in a moment. */
const ITEMS = ['knife', 'pan', 'whisk', 'kettle', 'hose', 'rake', 'spade', 'gloves'].map((name) => `iam-${name}`);
const CATALOGUE: CatalogueItem[] = ITEMS.map((itemId, n) => ({
  itemId,
  title: `Item ${itemId}`,
  description: n < 4 ? 'Kitchen utensil for cooking.' : 'Garden tool for soil and plants.',
  categories: [n < 4 ? 'kitchen' : 'garden'],
  price: 10 + n,
  inStock: true,
}));

const DAY_MS = 86_400_000;

async function startModel(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const interactions: Interaction[] = [];
  for (let shopper = 0; shopper < 8; shopper++) {
    for (let n = 0; n < 3; n++) {
      interactions.push({
        userId: `trained-${shopper}`,
        itemId: ITEMS[(shopper + n) % ITEMS.length] as string,
        timestamp: 1_700_000_000 + shopper * 100 + n,
        eventType: 'view',
      });
    }
  }
  const model = await trainerFor('hybrid').fit({ interactions, catalogue: CATALOGUE });
  await model.save(dir);
  const server = new InferenceServer({ log: () => undefined });
  const url = await server.listen(0, '127.0.0.1');
  const loaded = await loadServingModel(dir);
  server.ready(loaded.serving);
  return {
    url,
    close: async () => {
      await server.close(1_000);
      await loaded.cleanup();
    },
  };
}

/** One day's lake object as Firehose writes it: shoppers' views of the catalogue, received that day. */
function lakeObject(day: number, events: number): { key: string; body: Buffer; lastModified: Date } {
  const start = day * DAY_MS;
  const lines = Array.from({ length: events }, (_, n) => {
    const at = start + 3_600_000 + n * 60_000;
    return JSON.stringify({
      eventId: `lake-${day}-${n}`,
      type: n % 9 === 0 ? 'purchase' : 'view',
      userId: `lake-shopper-${n % 12}`,
      itemId: ITEMS[(n * 5 + day) % ITEMS.length],
      ...(n % 9 === 0 ? { quantity: 1 } : {}),
      timestamp: at - 500,
      receivedAt: at,
    });
  });
  const date = new Date(start).toISOString().slice(0, 10);
  return {
    key: `events/dt=${date}/reco-events-1-${date}-${day}.jsonl.gz`,
    body: gzipSync(`${lines.join('\n')}\n`),
    lastModified: new Date(start + 23 * 3_600_000),
  };
}

/** Files under `dir`, as paths relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(prefix, entry.name);
    return entry.isDirectory() ? filesUnder(dir, relative) : [relative];
  });
}

/** The value at a `$.a.b` path of a state's input. */
function atPath(input: unknown, jsonPath: string): unknown {
  if (!jsonPath.startsWith('$.')) throw new Error(`the guard reads $.<field> paths only, not ${jsonPath}`);
  return jsonPath
    .slice(2)
    .split('.')
    .reduce<unknown>((value, field) => (value as Record<string, unknown> | undefined)?.[field], input);
}

type HttpHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

interface ServedList {
  readonly recommendationId: string;
  readonly items: readonly { readonly itemId: string }[];
}

interface Caller {
  readonly server?: boolean;
  readonly token?: string;
}

let synthesised: Synthesised;
let recorder: SdkCallRecorder;
let standIns: StandIns;
let dynamoDb: DynamoDbTransactionsStandIn;
let secrets: SecretsManagerStandIn;
let sqs: SqsStandIn;
let s3: S3StandIn;
let sageMaker: SageMakerStandIn;
let stepFunctions: StepFunctionsStandIn;
let cloudWatch: CloudWatchStandIn;
let model: { url: string; close(): Promise<void> };
let mapping: EventSourceMapping;
let harnessClients: ReturnType<typeof localClients>;
let dataDir: string;
let tableName: string;
let poisonQueueUrl: string;
let savedEnvironment: Partial<Record<(typeof SDK_ENVIRONMENT)[number], string>>;
/** Every call recorded while the functions and the export were driven. */
let driven: RecordedCall[] = [];
/** Those of `backfillCatalogueIndex`, which no function of the stack makes (see its test below). */
let backfillCalls: RecordedCall[] = [];
/** Those of the parked-record replay, an operator's tool run with their own credentials. */
let operatorCalls: RecordedCall[] = [];
const OPERATOR = 'operator (npm run replay:parked)';

beforeAll(async () => {
  synthesised = synthesise();
  dataDir = mkdtempSync(path.join(tmpdir(), 'reco-iam-guard-'));
  standIns = await startStandIns({});
  dynamoDb = await startDynamoDbTransactionsStandIn(standIns.dynamodbEndpoint);
  secrets = await startSecretsManagerStandIn();
  sqs = await startSqsStandIn();
  s3 = await startS3StandIn({ pageSize: 2 });
  sageMaker = await startSageMakerStandIn(`arn:aws:sagemaker:${PLACEHOLDER.region}:${PLACEHOLDER.account}`);
  stepFunctions = await startStepFunctionsStandIn();
  cloudWatch = await startCloudWatchStandIn();
  model = await startModel(path.join(dataDir, 'model'));
  savedEnvironment = Object.fromEntries(SDK_ENVIRONMENT.map((name) => [name, process.env[name]]));
  for (const name of SDK_ENVIRONMENT) delete process.env[name];
  Object.assign(process.env, {
    AWS_REGION: PLACEHOLDER.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.url,
    AWS_ENDPOINT_URL_KINESIS: standIns.kinesisEndpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    AWS_ENDPOINT_URL_SQS: sqs.url,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: model.url,
    AWS_ENDPOINT_URL_SAGEMAKER: sageMaker.url,
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_ENDPOINT_URL_SFN: stepFunctions.url,
    AWS_ENDPOINT_URL_CLOUDWATCH: cloudWatch.url,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  recorder = new SdkCallRecorder();
  recorder.install();
  await driveEveryFunction();
  driven = [...recorder.calls];
}, 180_000);

afterAll(async () => {
  recorder?.uninstall();
  await mapping?.stop();
  harnessClients?.kinesis.destroy();
  harnessClients?.dynamoDb.destroy();
  await model?.close();
  await stepFunctions?.stop();
  await cloudWatch?.stop();
  await sageMaker?.stop();
  await s3?.stop();
  await sqs?.stop();
  await secrets?.stop();
  await dynamoDb?.stop();
  await standIns?.stop();
  for (const [name, value] of Object.entries(savedEnvironment ?? {})) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/**
 * A function's environment as the template sets it, on the stand-ins: tokens resolve to the names
 * the stand-ins' resources are created under, the queue URL points at the SQS stand-in, and the
 * cache URL is left out (the cache is no AWS API; the in-process cache stands in).
 */
function environmentOf(name: FunctionName): Record<string, string> {
  const { model: template, functions } = synthesised;
  const guarded = functions.find((fn) => fn.name === name);
  if (guarded === undefined) throw new Error(`the app has no ${name} function`);
  const environment: Record<string, string> = {};
  for (const [variable, value] of Object.entries(template.lambda(guarded.logicalId).environment)) {
    if (variable === envVars.cacheUrl) continue;
    environment[variable] = value.replace(/^https:\/\/sqs\.[^/]+\.amazonaws\.com(?=\/)/, sqs.url);
  }
  return environment;
}

const required = (environment: Readonly<Record<string, string>>, name: string): string => {
  const value = environment[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

/** Every function, through its real entry point, down each path that makes an AWS call. */
async function driveEveryFunction(): Promise<void> {
  const env = (name: FunctionName) => environmentOf(name);
  tableName = required(env('recommend'), envVars.featureTableName);
  const registryTableName = required(env('recommend'), envVars.registryTableName);
  const streamName = required(env('ingest'), envVars.eventStreamName);
  poisonQueueUrl = required(env('processor'), envVars.poisonQueueUrl);
  const userTokenKeysArn = required(env('admin'), envVars.userTokenKeysSecretArn);
  const stateMachineArn = required(env('admin'), envVars.trainingStateMachineArn);
  const lakeUri = required(env('pipeline'), pipelineFunctionEnv.lakeUri);
  const artifactsBucket = required(env('pipeline'), pipelineFunctionEnv.artifactsBucket);
  secrets.createSecret(userTokenKeysArn, TEST_USER_TOKEN_KEYS);
  secrets.createSecret(
    required(env('privacy'), envVars.erasureHashKeySecretArn),
    Buffer.alloc(33, 7).toString('base64'),
  );
  const clients = localClients(standIns);
  harnessClients = clients;
  await ensureFeatureTable(clients.dynamoDb, tableName);
  await ensureTable(clients.dynamoDb, registryTable, registryTableName);
  await ensureEventStream(clients.kinesis, streamName);
  s3.createBucket(parseS3Uri(lakeUri).bucket);
  s3.createBucket(artifactsBucket);
  stepFunctions.createStateMachine(stateMachineArn);

  // Imported only now: the module-level SDK clients read their endpoints from the environment.
  const [ingest, processor, recommend, catalogue, privacy, admin, rotate, pipeline, teardown, exportMain] =
    await Promise.all([
      import('#functions/ingest/app.ts'),
      import('#functions/processor/app.ts'),
      import('#functions/recommend/app.ts'),
      import('#functions/catalogue/app.ts'),
      import('#functions/privacy/app.ts'),
      import('#functions/admin/app.ts'),
      import('#functions/rotateUserTokenKeys/app.ts'),
      import('#functions/pipeline/app.ts'),
      import('#functions/pipelineTeardown/app.ts'),
      import('#shared/training/exportMain.ts'),
    ]);
  const handlers = {
    ingest: recorder.wrap('ingest', ingest.createHandler(ingest.createDeps(env('ingest')))),
    catalogue: recorder.wrap('catalogue', catalogue.createHandler(catalogue.createDeps(env('catalogue')))),
    privacy: recorder.wrap('privacy', privacy.createHandler(privacy.createDeps(env('privacy')))),
    admin: recorder.wrap('admin', admin.createHandler(admin.createDeps(env('admin')))),
    rotate: recorder.wrap('rotateUserTokenKeys', rotate.createHandler(rotate.createDeps(env('rotateUserTokenKeys')))),
    pipeline: recorder.wrap('pipeline', pipeline.createHandler(pipeline.createDeps(env('pipeline')))),
    teardown: recorder.wrap('pipelineTeardown', teardown.createHandler(teardown.createDeps(env('pipelineTeardown')))),
  };
  // Built when needed: each reads the registry's live version once, on its first list.
  const recommendHandler = () =>
    recorder.wrap('recommend', recommend.createHandler(recommend.createDeps(env('recommend'))));
  const processorHandler = processor.createHandler(processor.createDeps(env('processor')));
  mapping = new EventSourceMapping({
    kinesis: clients.kinesis,
    streamName,
    streamArn: `arn:aws:kinesis:${PLACEHOLDER.region}:${PLACEHOLDER.account}:stream/${streamName}`,
    region: PLACEHOLDER.region,
    handler: recorder.wrap('processor', processorHandler) as StreamHandler,
    onFailurePath: path.join(dataDir, 'processor-on-failure.jsonl'),
    batchingWindowMs: 50,
    maxIdlePollIntervalMs: 100,
  });
  await mapping.start();

  const apiIds = {
    storefront: required(env('recommend'), envVars.storefrontApiId),
    server: required(env('recommend'), envVars.serverApiId),
  };
  const call = async (
    handler: HttpHandler,
    route: RouteName,
    caller: Caller,
    request: { path?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
  ): Promise<Record<string, unknown>> => {
    const response = await handler(
      apiEvent(
        {
          requestContext: (caller.server
            ? { apiId: apiIds.server, identity: { userArn: `arn:aws:iam::${PLACEHOLDER.account}:role/shop-backend` } }
            : {
                apiId: apiIds.storefront,
                identity: { apiKey: 'storefront-key' },
              }) as unknown as APIGatewayProxyEvent['requestContext'],
          headers: caller.token === undefined ? {} : { [api.userTokenHeader]: caller.token },
          pathParameters: request.path ?? null,
          queryStringParameters: request.query ?? null,
          body: request.body === undefined ? null : JSON.stringify(request.body),
        },
        route,
      ),
    );
    if (response.statusCode >= 300) throw new Error(`${route} answered ${response.statusCode}: ${response.body}`);
    return JSON.parse(response.body) as Record<string, unknown>;
  };
  const server: Caller = { server: true };
  let recordsPut = 0;
  const postEvents = async (caller: Caller, events: Record<string, unknown>[]) => {
    const body = await call(handlers.ingest, 'events', caller, { body: { events } });
    if (body.accepted !== events.length) throw new Error(`events rejected: ${JSON.stringify(body)}`);
    recordsPut += events.length;
  };
  const drained = async () => {
    const deadline = Date.now() + 20_000;
    while (mapping.stats.processed < recordsPut || !mapping.idle) {
      if (Date.now() > deadline) throw new Error(`stream not drained: ${JSON.stringify(mapping.stats)}`);
      await sleep(50);
    }
  };
  let eventNumber = 0;
  const event = (type: string, fields: Record<string, unknown>) => ({
    eventId: `iam-${++eventNumber}`,
    type,
    timestamp: Date.now(),
    ...fields,
  });

  // Catalogue: a batch upsert and a delete.
  await call(handlers.catalogue, 'catalogueItems', server, {
    body: {
      items: CATALOGUE.map(({ itemId, title, categories, price, inStock }) => ({
        itemId,
        title,
        categories,
        price,
        inStock,
      })),
    },
  });
  await call(handlers.catalogue, 'catalogueItem', server, { path: { itemId: ITEMS[7] as string } });

  // Admin: a signed-in shopper's token, read with the keys in Secrets Manager.
  const { token } = (await call(handlers.admin, 'userTokens', server, { body: { userId: 'alice' } })) as {
    token: string;
  };

  // Ingest and the processor: views, a purchase, a search and an identify from the shop's backend, a
  // signed-in shopper's events from the storefront, and a record that is not an event at all.
  await postEvents(server, [
    ...ITEMS.slice(0, 6).flatMap((itemId, n) => [
      event('view', { anonymousId: 'anon-1', sessionId: 's-1', itemId }),
      event('view', { userId: `bob-${n % 2}`, sessionId: `s-bob-${n % 2}`, itemId }),
    ]),
    event('purchase', { userId: 'bob-0', itemId: ITEMS[1], quantity: 1, price: 11, currency: 'EUR' }),
    event('search', { userId: 'bob-1', query: 'garden tools' }),
    event('identify', { userId: 'alice', anonymousId: 'anon-1' }),
  ]);
  await postEvents({ token }, [event('add_to_cart', { userId: 'alice', itemId: ITEMS[2] })]);
  await clients.kinesis.send(
    new PutRecordCommand({
      StreamName: streamName,
      PartitionKey: 'poison',
      Data: new TextEncoder().encode('not an event'),
    }),
  );
  recordsPut += 1;
  await drained();
  if (sqs.messages(poisonQueueUrl).length !== 1) throw new Error('the poison record did not reach the queue');

  // Recommend, every route as shopper and as the shop: first with no model live (the registry is
  // read, the endpoint is not called), later (below) with one.
  let servedList: ServedList | undefined;
  const recommendEveryRoute = async (handler: HttpHandler) => {
    await call(handler, 'health', {});
    await call(handler, 'readiness', server);
    const personal = await call(handler, 'userRecommendations', { token }, { path: { userId: 'alice' } });
    servedList ??= personal as unknown as ServedList;
    await call(handler, 'userRecommendations', server, { path: { userId: 'bob-0' }, query: { count: '3' } });
    await call(handler, 'similarItems', {}, { path: { itemId: ITEMS[0] as string } });
    await call(handler, 'rankings', server, { body: { userId: 'bob-1', itemIds: ITEMS.slice(0, 4) } });
    await call(handler, 'trending', {}, { query: { window: '1h' } });
    await call(handler, 'trending', {}, { query: { window: '24h', category: 'kitchen' } });
  };
  await recommendEveryRoute(recommendHandler());

  // Attribution: events naming a served list.
  const attributed = servedList?.items[0]?.itemId;
  if (servedList === undefined || attributed === undefined) throw new Error('no list was served to attribute to');
  await postEvents(server, [
    event('click', { userId: 'alice', itemId: attributed, recommendationId: servedList.recommendationId }),
  ]);
  await drained();

  // Privacy: an erasure, with a legacy erasure-log entry (keyed by the raw shopper key) to rehash.
  await DynamoDBDocumentClient.from(clients.dynamoDb).send(
    new PutCommand({ TableName: tableName, Item: { pk: 'ERASED', sk: 'u:legacy-shopper', erasedAt: Date.now() } }),
  );
  await call(handlers.privacy, 'userErasure', server, { path: { userId: 'alice' } });

  // Rotation of the user-token keys, step by step, as Secrets Manager invokes it.
  const rotateLogicalId = synthesised.functions.find((fn) => fn.name === 'rotateUserTokenKeys')?.logicalId ?? '';
  const [rotated] = synthesised.model.rotatedSecrets(rotateLogicalId);
  if (rotated === undefined) throw new Error('no secret is rotated by rotateUserTokenKeys');
  const before = secrets.currentValue(rotated);
  const rotation = randomUUID();
  secrets.startRotation(rotated, rotation);
  for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
    await handlers.rotate({ Step, SecretId: rotated, ClientRequestToken: rotation });
  }
  if (secrets.currentValue(rotated) === before) throw new Error('the rotation did not change the keys');

  // The lake: the last days' events, too few by their size for a scheduled run to train on.
  const today = Math.floor(Date.now() / DAY_MS);
  const lake = parseS3Uri(lakeUri).bucket;
  let lakeBytes = 0;
  for (const day of [today - 3, today - 2, today - 1, today]) {
    const object = lakeObject(day, 60);
    s3.put(lake, object.key, object.body, object.lastModified);
    lakeBytes += object.body.length;
  }
  if (lakeBytes / LAKE_BYTES_PER_EVENT >= 1_000) throw new Error('the lake is large enough to train on a schedule');

  await driveTrainingPipeline(handlers.pipeline, (guard) => runExport(exportMain.exportFromEnvironment, guard), {
    stateMachineArn,
    artifactsBucket,
  });

  // Recommend again, with a model live: the endpoint is called.
  await recommendEveryRoute(recommendHandler());

  // Admin's model routes: the registry read, runs started on the state machine.
  const { live, versions } = (await call(handlers.admin, 'models', server, { query: { limit: '10' } })) as {
    live: string;
    versions: { version: string; status: string; resourcesDeletedAt?: string }[];
  };
  await call(handlers.admin, 'model', server, { path: { version: live } });
  await call(handlers.admin, 'trainModel', server, { body: { force: true } });
  const retired = versions.find((version) => version.status === 'retired' && version.resourcesDeletedAt === undefined);
  if (retired === undefined) throw new Error(`no retired version to promote: ${JSON.stringify(versions)}`);
  await call(handlers.admin, 'promoteModel', server, { path: { version: retired.version } });
  if (stepFunctions.executions(stateMachineArn).length !== 2) throw new Error('the model routes started no runs');

  // Admin's stats: CloudWatch metrics, the registry, and attribution of every version it lists.
  const stats = (await call(handlers.admin, 'stats', server, { query: { minutes: '30' } })) as {
    attribution: unknown[];
    model: { live: unknown };
  };
  if (cloudWatch.requests.length !== 1) throw new Error('the stats route read no metrics');
  if (stats.attribution.length === 0 || stats.model.live === null) {
    throw new Error(`the stats route found no attribution or live model: ${JSON.stringify(stats)}`);
  }

  // The teardown, as CloudFormation deletes the stack: runs, jobs, endpoint, configs and models go.
  const properties = synthesised.model.customResource('Custom::TrainingPipelineTeardown');
  if (properties.StateMachineArn !== stateMachineArn) throw new Error('the teardown names another state machine');
  const namePrefix = String(properties.NamePrefix);
  sageMaker.create('training-job', `${namePrefix}-v20990101000000-0000000a`);
  sageMaker.create('processing-job', `${namePrefix}-v20990101000000-0000000a`);
  await handlers.teardown({
    RequestType: 'Delete',
    ServiceToken: String(properties.ServiceToken),
    ResponseURL: 'https://cloudformation-custom-resource-response.example/',
    StackId: `arn:aws:cloudformation:${PLACEHOLDER.region}:${PLACEHOLDER.account}:stack/RecoStack/1`,
    RequestId: randomUUID(),
    LogicalResourceId: 'TrainingTeardown',
    PhysicalResourceId: teardown.PHYSICAL_RESOURCE_ID,
    ResourceType: 'Custom::TrainingPipelineTeardown',
    ResourceProperties: properties as CloudFormationCustomResourceDeleteEvent['ResourceProperties'],
  } satisfies CloudFormationCustomResourceDeleteEvent);
  const left = (['endpoint', 'model', 'endpoint-config', 'training-job', 'processing-job'] as const).flatMap((kind) =>
    sageMaker.names(kind),
  );
  const running = stepFunctions.executions(stateMachineArn).filter((execution) => execution.status === 'RUNNING');
  if (left.length > 0 || running.length > 0)
    throw new Error(`the teardown left ${[...left, ...running.map((e) => e.name)]}`);

  // The catalogue index backfill, which no function runs: as the catalogue function would, on an
  // entry written before the index.
  await DynamoDBDocumentClient.from(clients.dynamoDb).send(
    new PutCommand({ TableName: tableName, Item: { pk: 'I#iam-legacy', sk: 'META', itemId: 'iam-legacy' } }),
  );
  const sent = recorder.since();
  const { DynamoFeatureStore } = await import('#shared/adapters/dynamoFeatureStore.ts');
  const { dynamoDb: lambdaDynamoDb } = await import('#functions/lib/dynamoDb.ts');
  await recorder.as('catalogue', () => new DynamoFeatureStore(lambdaDynamoDb, tableName).backfillCatalogueIndex());
  backfillCalls = sent();

  // The replay of parked records (`npm run replay:parked`), which an operator runs with their own
  // credentials: its reads and deletes on the on-failure queue, checked against no role of the stack.
  const replaySent = recorder.since();
  const { SqsParkedRecords } = await import('#shared/adapters/sqsParkedRecords.ts');
  const { sqs: lambdaSqs } = await import('#functions/lib/sqs.ts');
  await recorder.as(OPERATOR, async () => {
    const parked = new SqsParkedRecords(lambdaSqs, poisonQueueUrl, { waitTimeSeconds: 0 });
    for await (const page of parked.read()) await parked.remove(page);
  });
  operatorCalls = replaySent();
}

/**
 * The training export as its Processing job runs it: the environment the state machine gives the
 * job, for the guard's window; then SageMaker's upload of the output to the dataset prefix, which
 * it makes with the job's role.
 */
async function runExport(
  exportFromEnvironment: (env: Record<string, string>, outputDir: string) => Promise<unknown>,
  guard: GuardDecision,
): Promise<void> {
  const { exportJob } = synthesised;
  const environment: Record<string, string> = { ...exportJob.environment };
  for (const [name, jsonPath] of Object.entries(exportJob.environmentPaths)) {
    const value = atPath({ guard }, jsonPath);
    if (typeof value !== 'string') throw new Error(`the export's ${name} (${jsonPath}) is not in the state's input`);
    environment[name] = value;
  }
  const outputDir = mkdtempSync(path.join(dataDir, 'export-'));
  const dataset = parseS3Uri(guard.datasetS3Uri ?? '');
  const upload = new S3Client({});
  try {
    await recorder.as(EXPORT, async () => {
      await exportFromEnvironment(environment, outputDir);
      for (const file of filesUnder(outputDir)) {
        await upload.send(
          new PutObjectCommand({
            Bucket: dataset.bucket,
            Key: `${dataset.key}${file}`,
            Body: readFileSync(path.join(outputDir, file)),
          }),
        );
      }
    });
  } finally {
    upload.destroy();
  }
}

/**
 * The pipeline function through every step, as the state machine runs it (the states between,
 * jobs and deployment, leave in the stand-ins what they would in AWS): a scheduled run skipped for
 * too little data; a run trained, gated and recorded live; one rejected; one failed (recorded
 * without the guard's decision); a promotion of the rejected version; and a run whose clean-up
 * deletes the oldest version's models, configs and objects.
 */
async function driveTrainingPipeline(
  step: (event: unknown) => Promise<unknown>,
  exportDataset: (guard: GuardDecision) => Promise<void>,
  { stateMachineArn, artifactsBucket }: { stateMachineArn: string; artifactsBucket: string },
): Promise<void> {
  const start = Date.now() - 10 * 60_000;
  let run = 0;
  const guardStep = async (request: Record<string, unknown>) => {
    run += 1;
    const executionId = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:run-${run}`;
    const startedAt = new Date(start + run * 60_000).toISOString();
    const guard = (await step({ step: 'guard', executionId, startedAt, request })) as GuardDecision;
    return { executionId, guard };
  };
  const metrics = (candidate: number, live?: number) =>
    [
      ['candidate_hr10', candidate],
      ['candidate_ndcg10', candidate],
      ['candidate_coverage', 0.5],
      ['holdout_users', 12],
      ...(live === undefined
        ? []
        : [
            ['live_hr10', live],
            ['live_ndcg10', live],
            ['live_coverage', 0.5],
          ]),
    ].map(([MetricName, Value]) => ({ MetricName, Value }));
  const trained = async (guard: GuardDecision) => {
    // The training job's model, where the guard planned it.
    const artifact = parseS3Uri(guard.modelDataUrl ?? '');
    s3.put(artifact.bucket, artifact.key, Buffer.from('model'));
  };
  const deployed = (guard: GuardDecision) => {
    sageMaker.create('model', guard.modelName);
    sageMaker.create('endpoint-config', guard.endpointConfigName);
    if (!guard.endpointExists) sageMaker.create('endpoint', guard.endpointName);
  };
  const check = (what: string, actual: unknown, wanted: unknown) => {
    if (JSON.stringify(actual) !== JSON.stringify(wanted)) {
      throw new Error(`${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(wanted)}`);
    }
  };

  const scheduled = await guardStep({ trigger: 'schedule' });
  check('a scheduled run on a small lake', scheduled.guard.action, 'skip');

  const first = await guardStep({ trigger: 'manual', force: true });
  check('a forced run', first.guard.action, 'train');
  await exportDataset(first.guard);
  if (s3.keys(artifactsBucket, `datasets/${first.guard.version}/`).length === 0) throw new Error('no dataset');
  await trained(first.guard);
  const firstGate = (await step({ step: 'gate', guard: first.guard, metrics: metrics(0.3) })) as GateVerdict;
  check('the first gate', firstGate.verdict, 'promote');
  deployed(first.guard);
  const firstLive = (await step({
    step: 'record',
    outcome: 'live',
    executionId: first.executionId,
    guard: first.guard,
    gate: firstGate,
  })) as RecordResult;
  check('the first record', firstLive.status, 'live');
  await step({ step: 'cleanUp', guard: first.guard });

  const rejected = await guardStep({ trigger: 'manual', force: true });
  check('a run with a model live', [rejected.guard.action, rejected.guard.endpointExists], ['train', true]);
  s3.put(artifactsBucket, `datasets/${rejected.guard.version}/export.json`, Buffer.from('{}'));
  await trained(rejected.guard);
  const rejection = (await step({ step: 'gate', guard: rejected.guard, metrics: metrics(0.1, 0.3) })) as GateVerdict;
  check('a worse candidate', rejection.verdict, 'reject');
  await step({
    step: 'record',
    outcome: 'rejected',
    executionId: rejected.executionId,
    guard: rejected.guard,
    gate: rejection,
  });

  const failed = await guardStep({ trigger: 'manual', force: true });
  const failure = (await step({
    step: 'record',
    outcome: 'failed',
    executionId: failed.executionId,
    error: { Error: 'SageMaker.AmazonSageMakerException', Cause: 'the training job failed' },
  })) as RecordResult;
  check('a failure without a guard decision', [failure.version, failure.status], [failed.guard.version, 'failed']);

  const promotion = await guardStep({ trigger: 'promote', promoteVersion: rejected.guard.version });
  check('a promotion of the rejected version', promotion.guard.action, 'promote');
  deployed(promotion.guard);
  const promoted = (await step({
    step: 'record',
    outcome: 'live',
    executionId: promotion.executionId,
    guard: promotion.guard,
  })) as RecordResult;
  check('the promotion', [promoted.version, promoted.previous], [rejected.guard.version, first.guard.version]);
  await step({ step: 'cleanUp', guard: promotion.guard });

  const latest = await guardStep({ trigger: 'manual', force: true });
  s3.put(artifactsBucket, `datasets/${latest.guard.version}/export.json`, Buffer.from('{}'));
  await trained(latest.guard);
  const latestGate = (await step({ step: 'gate', guard: latest.guard, metrics: metrics(0.4, 0.3) })) as GateVerdict;
  deployed(latest.guard);
  await step({
    step: 'record',
    outcome: 'live',
    executionId: latest.executionId,
    guard: latest.guard,
    gate: latestGate,
  });
  const cleaned = (await step({ step: 'cleanUp', guard: latest.guard })) as CleanUpResult;
  check(
    'the clean-up',
    cleaned.cleaned.map(({ version, models, endpointConfigs }) => [version, models, endpointConfigs]),
    [[first.guard.version, 1, 1]],
  );
  if (s3.keys(artifactsBucket, `datasets/${first.guard.version}/`).length > 0) throw new Error('the dataset is left');
}

/** Every driven call the stack's code makes as deployed (the backfill has no caller in the stack). */
const stackCalls = (): RecordedCall[] =>
  driven.filter((call) => !backfillCalls.includes(call) && !operatorCalls.includes(call));

describe('Guard: IAM allows every AWS call the functions make', () => {
  it('records calls from every function of the app and from the export', () => {
    // Act
    const callers = new Set(stackCalls().map((call) => call.functionName));

    // Assess
    expect([...callers].sort()).toEqual(synthesised.guarded.map((code) => code.name).sort());
  });

  it('sees every AWS SDK command the product code constructs sent at least once', () => {
    // Prepare
    const uses = scanCommandUses(repoRoot, ['functions', 'shared']);

    // Act
    const sent = new Set(driven.map((call) => commandKey(knownClient(call.client).sdkPackage, call.command)));
    const unseen = uses.filter((use) => !sent.has(use.key));

    // Assess
    expect(uses.length).toBeGreaterThan(0);
    expect(
      unseen,
      `drive these through a handler in this test: ${unseen.map((use) => `${use.key} (${use.files.join(', ')})`).join('; ')}`,
    ).toEqual([]);
  });

  it('runs the export with the role and environment the state machine gives its Processing job', () => {
    // Assess
    expect(synthesised.exportJob.vpc).toBeUndefined();
    expect(Object.keys(synthesised.exportJob.environmentPaths).sort()).toEqual([
      'RECO_EXPORT_HOLDOUT_FROM',
      'RECO_EXPORT_WINDOW_FROM',
      'RECO_EXPORT_WINDOW_TO',
    ]);
    expect(driven.filter((call) => call.functionName === EXPORT).map((call) => call.command)).toEqual(
      expect.arrayContaining(['GetSecretValueCommand', 'QueryCommand', 'ListObjectsV2Command', 'GetObjectCommand']),
    );
  });

  it('lets every recorded call through the policies of the app', () => {
    // Prepare
    const guard = new IamGuard(synthesised.model, synthesised.guarded);

    // Act
    const findings = guard.check(stackCalls());

    // Assess
    expect(findings, describeFindings(findings)).toEqual([]);
  });
});

describe('Guard: a call the policies do not allow is reported', () => {
  const table = () => `arn:aws:dynamodb:${PLACEHOLDER.region}:${PLACEHOLDER.account}:table/${tableName}`;

  it('reports a BatchWriteItem and a PutItem outside REC# keys from the recommend function, naming what refused them', async () => {
    // Prepare
    const { model: template, guarded } = synthesised;
    const [{ dynamoDb: client }, { DynamoFeatureStore }] = await Promise.all([
      import('#functions/lib/dynamoDb.ts'),
      import('#shared/adapters/dynamoFeatureStore.ts'),
    ]);
    const store = new DynamoFeatureStore(client, tableName);
    const sent = recorder.since();
    await recorder.as('recommend', async () => {
      await store.putItems([
        { itemId: 'iam-denied', title: 'Served lists are not written in batches', categories: [], inStock: true },
      ]);
      await store.recordErasure('iam-denied-hash', Date.now());
    });

    // Act
    const findings = new IamGuard(template, guarded).check(sent());

    // Assess
    const endpoint = template.vpcEndpoints().find((candidate) => candidate.service === 'dynamodb')?.logicalId;
    expect(findings).toEqual([
      expect.objectContaining({
        functionName: 'recommend',
        action: 'dynamodb:BatchWriteItem',
        resource: table(),
        reasons: [
          "no statement of the role's policy allows it",
          `no statement of VPC endpoint ${endpoint}'s policy allows it`,
        ],
      }),
      expect.objectContaining({
        functionName: 'recommend',
        action: 'dynamodb:PutItem',
        resource: table(),
        context: expect.objectContaining({ 'dynamodb:LeadingKeys': ['ERASED'] }),
        reasons: ["no statement of the role's policy allows it"],
      }),
    ]);
  });

  it("reports the export reading a shopper's partition and an object outside the lake's events/", async () => {
    // Prepare
    const { model: template, guarded, exportJob } = synthesised;
    const [{ DynamoFeatureStore }, { GetObjectCommand }, { DynamoDBClient }] = await Promise.all([
      import('#shared/adapters/dynamoFeatureStore.ts'),
      import('@aws-sdk/client-s3'),
      import('@aws-sdk/client-dynamodb'),
    ]);
    const client = new DynamoDBClient({});
    const reader = new S3Client({});
    const lake = parseS3Uri(required(exportJob.environment, 'RECO_EXPORT_LAKE_URI')).bucket;
    s3.put(lake, 'errors/dt=2026-12-07/failed.jsonl.gz', gzipSync('{}\n'));
    const sent = recorder.since();
    try {
      await recorder.as(EXPORT, async () => {
        await new DynamoFeatureStore(client, tableName).aliasesOf('u:alice');
        await reader.send(new GetObjectCommand({ Bucket: lake, Key: 'errors/dt=2026-12-07/failed.jsonl.gz' }));
      });
    } finally {
      client.destroy();
      reader.destroy();
    }

    // Act
    const findings = new IamGuard(template, guarded).check(sent());

    // Assess
    expect(findings).toEqual([
      expect.objectContaining({
        functionName: EXPORT,
        action: 'dynamodb:Query',
        resource: table(),
        reasons: ["no statement of the role's policy allows it"],
      }),
      expect.objectContaining({
        functionName: EXPORT,
        action: 's3:GetObject',
        resource: `arn:aws:s3:::${lake}/errors/dt=2026-12-07/failed.jsonl.gz`,
        reasons: ["no statement of the role's policy allows it"],
      }),
    ]);
  });

  it('reports the catalogue index backfill: no role of the stack may scan the feature table', () => {
    // Act
    const findings = new IamGuard(synthesised.model, synthesised.guarded).check(backfillCalls);

    // Assess
    expect(backfillCalls.map((call) => call.command)).toContain('UpdateCommand');
    expect(findings).toEqual([
      expect.objectContaining({
        functionName: 'catalogue',
        action: 'dynamodb:Scan',
        resource: table(),
        reasons: ["no statement of the role's policy allows it"],
      }),
    ]);
  });
});
