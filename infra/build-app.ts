import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { serviceName } from '#shared/config/index.ts';
import { checkCorsOrigins, parseCorsOrigins } from '#shared/http/cors.ts';
import {
  CACHE_CONTEXT_KEY,
  ENDPOINT_MODE_CONTEXT_KEY,
  ENDPOINT_NETWORK_ISOLATION_CONTEXT_KEY,
  resolveShape,
  SERVERLESS_CONCURRENCY_CONTEXT_KEY,
  SERVERLESS_MEMORY_CONTEXT_KEY,
  SHAPE_CONTEXT_KEY,
  STREAM_SHARDS_CONTEXT_KEY,
} from './shape.ts';
import { RecoStack } from './stacks/reco-stack.ts';

export {
  CACHE_CONTEXT_KEY,
  ENDPOINT_MODE_CONTEXT_KEY,
  ENDPOINT_NETWORK_ISOLATION_CONTEXT_KEY,
  SERVERLESS_CONCURRENCY_CONTEXT_KEY,
  SERVERLESS_MEMORY_CONTEXT_KEY,
  SHAPE_CONTEXT_KEY,
  STREAM_SHARDS_CONTEXT_KEY,
} from './shape.ts';

/** Context key (set in cdk.json, overridable with `-c`) holding the served model version. */
export const MODEL_VERSION_CONTEXT_KEY = `${serviceName}:modelVersion`;

/** Context key turning the feature table's deletion protection off (`-c reco:deletionProtection=false`). */
export const DELETION_PROTECTION_CONTEXT_KEY = `${serviceName}:deletionProtection`;

/**
 * Context key holding the origins whose pages may call the API (CORS), comma-separated
 * (`-c reco:corsOrigins=https://shop.example,https://www.shop.example`) or a list in cdk.json.
 * Absent: `api.cors.allowOrigins` (any origin).
 */
export const CORS_ORIGINS_CONTEXT_KEY = `${serviceName}:corsOrigins`;

/**
 * Context key switching the storefront API's web ACL (per-IP rate rule) off
 * (`-c reco:storefrontWaf=false`). Absent: on.
 */
export const STOREFRONT_WAF_CONTEXT_KEY = `${serviceName}:storefrontWaf`;

/**
 * Context key holding the requests one client IP may send the storefront API in 5 minutes
 * (`-c reco:storefrontRateLimit=5000`). Absent: `DEFAULT_STOREFRONT_RATE_LIMIT`.
 */
export const STOREFRONT_RATE_LIMIT_CONTEXT_KEY = `${serviceName}:storefrontRateLimit`;

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /**
   * Context of the App, e.g. feature flags from cdk.json, or `{ 'aws:cdk:bundling-stacks': [] }`
   * to skip esbuild bundling in tests.
   * @default - none; under the CDK CLI the context of cdk.json arrives through the environment
   */
  readonly context?: Record<string, unknown>;

  /**
   * Version label of the ranking served by the recommend function.
   * @default - the context value {@link MODEL_VERSION_CONTEXT_KEY}
   */
  readonly modelVersion?: string;

  /**
   * Whether the feature table is deletion-protected.
   * @default - the context value {@link DELETION_PROTECTION_CONTEXT_KEY}, else true
   */
  readonly deletionProtection?: boolean;

  /**
   * Origins whose pages may call the API (CORS).
   * @default - the context value {@link CORS_ORIGINS_CONTEXT_KEY}, else `api.cors.allowOrigins`
   */
  readonly corsOrigins?: readonly string[];

  /**
   * Whether the storefront API gets its web ACL.
   * @default - the context value {@link STOREFRONT_WAF_CONTEXT_KEY}, else the shape's `waf`
   */
  readonly storefrontWaf?: boolean;

  /**
   * Build context of the model container image (holding `model/Dockerfile`). Tests point it at a stub.
   * @default - the repository root
   */
  readonly modelImageDirectory?: string;

  /**
   * Whether to register cdk-nag's AwsSolutionsChecks as a validation plugin, so synthesis fails
   * on unacknowledged findings.
   * @default true
   */
  readonly nag?: boolean;

  /**
   * Cloud assembly output directory.
   * @default - `CDK_OUTDIR` from the CLI, otherwise a temporary directory
   */
  readonly outdir?: string;
}

/** What {@link buildApp} built. */
export interface RecoApp {
  readonly app: App;
  readonly stack: RecoStack;
  /** The registered cdk-nag pack; `undefined` when `nag` is false. */
  readonly nagPack: AwsSolutionsChecks | undefined;
}

/** Every `reco:` context key the app reads. */
const CONTEXT_KEYS: readonly string[] = [
  MODEL_VERSION_CONTEXT_KEY,
  DELETION_PROTECTION_CONTEXT_KEY,
  CORS_ORIGINS_CONTEXT_KEY,
  STOREFRONT_WAF_CONTEXT_KEY,
  STOREFRONT_RATE_LIMIT_CONTEXT_KEY,
  SHAPE_CONTEXT_KEY,
  ENDPOINT_MODE_CONTEXT_KEY,
  SERVERLESS_MEMORY_CONTEXT_KEY,
  SERVERLESS_CONCURRENCY_CONTEXT_KEY,
  ENDPOINT_NETWORK_ISOLATION_CONTEXT_KEY,
  CACHE_CONTEXT_KEY,
  STREAM_SHARDS_CONTEXT_KEY,
];

/** A misspelled key (`reco:shap=lean`) would silently leave its setting at the default: refused instead. */
function checkContextKeys(app: App): void {
  const given = Object.keys(app.node.getAllContext() as Record<string, unknown>);
  const unknown = given.filter((key) => key.startsWith(`${serviceName}:`) && !CONTEXT_KEYS.includes(key));
  if (unknown.length > 0) {
    throw new ContextSettingError(
      `unknown context ${unknown.map((key) => `"${key}"`).join(', ')}; the app reads ${CONTEXT_KEYS.join(', ')}`,
    );
  }
}

function contextString(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A `-c` or cdk.json setting the app cannot use; the message names the key. */
export class ContextSettingError extends Error {
  override readonly name = 'ContextSettingError';
}

/** `true` or `false`, as a boolean (cdk.json) or a string (`-c`); anything else is refused, naming the key. */
function contextBoolean(app: App, key: string): boolean | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ContextSettingError(`context "${key}" must be true or false, not ${JSON.stringify(value)}`);
}

/** A whole number from context: a string (`-c`) or a number (cdk.json). */
function contextInteger(app: App, key: string): number | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === '') return undefined;
  const number = typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) {
    throw new ContextSettingError(`context "${key}" must be a whole number, not ${JSON.stringify(value)}`);
  }
  return number;
}

/** A list of origins from context: a comma-separated string (`-c`) or a list of strings (cdk.json). */
function contextOrigins(app: App, key: string): readonly string[] | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string') return parseCorsOrigins(value, `context "${key}"`);
  if (Array.isArray(value) && value.every((origin) => typeof origin === 'string')) {
    return checkCorsOrigins(
      value.map((origin: string) => origin.trim()),
      `context "${key}"`,
    );
  }
  throw new ContextSettingError(`context "${key}" must be a comma-separated string or a list of origins`);
}

/**
 * Builds the CDK app without synthesising it, so `infra/app.ts` and the tests share one
 * construction path.
 */
export function buildApp(options: BuildAppOptions = {}): RecoApp {
  const app = new App({
    ...(options.context === undefined ? {} : { context: options.context }),
    ...(options.outdir === undefined ? {} : { outdir: options.outdir }),
  });

  checkContextKeys(app);
  const modelVersion = options.modelVersion ?? contextString(app, MODEL_VERSION_CONTEXT_KEY);
  if (modelVersion === undefined) {
    throw new ContextSettingError(
      `No model version: pass buildApp({ modelVersion }) or set context "${MODEL_VERSION_CONTEXT_KEY}" (cdk.json)`,
    );
  }

  // The shape (`reco:shape` and its per-part overrides), checked before anything is built.
  const { shape } = resolveShape((key) => app.node.tryGetContext(key));
  const corsOrigins = options.corsOrigins ?? contextOrigins(app, CORS_ORIGINS_CONTEXT_KEY);
  const storefrontRateLimit = contextInteger(app, STOREFRONT_RATE_LIMIT_CONTEXT_KEY);
  const stack = new RecoStack(app, serviceName, {
    modelVersion,
    shape,
    storefrontWaf: options.storefrontWaf ?? contextBoolean(app, STOREFRONT_WAF_CONTEXT_KEY) ?? shape.waf,
    ...(storefrontRateLimit === undefined ? {} : { storefrontRateLimit }),
    ...(corsOrigins === undefined ? {} : { corsOrigins }),
    deletionProtection: options.deletionProtection ?? contextBoolean(app, DELETION_PROTECTION_CONTEXT_KEY) ?? true,
    ...(options.modelImageDirectory === undefined ? {} : { model: { imageDirectory: options.modelImageDirectory } }),
  });
  Tags.of(app).add('service', serviceName);

  let nagPack: AwsSolutionsChecks | undefined;
  if (options.nag ?? true) {
    nagPack = new AwsSolutionsChecks(app);
    Validations.of(app).addPlugins(nagPack);
  }

  return { app, stack, nagPack };
}
