import { envVars } from '#shared/config/index.ts';
import { corsOriginsFrom } from '#shared/http/cors.ts';

/** A function's environment: `process.env` in Lambda, any record in tests and the local stack. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A required setting, read at cold start; a missing one fails the cold start with its name. */
export function requiredEnv(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`environment variable ${name} is required`);
  }
  return value;
}

export function optionalEnv(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

/**
 * The origins the API answers CORS for: `envVars.corsAllowOrigins` (comma-separated, set by the
 * Api construct and the local stack), else `api.cors.allowOrigins`. A value no browser origin
 * could match fails the cold start instead of silently answering nobody.
 */
export function corsAllowOrigins(env: Env): readonly string[] {
  return corsOriginsFrom(env[envVars.corsAllowOrigins], envVars.corsAllowOrigins);
}
