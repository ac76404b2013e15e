/**
 * The deployment shape the app is built with: a named shape of `shared/config/shapes.ts`
 * (`-c reco:shape=lean`), per-part overrides from context, and the check of the combination, so a
 * shape AWS would refuse (or that could not work) fails `cdk synth` naming the context key.
 */
import { serviceName } from '#shared/config/index.ts';
import {
  type CacheShape,
  type DeploymentShape,
  deploymentShapes,
  type EndpointShape,
  SHAPE_NAMES,
  type ShapeName,
  type StreamShape,
} from '#shared/config/shapes.ts';

/** Context key naming the shape (`-c reco:shape=lean`). Absent: `default`. */
export const SHAPE_CONTEXT_KEY = `${serviceName}:shape`;

/** Context key overriding the endpoint's mode (`realtime` or `serverless`). */
export const ENDPOINT_MODE_CONTEXT_KEY = `${serviceName}:endpointMode`;

/** Context key overriding a serverless endpoint's memory, MB (1024 to 6144 in steps of 1024). */
export const SERVERLESS_MEMORY_CONTEXT_KEY = `${serviceName}:serverlessMemoryMb`;

/** Context key overriding a serverless endpoint's maximum concurrent invocations (1 to 200). */
export const SERVERLESS_CONCURRENCY_CONTEXT_KEY = `${serviceName}:serverlessMaxConcurrency`;

/** Context key overriding whether the endpoint's model runs network-isolated (`true`/`false`). */
export const ENDPOINT_NETWORK_ISOLATION_CONTEXT_KEY = `${serviceName}:endpointNetworkIsolation`;

/** Context key overriding the cache (`elasticache` or `in-process`). */
export const CACHE_CONTEXT_KEY = `${serviceName}:cache`;

/** Context key overriding the stream: `on-demand`, or a whole number of provisioned shards. */
export const STREAM_SHARDS_CONTEXT_KEY = `${serviceName}:streamShards`;

export const ENDPOINT_MODES = ['realtime', 'serverless'] as const;
export const CACHE_SHAPES: readonly CacheShape[] = ['elasticache', 'in-process'];

/** What SageMaker Serverless Inference accepts (ProductionVariantServerlessConfig). */
export const SERVERLESS_LIMITS = {
  memoryMb: { min: 1024, max: 6144, step: 1024 },
  maxConcurrency: { min: 1, max: 200 },
} as const;

/**
 * Provisioned shards one stream may have before the account's default shard quota (500 in most
 * regions, 200 in some) gets in the way; more is possible after a quota increase, and is a typo
 * far more often than not.
 */
export const MAX_STREAM_SHARDS = 200;

/** A shape that cannot be deployed; the message names the setting and what it accepts. */
export class ShapeConfigError extends Error {
  public constructor(
    /** The context key (or shape field) at fault. */
    public readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'ShapeConfigError';
  }
}

/** Reads one context value (`app.node.tryGetContext`). */
export type ContextReader = (key: string) => unknown;

/** The resolved shape and where it came from. */
export interface ResolvedShape {
  readonly name: ShapeName;
  readonly shape: DeploymentShape;
}

const text = (value: unknown): string | undefined =>
  value === undefined || value === null || value === '' ? undefined : String(value).trim();

function oneOf<T extends string>(key: string, value: unknown, valid: readonly T[]): T | undefined {
  const given = text(value);
  if (given === undefined) return undefined;
  if (!(valid as readonly string[]).includes(given)) {
    throw new ShapeConfigError(key, `${JSON.stringify(given)} is not one of ${valid.join(', ')}`);
  }
  return given as T;
}

function wholeNumber(key: string, value: unknown): number | undefined {
  const given = text(value);
  if (given === undefined) return undefined;
  const number = Number(given);
  if (!Number.isInteger(number))
    throw new ShapeConfigError(key, `must be a whole number, not ${JSON.stringify(value)}`);
  return number;
}

function flag(key: string, value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const given = oneOf(key, value, ['true', 'false'] as const);
  return given === undefined ? undefined : given === 'true';
}

/**
 * The shape named by {@link SHAPE_CONTEXT_KEY} with the per-part overrides applied, checked with
 * {@link validateShape}. Switching the endpoint's mode takes the other mode's sizing from the shape
 * that has it (`default` for real-time, `lean` for serverless) unless overridden.
 */
export function resolveShape(read: ContextReader): ResolvedShape {
  const name = oneOf(SHAPE_CONTEXT_KEY, read(SHAPE_CONTEXT_KEY), SHAPE_NAMES) ?? 'default';
  const base = deploymentShapes[name];

  const mode = oneOf(ENDPOINT_MODE_CONTEXT_KEY, read(ENDPOINT_MODE_CONTEXT_KEY), ENDPOINT_MODES) ?? base.endpoint.mode;
  const template: EndpointShape =
    mode === base.endpoint.mode
      ? base.endpoint
      : (Object.values(deploymentShapes).find((shape) => shape.endpoint.mode === mode)?.endpoint ?? base.endpoint);
  const memoryMb = wholeNumber(SERVERLESS_MEMORY_CONTEXT_KEY, read(SERVERLESS_MEMORY_CONTEXT_KEY));
  const maxConcurrency = wholeNumber(SERVERLESS_CONCURRENCY_CONTEXT_KEY, read(SERVERLESS_CONCURRENCY_CONTEXT_KEY));
  const networkIsolation = flag(ENDPOINT_NETWORK_ISOLATION_CONTEXT_KEY, read(ENDPOINT_NETWORK_ISOLATION_CONTEXT_KEY));
  if (template.mode === 'realtime' && (memoryMb !== undefined || maxConcurrency !== undefined)) {
    const key = memoryMb !== undefined ? SERVERLESS_MEMORY_CONTEXT_KEY : SERVERLESS_CONCURRENCY_CONTEXT_KEY;
    throw new ShapeConfigError(key, `applies to a serverless endpoint only; this shape's endpoint is real-time`);
  }
  const endpoint: EndpointShape =
    template.mode === 'serverless'
      ? {
          ...template,
          ...(memoryMb === undefined ? {} : { memoryMb }),
          ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
          ...(networkIsolation === undefined ? {} : { networkIsolation }),
        }
      : { ...template, ...(networkIsolation === undefined ? {} : { networkIsolation }) };

  const cache = oneOf(CACHE_CONTEXT_KEY, read(CACHE_CONTEXT_KEY), CACHE_SHAPES) ?? base.cache;

  const shardsValue = read(STREAM_SHARDS_CONTEXT_KEY);
  let stream: StreamShape = base.stream;
  if (text(shardsValue) === 'on-demand') stream = { mode: 'on-demand' };
  else {
    const shards = wholeNumber(STREAM_SHARDS_CONTEXT_KEY, shardsValue);
    if (shards !== undefined) stream = { mode: 'provisioned', shards };
  }

  const shape: DeploymentShape = { endpoint, cache, stream, waf: base.waf };
  validateShape(shape);
  return { name, shape };
}

/**
 * Throws a {@link ShapeConfigError} for a combination AWS would refuse or that cannot work:
 * serverless memory or concurrency out of SageMaker's ranges, network isolation on a serverless
 * endpoint, real-time instance bounds out of order, a stream with fewer than one shard.
 *
 * A serverless endpoint beside the ElastiCache cache is valid: the endpoint itself is never in a
 * VPC (the model is not attached to the serving network in either mode); the recommend function
 * reaches SageMaker's runtime API through the network's interface endpoint.
 */
export function validateShape(shape: DeploymentShape): void {
  const { endpoint, stream } = shape;
  if (endpoint.mode === 'serverless') {
    const { min, max, step } = SERVERLESS_LIMITS.memoryMb;
    if (
      !Number.isInteger(endpoint.memoryMb) ||
      endpoint.memoryMb < min ||
      endpoint.memoryMb > max ||
      endpoint.memoryMb % step !== 0
    ) {
      throw new ShapeConfigError(
        SERVERLESS_MEMORY_CONTEXT_KEY,
        `serverless memory must be one of 1024, 2048, 3072, 4096, 5120, 6144 (MB), not ${endpoint.memoryMb}`,
      );
    }
    const concurrency = SERVERLESS_LIMITS.maxConcurrency;
    if (
      !Number.isInteger(endpoint.maxConcurrency) ||
      endpoint.maxConcurrency < concurrency.min ||
      endpoint.maxConcurrency > concurrency.max
    ) {
      throw new ShapeConfigError(
        SERVERLESS_CONCURRENCY_CONTEXT_KEY,
        `serverless maximum concurrency must be a whole number from ${concurrency.min} to ${concurrency.max}, not ${endpoint.maxConcurrency}`,
      );
    }
    if (endpoint.networkIsolation === true) {
      throw new ShapeConfigError(
        ENDPOINT_NETWORK_ISOLATION_CONTEXT_KEY,
        'SageMaker Serverless Inference supports neither network isolation nor a VPC; set it to false or use a real-time endpoint',
      );
    }
  } else {
    const { minInstances, maxInstances } = endpoint;
    if (
      !Number.isInteger(minInstances) ||
      !Number.isInteger(maxInstances) ||
      minInstances < 1 ||
      maxInstances < minInstances
    ) {
      throw new ShapeConfigError(
        `${SHAPE_CONTEXT_KEY} (endpoint.minInstances/maxInstances)`,
        `a real-time endpoint needs whole numbers 1 <= minInstances <= maxInstances, got ${minInstances}..${maxInstances}`,
      );
    }
  }
  if (stream.mode === 'provisioned') {
    if (!Number.isInteger(stream.shards) || stream.shards < 1 || stream.shards > MAX_STREAM_SHARDS) {
      throw new ShapeConfigError(
        STREAM_SHARDS_CONTEXT_KEY,
        `a provisioned stream needs 1 to ${MAX_STREAM_SHARDS} shards (or "on-demand"), not ${stream.shards}`,
      );
    }
  }
}
