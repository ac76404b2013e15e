import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDeps, createHandler, type PipelineFunctionDeps } from '#functions/pipeline/app.ts';
import { logger } from '#functions/lib/observability.ts';
import { MemoryLake } from '#shared/adapters/memoryLake.ts';
import { MemoryEndpointState, MemoryModelResources } from '#shared/adapters/memoryModelResources.ts';
import { MemoryModelRegistry } from '#shared/adapters/memoryModelRegistry.ts';
import { DynamoModelRegistry } from '#shared/adapters/dynamoModelRegistry.ts';
import { InvalidRequestError } from '#shared/errors.ts';
import type { GateVerdict, GuardDecision } from '#shared/training/pipeline.ts';
import { pipelineFunctionEnv } from '#shared/training/pipelineEnv.ts';

const START = '2026-05-01T03:00:00.000Z';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:training:run-1';
const ENV = {
  [pipelineFunctionEnv.registryTableName]: 'registry',
  [pipelineFunctionEnv.artifactsBucket]: 'artifacts',
  [pipelineFunctionEnv.lakeUri]: 's3://lake/events/',
  [pipelineFunctionEnv.endpointName]: 'reco-endpoint',
  [pipelineFunctionEnv.namePrefix]: 'reco',
  [pipelineFunctionEnv.hyperparameters]: '{"algorithm":"hybrid","ials.iterations":"12"}',
};

function setup() {
  const registry = new MemoryModelRegistry();
  const lake = new MemoryLake().add(
    ...Array.from({ length: 2_000 }, (_, i) => ({
      type: 'view' as const,
      userId: `u${i % 50}`,
      itemId: `sku-${i % 20}`,
      timestamp: Date.parse(START) - 86_400_000 + i,
      receivedAt: Date.parse(START) - 86_400_000 + i,
    })),
  );
  const resources = new MemoryModelResources();
  const overrides: Partial<PipelineFunctionDeps> = {
    registry,
    newData: lake,
    endpoints: new MemoryEndpointState(),
    resources,
    clock: { now: () => Date.parse(START) + 1_000 },
  };
  return { registry, handler: createHandler(createDeps(ENV, overrides)) };
}

beforeEach(() => {
  vi.spyOn(logger, 'info').mockImplementation(() => undefined);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('Handler: pipeline', () => {
  it('runs guard, gate, record and clean-up of a first run: the version goes live and the lock is released', async () => {
    // Prepare
    const { registry, handler } = setup();
    // Act
    const guard = (await handler({
      step: 'guard',
      executionId: EXECUTION,
      startedAt: START,
      request: { trigger: 'schedule' },
    })) as GuardDecision;
    const gate = (await handler({
      step: 'gate',
      guard,
      metrics: [
        { MetricName: 'candidate_hr10', Value: 0.4, Timestamp: START },
        { MetricName: 'candidate_ndcg10', Value: 0.2, Timestamp: START },
        { MetricName: 'candidate_coverage', Value: 0.5, Timestamp: START },
        { MetricName: 'holdout_users', Value: 40, Timestamp: START },
      ],
    })) as GateVerdict;
    // As the state machine's RecordLive sends it: no gate verdict (a promotion has none).
    const record = await handler({ step: 'record', outcome: 'live', executionId: EXECUTION, guard });
    const cleaned = await handler({ step: 'cleanUp', guard });
    // Assess
    expect(guard).toMatchObject({
      action: 'train',
      hyperparameters: { algorithm: 'hybrid', 'ials.iterations': '12', windowTo: START },
    });
    expect(gate.verdict).toBe('promote');
    expect(record).toEqual({ outcome: 'live', version: guard.version, status: 'live', lockReleased: true });
    expect(cleaned).toEqual({ kept: [guard.version], cleaned: [], failed: [] });
    expect(await registry.live()).toMatchObject({ version: guard.version, modelDataUrl: guard.modelDataUrl });
    expect(await registry.getVersion(guard.version)).toMatchObject({
      metrics: { candidate: { ndcg10: 0.2 } },
      holdoutUsers: 40,
      verdict: gate.reason,
    });
    expect(logger.info).toHaveBeenCalledWith('guard', expect.objectContaining({ action: 'train' }));
  });

  it('throws InvalidRequestError unknown_step for a step it does not have', async () => {
    // Act
    const attempt = setup().handler({ step: 'deploy' });
    // Assess
    await expect(attempt).rejects.toThrow(
      new InvalidRequestError(
        'unknown_step',
        'unknown pipeline step "deploy"; expected guard, gate, record or cleanUp',
      ),
    );
  });

  it('throws InvalidRequestError invalid_step_input naming the field that is wrong', async () => {
    // Act
    const noStart = setup().handler({ step: 'guard', executionId: EXECUTION, request: { trigger: 'schedule' } });
    const promoteWithout = setup().handler({
      step: 'guard',
      executionId: EXECUTION,
      startedAt: START,
      request: { trigger: 'promote' },
    });
    // Assess
    await expect(noStart).rejects.toThrow(expect.objectContaining({ reason: 'invalid_step_input' }));
    await expect(noStart).rejects.toThrow(/^guard step: startedAt: /);
    await expect(promoteWithout).rejects.toThrow(/request\.promoteVersion: promoteVersion is required/);
  });
});

describe('Function: createDeps', () => {
  it('builds the AWS adapters from the environment without calling AWS', () => {
    // Act
    const deps = createDeps(ENV);
    // Assess
    expect(deps.registry).toBeInstanceOf(DynamoModelRegistry);
    expect(deps.guardOptions).toEqual({
      bucket: 'artifacts',
      namePrefix: 'reco',
      endpointName: 'reco-endpoint',
      hyperparameters: { algorithm: 'hybrid', 'ials.iterations': '12' },
    });
    expect(deps.cleanUpOptions).toEqual({ bucket: 'artifacts', namePrefix: 'reco' });
  });

  it('fails the cold start naming a missing variable, bad hyperparameters or a bad prefix', () => {
    const without = (name: string) => Object.fromEntries(Object.entries(ENV).filter(([key]) => key !== name));
    expect(() => createDeps(without(pipelineFunctionEnv.artifactsBucket))).toThrow(
      `environment variable ${pipelineFunctionEnv.artifactsBucket} is required`,
    );
    expect(() => createDeps({ ...ENV, [pipelineFunctionEnv.hyperparameters]: '{"a": 1}' })).toThrow(
      /TRAINING_HYPERPARAMETERS: a hyperparameter values are strings/,
    );
    expect(() => createDeps({ ...ENV, [pipelineFunctionEnv.hyperparameters]: '{"__proto__": "x"}' })).toThrow(
      expect.objectContaining({ reason: 'invalid_hyperparameters' }),
    );
    expect(() => createDeps({ ...ENV, [pipelineFunctionEnv.hyperparameters]: '{"windowTo": "x"}' })).toThrow(
      expect.objectContaining({ reason: 'reserved_hyperparameter' }),
    );
    expect(() => createDeps({ ...ENV, [pipelineFunctionEnv.namePrefix]: 'reco_prod' })).toThrow(
      expect.objectContaining({ reason: 'invalid_name_prefix' }),
    );
  });
});
