import * as z from 'zod/mini';
import '#shared/http/zodLocale.ts';
import { DynamoModelRegistry } from '#shared/adapters/dynamoModelRegistry.ts';
import { S3NewDataCounter } from '#shared/adapters/s3Lake.ts';
import { SageMakerEndpointState, SageMakerModelResources } from '#shared/adapters/sageMakerPipeline.ts';
import { systemClock, type Clock } from '#shared/ports/index.ts';
import { cleanUp, type CleanUpOptions, type CleanUpResult } from '#shared/training/cleanUp.ts';
import { PipelineConfigError } from '#shared/training/errors.ts';
import { gate, type GateOptions } from '#shared/training/gate.ts';
import { checkGuardOptions, guard, type GuardOptions } from '#shared/training/guard.ts';
import { recordOutcome, recordVerdict, type RecordResult } from '#shared/training/outcome.ts';
import type { GateVerdict, GuardDecision } from '#shared/training/pipeline.ts';
import { pipelineFunctionEnv } from '#shared/training/pipelineEnv.ts';
import type { EndpointState, ModelResources, NewDataCounter } from '#shared/training/ports.ts';
import type { ModelRegistry } from '#shared/training/registry.ts';
import { parseStepInput } from '#shared/training/steps.ts';
import { dynamoDb } from '../lib/dynamoDb.ts';
import { optionalEnv, requiredEnv, type Env } from '../lib/env.ts';
import { logger } from '../lib/observability.ts';
import { s3Client, sageMakerClient } from './clients.ts';

export interface PipelineFunctionDeps {
  readonly registry: ModelRegistry;
  readonly clock: Clock;
  readonly newData: NewDataCounter;
  readonly endpoints: EndpointState;
  readonly resources: ModelResources;
  readonly guardOptions: GuardOptions;
  readonly gateOptions: GateOptions;
  readonly cleanUpOptions: CleanUpOptions;
}

export type PipelineStepResult = GuardDecision | GateVerdict | RecordResult | CleanUpResult;

/** Hyperparameter names as the image takes them (`algorithm`, `ials.iterations`, …). */
const HYPERPARAMETER_NAME = /^[A-Za-z][\w.-]{0,127}$/;

const hyperparametersSchema = z.record(
  z.string(),
  z.string({ error: 'hyperparameter values are strings, as SageMaker takes them' }),
  {
    error: `${pipelineFunctionEnv.hyperparameters} must be a JSON object of strings`,
  },
);

function hyperparametersFrom(env: Env): Readonly<Record<string, string>> {
  const text = optionalEnv(env, pipelineFunctionEnv.hyperparameters, '{}');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PipelineConfigError('invalid_hyperparameters', `${pipelineFunctionEnv.hyperparameters} is not JSON`);
  }
  // Checked on the parsed JSON's own keys: a record schema drops a `__proto__` key without a word.
  const names = json !== null && typeof json === 'object' ? Object.keys(json) : [];
  const badName = names.find((name) => !HYPERPARAMETER_NAME.test(name));
  if (badName !== undefined) {
    throw new PipelineConfigError(
      'invalid_hyperparameters',
      `${pipelineFunctionEnv.hyperparameters}: "${badName}" is not a hyperparameter name (letters, digits, _ . -)`,
    );
  }
  const parsed = hyperparametersSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PipelineConfigError(
      'invalid_hyperparameters',
      `${pipelineFunctionEnv.hyperparameters}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  return parsed.data;
}

/**
 * The pipeline function's dependencies from its environment (`pipelineFunctionEnv`); `overrides`
 * replace any of them (tests, the local run). Settings are checked here, so a bad one fails the
 * cold start instead of a run.
 */
export function createDeps(env: Env, overrides: Partial<PipelineFunctionDeps> = {}): PipelineFunctionDeps {
  const setting = (name: string) => requiredEnv(env, name);
  const guardOptions =
    overrides.guardOptions ??
    checkGuardOptions({
      bucket: setting(pipelineFunctionEnv.artifactsBucket),
      namePrefix: setting(pipelineFunctionEnv.namePrefix),
      endpointName: setting(pipelineFunctionEnv.endpointName),
      hyperparameters: hyperparametersFrom(env),
    });
  return {
    registry: overrides.registry ?? new DynamoModelRegistry(dynamoDb, setting(pipelineFunctionEnv.registryTableName)),
    clock: systemClock,
    newData: overrides.newData ?? new S3NewDataCounter(s3Client(), setting(pipelineFunctionEnv.lakeUri)),
    endpoints: overrides.endpoints ?? new SageMakerEndpointState(sageMakerClient()),
    resources: overrides.resources ?? new SageMakerModelResources(sageMakerClient(), s3Client()),
    guardOptions,
    gateOptions: {},
    cleanUpOptions: { bucket: guardOptions.bucket, namePrefix: guardOptions.namePrefix },
    ...overrides,
  };
}

/**
 * The state machine's Lambda steps, one function: `{step: 'guard' | 'gate' | 'record' | 'cleanUp', …}`
 * (see `shared/training/pipeline.ts`). A thrown error fails the state, whose Catch records it.
 */
export function createHandler(deps: PipelineFunctionDeps): (event: unknown) => Promise<PipelineStepResult> {
  return async (event) => {
    const input = parseStepInput(event);
    switch (input.step) {
      case 'guard': {
        const decision = await guard(input, { ...deps, options: deps.guardOptions });
        logger.info('guard', { action: decision.action, version: decision.version, reason: decision.reason });
        return decision;
      }
      case 'gate': {
        const verdict = gate(input, deps.gateOptions);
        await recordVerdict({ version: input.guard.version, verdict }, deps);
        logger.info('gate', { version: input.guard.version, verdict: verdict.verdict, reason: verdict.reason });
        return verdict;
      }
      case 'record': {
        const result = await recordOutcome(input, deps);
        logger.info('record', { ...result });
        return result;
      }
      case 'cleanUp': {
        const result = await cleanUp(input, { ...deps, options: deps.cleanUpOptions });
        if (result.failed.length > 0) logger.warn('clean-up left versions for the next run', { failed: result.failed });
        logger.info('cleanUp', { kept: result.kept, cleaned: result.cleaned.map((c) => c.version) });
        return result;
      }
    }
  };
}
