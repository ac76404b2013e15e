import * as z from 'zod';
import { apiLimits, envVars, serving, userTokens } from '#shared/config/index.ts';
import { CloudWatchMetrics } from '#shared/adapters/cloudWatchMetrics.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { DynamoModelRegistry } from '#shared/adapters/dynamoModelRegistry.ts';
import { SfnTrainingRuns } from '#shared/adapters/sfnTrainingRuns.ts';
import {
  getModel,
  listModels,
  MAX_LISTED_VERSIONS,
  promoteModel,
  startTraining,
  type ModelAdminDeps,
} from '#shared/models/admin.ts';
import { mintUserToken, type UserTokenKeys } from '#shared/auth/userToken.ts';
import { statsReport, type OperationalMetrics, type StatsDeps } from '#shared/stats/statsReport.ts';
import { parseStatsMinutes } from '#shared/stats/window.ts';
import { InvalidRequestError } from '#shared/errors.ts';
import { unaddressableId } from '#shared/events/ids.ts';
import { parseJsonObjectBody } from '#shared/http/requestBody.ts';
import { jsonResponse } from '#shared/http/responses.ts';
import { systemClock, type Clock } from '#shared/ports/index.ts';
import { apiIdsFrom, type ApiIds } from '../lib/caller.ts';
import { requireServer } from '../lib/serverOnly.ts';
import { corsAllowOrigins, optionalEnv, requiredEnv, type Env } from '../lib/env.ts';
import { userTokenKeysFrom } from '../lib/userTokenKeys.ts';
import { bodyOf, httpHandler, pathId, type HttpHandler } from '../lib/http.ts';
import { cloudWatchClient } from '../lib/cloudWatch.ts';
import { dynamoDb } from '../lib/dynamoDb.ts';
import { sfnClient } from '../lib/sfn.ts';
import { logger } from '../lib/observability.ts';

export interface AdminFunctionDeps {
  readonly userTokenKeys: UserTokenKeys;
  /** The model registry and the training pipeline, for the model routes. */
  readonly models: ModelAdminDeps;
  readonly apiIds: ApiIds;
  readonly clock: Clock;
  readonly corsOrigins: readonly string[];
  /** What `GET /v1/admin/stats` reads, built on its first call. */
  readonly stats: () => StatsDeps;
}

/** The registry from `REGISTRY_TABLE_NAME` and the state machine from `TRAINING_STATE_MACHINE_ARN`, read when first used. */
function modelsFrom(env: Env): ModelAdminDeps {
  let registry: DynamoModelRegistry | undefined;
  let runs: SfnTrainingRuns | undefined;
  const registryNow = () =>
    (registry ??= new DynamoModelRegistry(dynamoDb, requiredEnv(env, envVars.registryTableName)));
  return {
    registry: {
      live: () => registryNow().live(),
      getVersion: (version) => registryNow().getVersion(version),
      listVersions: (options) => registryNow().listVersions(options),
    },
    runs: {
      start: (request) =>
        (runs ??= new SfnTrainingRuns(sfnClient(), requiredEnv(env, envVars.trainingStateMachineArn))).start(request),
    },
  };
}

/**
 * What `GET /v1/admin/stats` reads: `metrics` (default: CloudWatch, the processor's lag from
 * `PROCESSOR_FUNCTION_NAME`), the model registry, attribution in the feature table from
 * `FEATURE_TABLE_NAME`, and the fallback's version from `MODEL_VERSION`. Built on the first call: the
 * CloudWatch client is made then, not at cold start. The modules are imported statically on
 * purpose: in the single-file bundle a dynamic `import()` keeps the whole of each module it reaches
 * (no tree-shaking), a larger bundle that starts slower than these static imports.
 */
export function statsDepsFrom(
  env: Env,
  options: { readonly registry: StatsDeps['registry']; readonly metrics?: OperationalMetrics },
): () => StatsDeps {
  let built: StatsDeps | undefined;
  return () => {
    if (built !== undefined) return built;
    const tableName = requiredEnv(env, envVars.featureTableName);
    const processorFunctionName = env[envVars.processorFunctionName];
    built = {
      metrics:
        options.metrics ??
        new CloudWatchMetrics(cloudWatchClient(), processorFunctionName ? { processorFunctionName } : {}),
      registry: options.registry,
      attribution: new DynamoFeatureStore(dynamoDb, tableName),
      // Attribution of fallback lists is kept under the version the recommend function serves them as.
      fallbackVersion: optionalEnv(env, envVars.modelVersion, serving.fallbackModelVersion),
    };
    return built;
  };
}

/** The admin function's dependencies from its environment; `overrides` replace any of them. */
export function createDeps(env: Env, overrides: Partial<AdminFunctionDeps> = {}): AdminFunctionDeps {
  const clock = overrides.clock ?? systemClock;
  const models = overrides.models ?? modelsFrom(env);
  return {
    userTokenKeys: overrides.userTokenKeys ?? userTokenKeysFrom(env, clock),
    models,
    stats: statsDepsFrom(env, { registry: models.registry }),
    apiIds: apiIdsFrom(env),
    clock,
    corsOrigins: corsAllowOrigins(env),
    ...overrides,
  };
}

const userTokenRequest = z.strictObject({
  userId: z
    .string({ error: 'userId must be a string' })
    .min(1, { error: 'userId must not be empty' })
    .max(apiLimits.maxIdChars, { error: `userId must be at most ${apiLimits.maxIdChars} characters` })
    // The id events and list routes take: a token for any other could never be used.
    .superRefine((value, ctx) => {
      const problem = unaddressableId(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `userId ${problem}` });
    }),
  ttlSeconds: z
    .number({ error: 'ttlSeconds must be a number' })
    .int({ error: 'ttlSeconds must be a whole number' })
    .min(60, { error: 'ttlSeconds must be at least 60' })
    .max(userTokens.maxTtlSeconds, { error: `ttlSeconds must be at most ${userTokens.maxTtlSeconds}` })
    .optional(),
});

const trainRequest = z.strictObject({ force: z.boolean().optional() });

/** `?limit=` of the model list: 1 to {@link MAX_LISTED_VERSIONS}, default 20; any other parameter is refused. */
function parseLimit(query: Readonly<Record<string, string | undefined>> | null): number {
  const unknown = Object.keys(query ?? {}).find((name) => name !== 'limit');
  if (unknown !== undefined) throw new InvalidRequestError('unknown_parameter', `unknown query parameter ${unknown}`);
  const raw = query?.limit;
  if (raw === undefined) return 20;
  const limit = Number(raw);
  if (!/^\d+$/.test(raw) || limit < 1 || limit > MAX_LISTED_VERSIONS) {
    throw new InvalidRequestError('invalid_limit', `limit must be a whole number from 1 to ${MAX_LISTED_VERSIONS}`);
  }
  return limit;
}

/**
 * `POST /v1/admin/user-tokens` (`{userId, ttlSeconds?}` → `{userId, token, expiresAt}`): the shop's
 * backend mints a signed-in shopper's token, so the signing key never leaves AWS. On the server API
 * only.
 */
export function createHandler(deps: AdminFunctionDeps): HttpHandler {
  return httpHandler(
    {
      userTokens: async (event) => {
        const principal = await requireServer(event, deps);
        const body = parseJsonObjectBody(bodyOf(event), { shape: '{"userId": "...", "ttlSeconds"?: 3600}' });
        const parsed = userTokenRequest.safeParse(body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const field = issue?.path.join('.') || 'body';
          throw new InvalidRequestError(
            `invalid_${field === 'body' ? 'body' : field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`,
            issue?.message ?? 'invalid request',
          );
        }
        const { userId, ttlSeconds = userTokens.ttlSeconds } = parsed.data;
        const minted = await mintUserToken(userId, { keys: deps.userTokenKeys, clock: deps.clock }, ttlSeconds);
        logger.info('user token minted', { principal, expiresAt: minted.expiresAt });
        return jsonResponse(200, { userId, ...minted });
      },
      trainModel: async (event) => {
        const principal = await requireServer(event, deps);
        const body = bodyOf(event);
        const parsed = trainRequest.safeParse(
          body === null || body.trim() === '' ? {} : parseJsonObjectBody(body, { shape: '{"force"?: true}' }),
        );
        if (!parsed.success) throw new InvalidRequestError('invalid_force', 'force must be true or false');
        const started = await startTraining(deps.models, { force: parsed.data.force ?? false });
        logger.info('training started', { principal, ...started });
        return jsonResponse(202, started);
      },
      models: async (event) => {
        await requireServer(event, deps);
        return jsonResponse(200, await listModels(deps.models, parseLimit(event.queryStringParameters)));
      },
      model: async (event) => {
        await requireServer(event, deps);
        return jsonResponse(200, await getModel(deps.models, pathId(event, 'version')));
      },
      promoteModel: async (event) => {
        const principal = await requireServer(event, deps);
        const version = pathId(event, 'version');
        const started = await promoteModel(deps.models, version);
        logger.info('promotion started', { principal, version, ...started });
        return jsonResponse(202, { version, ...started });
      },
      stats: async (event) => {
        await requireServer(event, deps);
        const minutes = parseStatsMinutes(event.queryStringParameters);
        return jsonResponse(200, await statsReport(deps.stats(), { minutes, now: deps.clock.now() }));
      },
    },
    deps.corsOrigins,
  );
}
