import { describe, expect, it } from 'vitest';
import { deploymentShapes, type DeploymentShape } from '#shared/config/shapes.ts';
import {
  CACHE_CONTEXT_KEY,
  ENDPOINT_MODE_CONTEXT_KEY,
  ENDPOINT_NETWORK_ISOLATION_CONTEXT_KEY,
  resolveShape,
  SERVERLESS_CONCURRENCY_CONTEXT_KEY,
  SERVERLESS_MEMORY_CONTEXT_KEY,
  SHAPE_CONTEXT_KEY,
  ShapeConfigError,
  STREAM_SHARDS_CONTEXT_KEY,
  validateShape,
} from '#infra/shape.ts';

/** A context reader over `values`, as `app.node.tryGetContext` reads `-c key=value` (strings). */
const contextOf =
  (values: Record<string, unknown>) =>
  (key: string): unknown =>
    values[key];

const lean = deploymentShapes.lean;
const serverless = (endpoint: Partial<{ memoryMb: number; maxConcurrency: number; networkIsolation: boolean }>) =>
  ({
    ...lean,
    endpoint: { mode: 'serverless', memoryMb: 3072, maxConcurrency: 5, ...endpoint },
  }) as DeploymentShape;

describe('Function: resolveShape', () => {
  it('returns the default shape without context', () => {
    // Act
    const resolved = resolveShape(contextOf({}));

    // Assess
    expect(resolved).toEqual({ name: 'default', shape: deploymentShapes.default });
  });

  it('returns the lean shape by name', () => {
    // Act
    const resolved = resolveShape(contextOf({ [SHAPE_CONTEXT_KEY]: 'lean' }));

    // Assess
    expect(resolved.name).toBe('lean');
    expect(resolved.shape).toEqual({
      endpoint: { mode: 'serverless', memoryMb: 3072, maxConcurrency: 5 },
      cache: 'in-process',
      stream: { mode: 'provisioned', shards: 1 },
      waf: false,
    });
  });

  it('rejects an unknown shape name, naming the key and the valid names', () => {
    // Act
    const resolve = () => resolveShape(contextOf({ [SHAPE_CONTEXT_KEY]: 'tiny' }));

    // Assess
    expect(resolve).toThrow(ShapeConfigError);
    expect(resolve).toThrow('reco:shape: "tiny" is not one of default, lean');
  });

  it('applies per-part overrides from -c strings', () => {
    // Act
    const { shape } = resolveShape(
      contextOf({
        [ENDPOINT_MODE_CONTEXT_KEY]: 'serverless',
        [SERVERLESS_MEMORY_CONTEXT_KEY]: '2048',
        [SERVERLESS_CONCURRENCY_CONTEXT_KEY]: '20',
        [CACHE_CONTEXT_KEY]: 'in-process',
        [STREAM_SHARDS_CONTEXT_KEY]: '4',
      }),
    );

    // Assess
    expect(shape).toEqual({
      endpoint: { mode: 'serverless', memoryMb: 2048, maxConcurrency: 20 },
      cache: 'in-process',
      stream: { mode: 'provisioned', shards: 4 },
      waf: true,
    });
  });

  it('takes the real-time sizing of the default shape when lean switches its endpoint to real-time', () => {
    // Act
    const { shape } = resolveShape(
      contextOf({
        [SHAPE_CONTEXT_KEY]: 'lean',
        [ENDPOINT_MODE_CONTEXT_KEY]: 'realtime',
        [STREAM_SHARDS_CONTEXT_KEY]: 'on-demand',
      }),
    );

    // Assess
    expect(shape.endpoint).toEqual(deploymentShapes.default.endpoint);
    expect(shape.stream).toEqual({ mode: 'on-demand' });
    expect(shape.cache).toBe('in-process');
  });

  it.each([
    [{ [ENDPOINT_MODE_CONTEXT_KEY]: 'batch' }, 'reco:endpointMode: "batch" is not one of realtime, serverless'],
    [{ [CACHE_CONTEXT_KEY]: 'redis' }, 'reco:cache: "redis" is not one of elasticache, in-process'],
    [{ [STREAM_SHARDS_CONTEXT_KEY]: 'two' }, 'reco:streamShards: must be a whole number, not "two"'],
    [{ [STREAM_SHARDS_CONTEXT_KEY]: '0' }, 'reco:streamShards: a provisioned stream needs 1 to 200 shards'],
    [{ [SERVERLESS_MEMORY_CONTEXT_KEY]: '4096' }, 'reco:serverlessMemoryMb: applies to a serverless endpoint only'],
    [
      { [SHAPE_CONTEXT_KEY]: 'lean', [ENDPOINT_NETWORK_ISOLATION_CONTEXT_KEY]: 'yes' },
      'reco:endpointNetworkIsolation: "yes" is not one of true, false',
    ],
  ])('rejects %j', (context, message) => {
    // Act
    const resolve = () => resolveShape(contextOf(context));

    // Assess
    expect(resolve).toThrow(message);
  });
});

describe('Function: validateShape', () => {
  it('accepts both named shapes', () => {
    // Act & Assess
    expect(() => validateShape(deploymentShapes.default)).not.toThrow();
    expect(() => validateShape(deploymentShapes.lean)).not.toThrow();
  });

  it('accepts every memory size SageMaker offers, and a serverless endpoint beside ElastiCache', () => {
    for (const memoryMb of [1024, 2048, 3072, 4096, 5120, 6144]) {
      expect(() => validateShape({ ...serverless({ memoryMb }), cache: 'elasticache' })).not.toThrow();
    }
  });

  it.each([512, 1000, 1536, 7168])(
    'rejects serverless memory of %i MB, naming the key and the valid sizes',
    (memoryMb) => {
      // Act
      const validate = () => validateShape(serverless({ memoryMb }));

      // Assess
      expect(validate).toThrow(
        `reco:serverlessMemoryMb: serverless memory must be one of 1024, 2048, 3072, 4096, 5120, 6144 (MB), not ${memoryMb}`,
      );
    },
  );

  it.each([0, 201, 2.5])('rejects a maximum concurrency of %d', (maxConcurrency) => {
    // Act
    const validate = () => validateShape(serverless({ maxConcurrency }));

    // Assess
    expect(validate).toThrow(
      `reco:serverlessMaxConcurrency: serverless maximum concurrency must be a whole number from 1 to 200, not ${maxConcurrency}`,
    );
  });

  it('rejects network isolation on a serverless endpoint', () => {
    // Act
    const validate = () => validateShape(serverless({ networkIsolation: true }));

    // Assess
    expect(validate).toThrow('reco:endpointNetworkIsolation: SageMaker Serverless Inference supports neither');
  });

  it('accepts a real-time endpoint without network isolation', () => {
    const shape: DeploymentShape = {
      ...deploymentShapes.default,
      endpoint: { ...deploymentShapes.default.endpoint, networkIsolation: false } as DeploymentShape['endpoint'],
    };
    expect(() => validateShape(shape)).not.toThrow();
  });

  it.each([
    [0, 1],
    [2, 1],
  ])('rejects real-time bounds %i..%i', (minInstances, maxInstances) => {
    // Prepare
    const shape = {
      ...deploymentShapes.default,
      endpoint: { mode: 'realtime', instanceType: 'ml.c6i.large', minInstances, maxInstances },
    } as DeploymentShape;

    // Act & Assess
    expect(() => validateShape(shape)).toThrow(
      'a real-time endpoint needs whole numbers 1 <= minInstances <= maxInstances',
    );
  });

  it.each([0, -1, 1.5, 201])('rejects a provisioned stream of %d shards', (shards) => {
    // Act
    const validate = () => validateShape({ ...lean, stream: { mode: 'provisioned', shards } });

    // Assess
    expect(validate).toThrow(
      `reco:streamShards: a provisioned stream needs 1 to 200 shards (or "on-demand"), not ${shards}`,
    );
  });
});
