/**
 * What the local stack sets up before it serves: resource names and development secrets, the
 * environment the handlers read (as the CDK app sets it in Lambda), and the model it starts with.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { packModel } from '#shared/recommender/io/tar.ts';
import { envVars, metricsNamespace, serviceName } from '#shared/config/index.ts';
import type { DynamoModelRegistry } from '#shared/adapters/dynamoModelRegistry.ts';
import type { DataWindow, TuningMetrics } from '#shared/training/pipeline.ts';
import type { LocalApiIds } from './apiGateway.ts';
import type { LocalDataLake } from './dataLake.ts';
import type { BootstrapModel } from './localModel.ts';
import type { LocalBuckets } from './training/buckets.ts';
import type { LocalEndpoint } from './training/localEndpoint.ts';
import { endpointVariables, type StandIns } from './standins.ts';

export const localNames = {
  table: `${serviceName}-local-features`,
  stream: `${serviceName}-local-events`,
  registry: `${serviceName}-local-models`,
  endpoint: `${serviceName}-local-model`,
  artifactsBucket: `${serviceName}-local-artifacts`,
} as const;

/**
 * Development-only secrets of the local stack, fixed so tokens printed at one start still work at
 * the next; each is overridable by its environment variable. In AWS both live in Secrets Manager.
 */
export const localSecrets = {
  /** `USER_TOKEN_KEYS`: the user-token signing key (32 bytes, base64). */
  userTokenKeys: JSON.stringify({
    current: { kid: 'local-1', secret: 'bG9jYWwgdXNlci10b2tlbiBrZXk7IGRldiBvbmx5ISE=' },
  }),
  /** `ERASURE_HASH_KEY`: the erasure log's hash key (33 bytes, base64). */
  erasureHashKey: 'bG9jYWwgZXJhc3VyZS1oYXNoIGtleTsgZGV2IG9ubHkh',
} as const;

/** The two APIs' ids in the local request contexts, unless set in the environment. */
export const localApiIds: LocalApiIds = { storefront: 'local-storefront', server: 'local-server' };

/** Values for the SDK and the handlers, as the CDK app would set them in Lambda. */
export function configureEnvironment(env: NodeJS.ProcessEnv, standIns: StandIns): void {
  env.AWS_REGION ??= 'us-east-1';
  // Stand-ins accept any credentials; real ones (for LocalStack) are left alone.
  env.AWS_ACCESS_KEY_ID ??= 'local';
  env.AWS_SECRET_ACCESS_KEY ??= 'local';
  env[endpointVariables.dynamodb] = standIns.dynamodbEndpoint;
  env[endpointVariables.kinesis] = standIns.kinesisEndpoint;
  env[envVars.featureTableName] ??= localNames.table;
  env[envVars.eventStreamName] ??= localNames.stream;
  env[envVars.registryTableName] ??= localNames.registry;
  env[envVars.modelEndpointName] ??= localNames.endpoint;
  // REDIS_URL selects a real Redis/Valkey for the cache; without it the embedded LRU is used.
  if (env.REDIS_URL) env[envVars.cacheUrl] ??= env.REDIS_URL;
  env.POWERTOOLS_SERVICE_NAME ??= serviceName;
  env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  // Metrics (EMF lines on stdout) are off unless RECO_METRICS=1: the handlers then skip them with
  // one branch per request, and the console stays readable.
  env.POWERTOOLS_METRICS_NAMESPACE ??= metricsNamespace;
  env.POWERTOOLS_METRICS_DISABLED ??= env.RECO_METRICS === '1' || env.RECO_METRICS === 'true' ? 'false' : 'true';
  // As the Api constructs set them: the functions tell the two APIs apart by these ids.
  env[envVars.storefrontApiId] ||= localApiIds.storefront;
  env[envVars.serverApiId] ||= localApiIds.server;
  env[envVars.userTokenKeys] ||= localSecrets.userTokenKeys;
  env[envVars.erasureHashKey] ||= localSecrets.erasureHashKey;
}

/**
 * Records the bootstrap model as the live version, with its artifact where a training job would
 * put it, serves it from the endpoint stand-in, and writes its history into the lake.
 */
export async function startWith(
  bootstrap: BootstrapModel,
  stand: {
    readonly registry: DynamoModelRegistry;
    readonly buckets: LocalBuckets;
    readonly endpoint: LocalEndpoint;
    readonly dataLake: LocalDataLake;
  },
): Promise<void> {
  const modelDataUrl = stand.buckets.uriOf(
    localNames.artifactsBucket,
    `models/${bootstrap.version}/output/model.tar.gz`,
  );
  const archive = stand.buckets.pathOf(modelDataUrl);
  await mkdir(dirname(archive), { recursive: true });
  await packModel(bootstrap.dir, archive);
  await recordLive(stand.registry, {
    version: bootstrap.version,
    window: bootstrap.window,
    modelDataUrl,
    ...(bootstrap.tuning ? { tuning: bootstrap.tuning } : {}),
  });
  await stand.endpoint.serve(dirname(archive), bootstrap.version);
  await stand.dataLake.appendHistory(bootstrap.history);
}

/** A version made outside the pipeline, recorded as the live one. */
export async function recordLive(
  registry: DynamoModelRegistry,
  model: {
    readonly version: string;
    readonly window?: DataWindow;
    readonly modelDataUrl?: string;
    readonly tuning?: TuningMetrics;
  },
): Promise<void> {
  const now = new Date().toISOString();
  const modelDataUrl = model.modelDataUrl ?? `s3://${localNames.artifactsBucket}/models/${model.version}/model.tar.gz`;
  await registry.putVersion({
    version: model.version,
    status: 'training',
    createdAt: now,
    executionId: 'local-start',
    trigger: 'manual',
    modelDataUrl,
    ...(model.window ? { window: model.window } : {}),
    ...(model.tuning ? { tuning: model.tuning } : {}),
  });
  await registry.setLive({
    version: model.version,
    modelDataUrl,
    endpointName: localNames.endpoint,
    since: now,
    ...(model.window ? { window: model.window } : {}),
  });
}
