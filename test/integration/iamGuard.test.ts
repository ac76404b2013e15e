import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Template } from 'aws-cdk-lib/assertions';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, envVars, type RouteName } from '#shared/config/index.ts';
import { buildApp } from '#infra/build-app.ts';
import { RecoFunction } from '#infra/constructs/reco-function.ts';
import { repoRoot, type FunctionName } from '#infra/paths.ts';
import { EventSourceMapping, type StreamHandler } from '#local/eventSourceMapping.ts';
import { ensureEventStream, ensureFeatureTable, localClients, startStandIns, type StandIns } from '#local/standins.ts';
import { trainerFor } from '#shared/recommender/registry.ts';
import type { CatalogueItem, Interaction } from '#shared/recommender/model.ts';
import { loadServingModel } from '../../model/lib/loading.ts';
import { InferenceServer } from '../../model/lib/server.ts';
import { logicalIdOf, modelTestContext, stubModelImageDirectory, testContext } from '../infra/helpers.ts';
import { apiEvent } from '../support/apiGateway.ts';
import { TEST_USER_TOKEN_KEYS } from '../support/auth.ts';
import { knownClient } from '../support/iam/clients.ts';
import { commandKey, scanCommandUses } from '../support/iam/commandScan.ts';
import { describeFindings, IamGuard, type GuardedFunction } from '../support/iam/guard.ts';
import { SdkCallRecorder, type RecordedCall } from '../support/iam/recorder.ts';
import { PLACEHOLDER } from '../support/iam/requests.ts';
import { TemplateModel, type CfnTemplate } from '../support/iam/template.ts';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../support/secretsManagerStandIn.ts';
import { startSqsStandIn, type SqsStandIn } from '../support/sqsStandIn.ts';

/*
 * The IAM guard: every AWS SDK call the functions make, recorded from their real handlers (built
 * by `createDeps` from the environment the template gives each function) running against protocol
 * stand-ins, must be allowed by the synthesised template: the function's role, the resource and key
 * policies, and the VPC endpoint policies on its way. Unit tests stub the SDK and the stand-ins know
 * no IAM, so this is where code and policy that disagree show up before AWS refuses the call.
 */

const DEPLOYMENTS = {
  withModel: () => ({ context: modelTestContext(), modelImageDirectory: stubModelImageDirectory() }),
  withoutModel: () => ({ context: testContext() }),
} as const;
type Deployment = keyof typeof DEPLOYMENTS;

interface Synthesised {
  readonly model: TemplateModel;
  readonly functions: readonly GuardedFunction[];
}

/**
 * The app's template and which Lambda function runs each `functions/<name>/` handler. Synthesised
 * without the CDK's built-in CloudFormation validation, as the infra tests do (`CDK_VALIDATION`):
 * it costs the process hundreds of megabytes and checks nothing this guard reads.
 */
function synthesise(deployment: Deployment): Synthesised {
  const validation = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    return synthesiseApp(deployment);
  } finally {
    if (validation === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = validation;
  }
}

function synthesiseApp(deployment: Deployment): Synthesised {
  const { stack } = buildApp({ ...DEPLOYMENTS[deployment](), nag: false });
  const functions = stack.node
    .findAll()
    .filter((construct): construct is RecoFunction => construct instanceof RecoFunction)
    .map((fn) => ({ name: path.basename(path.dirname(fn.entry)), logicalId: logicalIdOf(fn) }));
  return { model: new TemplateModel(Template.fromStack(stack).toJSON() as CfnTemplate), functions };
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

type HttpHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

interface ServedList {
  readonly recommendationId: string;
  readonly items: readonly { readonly itemId: string }[];
}

interface Caller {
  readonly server?: boolean;
  readonly token?: string;
}

let synthesised: Record<Deployment, Synthesised>;
let recorder: SdkCallRecorder;
let standIns: StandIns;
let secrets: SecretsManagerStandIn;
let sqs: SqsStandIn;
let model: { url: string; close(): Promise<void> };
let mapping: EventSourceMapping;
let harnessClients: ReturnType<typeof localClients>;
let dataDir: string;
let tableName: string;
let poisonQueueUrl: string;
let savedEnvironment: Partial<Record<(typeof SDK_ENVIRONMENT)[number], string>>;

beforeAll(async () => {
  synthesised = { withModel: synthesise('withModel'), withoutModel: synthesise('withoutModel') };
  dataDir = mkdtempSync(path.join(tmpdir(), 'reco-iam-guard-'));
  standIns = await startStandIns({});
  secrets = await startSecretsManagerStandIn();
  sqs = await startSqsStandIn();
  model = await startModel(path.join(dataDir, 'model'));
  savedEnvironment = Object.fromEntries(SDK_ENVIRONMENT.map((name) => [name, process.env[name]]));
  for (const name of SDK_ENVIRONMENT) delete process.env[name];
  Object.assign(process.env, {
    AWS_REGION: PLACEHOLDER.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: standIns.dynamodbEndpoint,
    AWS_ENDPOINT_URL_KINESIS: standIns.kinesisEndpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    AWS_ENDPOINT_URL_SQS: sqs.url,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: model.url,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  recorder = new SdkCallRecorder();
  recorder.install();
  await driveEveryFunction();
}, 180_000);

afterAll(async () => {
  recorder?.uninstall();
  await mapping?.stop();
  harnessClients?.kinesis.destroy();
  harnessClients?.dynamoDb.destroy();
  await model?.close();
  await sqs?.stop();
  await secrets?.stop();
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
function environmentOf(deployment: Deployment, name: FunctionName): Record<string, string> {
  const { model: template, functions } = synthesised[deployment];
  const guarded = functions.find((fn) => fn.name === name);
  if (guarded === undefined) throw new Error(`the ${deployment} app has no ${name} function`);
  const environment: Record<string, string> = {};
  for (const [variable, value] of Object.entries(template.lambda(guarded.logicalId).environment)) {
    if (variable === envVars.cacheUrl) continue;
    environment[variable] = value.replace(/^https:\/\/sqs\.[^/]+\.amazonaws\.com(?=\/)/, sqs.url);
  }
  return environment;
}

const required = (environment: Record<string, string>, name: string): string => {
  const value = environment[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

/** Every function, through its real entry point, down each path that makes an AWS call. */
async function driveEveryFunction(): Promise<void> {
  const env = (name: FunctionName) => environmentOf('withModel', name);
  tableName = required(env('recommend'), envVars.featureTableName);
  const streamName = required(env('ingest'), envVars.eventStreamName);
  poisonQueueUrl = required(env('processor'), envVars.poisonQueueUrl);
  const userTokenKeysArn = required(env('admin'), envVars.userTokenKeysSecretArn);
  secrets.createSecret(userTokenKeysArn, TEST_USER_TOKEN_KEYS);
  secrets.createSecret(
    required(env('privacy'), envVars.erasureHashKeySecretArn),
    Buffer.alloc(33, 7).toString('base64'),
  );
  const clients = localClients(standIns);
  harnessClients = clients;
  await ensureFeatureTable(clients.dynamoDb, tableName);
  await ensureEventStream(clients.kinesis, streamName);

  // Imported only now: the module-level SDK clients read their endpoints from the environment.
  const [ingest, processor, recommend, catalogue, privacy, admin, rotate] = await Promise.all([
    import('#functions/ingest/app.ts'),
    import('#functions/processor/app.ts'),
    import('#functions/recommend/app.ts'),
    import('#functions/catalogue/app.ts'),
    import('#functions/privacy/app.ts'),
    import('#functions/admin/app.ts'),
    import('#functions/rotateUserTokenKeys/app.ts'),
  ]);
  const handlers = {
    ingest: recorder.wrap('ingest', ingest.createHandler(ingest.createDeps(env('ingest')))),
    catalogue: recorder.wrap('catalogue', catalogue.createHandler(catalogue.createDeps(env('catalogue')))),
    privacy: recorder.wrap('privacy', privacy.createHandler(privacy.createDeps(env('privacy')))),
    admin: recorder.wrap('admin', admin.createHandler(admin.createDeps(env('admin')))),
    rotate: recorder.wrap('rotateUserTokenKeys', rotate.createHandler(rotate.createDeps(env('rotateUserTokenKeys')))),
    recommend: {
      withModel: recorder.wrap(
        'recommend',
        recommend.createHandler(recommend.createDeps(environmentOf('withModel', 'recommend'))),
        'withModel',
      ),
      withoutModel: recorder.wrap(
        'recommend',
        recommend.createHandler(recommend.createDeps(environmentOf('withoutModel', 'recommend'))),
        'withoutModel',
      ),
    },
  };
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

  // Recommend, with the model endpoint and without: every route, as shopper and as the shop.
  let servedList: ServedList | undefined;
  for (const handler of [handlers.recommend.withModel, handlers.recommend.withoutModel]) {
    await call(handler, 'health', {});
    await call(handler, 'readiness', server);
    const personal = await call(handler, 'userRecommendations', { token }, { path: { userId: 'alice' } });
    servedList ??= personal as unknown as ServedList;
    await call(handler, 'userRecommendations', server, { path: { userId: 'bob-0' }, query: { count: '3' } });
    await call(handler, 'similarItems', {}, { path: { itemId: ITEMS[0] as string } });
    await call(handler, 'rankings', server, { body: { userId: 'bob-1', itemIds: ITEMS.slice(0, 4) } });
    await call(handler, 'trending', {}, { query: { window: '1h' } });
    await call(handler, 'trending', {}, { query: { window: '24h', category: 'kitchen' } });
  }

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
  const [rotated] = synthesised.withModel.model.rotatedSecrets(
    synthesised.withModel.functions.find((fn) => fn.name === 'rotateUserTokenKeys')?.logicalId ?? '',
  );
  if (rotated === undefined) throw new Error('no secret is rotated by rotateUserTokenKeys');
  const before = secrets.currentValue(rotated);
  const rotation = randomUUID();
  secrets.startRotation(rotated, rotation);
  for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
    await handlers.rotate({ Step, SecretId: rotated, ClientRequestToken: rotation });
  }
  if (secrets.currentValue(rotated) === before) throw new Error('the rotation did not change the keys');
}

/** The calls of the functions as deployed in `deployment`. */
const callsOf = (deployment: Deployment): RecordedCall[] =>
  recorder.calls.filter((call) => call.deployment === undefined || call.deployment === deployment);

describe('Guard: IAM allows every AWS call the functions make', () => {
  it('records calls from every function of the app', () => {
    // Act
    const callers = new Set(recorder.calls.map((call) => call.functionName));

    // Assess
    expect([...callers].sort()).toEqual(synthesised.withModel.functions.map((fn) => fn.name).sort());
  });

  it('sees every AWS SDK command the product code constructs sent at least once', () => {
    // Prepare
    const uses = scanCommandUses(repoRoot, ['functions', 'shared']);

    // Act
    const sent = new Set(recorder.calls.map((call) => commandKey(knownClient(call.client).sdkPackage, call.command)));
    const unseen = uses.filter((use) => !sent.has(use.key));

    // Assess
    expect(uses.length).toBeGreaterThan(0);
    expect(
      unseen,
      `drive these through a handler in this test: ${unseen.map((use) => `${use.key} (${use.files.join(', ')})`).join('; ')}`,
    ).toEqual([]);
  });

  it.each(['withModel', 'withoutModel'] as const)(
    'lets every recorded call through the policies of the app %s',
    (deployment) => {
      // Prepare
      const { model: template, functions } = synthesised[deployment];
      const guard = new IamGuard(template, functions);

      // Act
      const findings = guard.check(callsOf(deployment));

      // Assess
      expect(findings, describeFindings(findings)).toEqual([]);
    },
  );
});

describe('Guard: a call the policies do not allow is reported', () => {
  it('reports a BatchWriteItem and a PutItem outside REC# keys from the recommend function, naming what refused them', async () => {
    // Prepare
    const { model: template, functions } = synthesised.withModel;
    const [{ dynamoDb }, { DynamoFeatureStore }] = await Promise.all([
      import('#functions/lib/dynamoDb.ts'),
      import('#shared/adapters/dynamoFeatureStore.ts'),
    ]);
    const store = new DynamoFeatureStore(dynamoDb, tableName);
    const sent = recorder.since();
    await recorder.as('recommend', async () => {
      await store.putItems([
        { itemId: 'iam-denied', title: 'Served lists are not written in batches', categories: [], inStock: true },
      ]);
      await store.recordErasure('iam-denied-hash', Date.now());
    });

    // Act
    const findings = new IamGuard(template, functions).check(sent());

    // Assess
    const table = `arn:aws:dynamodb:${PLACEHOLDER.region}:${PLACEHOLDER.account}:table/${tableName}`;
    const endpoint = template.vpcEndpoints().find((candidate) => candidate.service === 'dynamodb')?.logicalId;
    expect(findings).toEqual([
      expect.objectContaining({
        functionName: 'recommend',
        action: 'dynamodb:BatchWriteItem',
        resource: table,
        reasons: [
          "no statement of the role's policy allows it",
          `no statement of VPC endpoint ${endpoint}'s policy allows it`,
        ],
      }),
      expect.objectContaining({
        functionName: 'recommend',
        action: 'dynamodb:PutItem',
        resource: table,
        context: expect.objectContaining({ 'dynamodb:LeadingKeys': ['ERASED'] }),
        reasons: ["no statement of the role's policy allows it"],
      }),
    ]);
  });
});
