import { envVars } from '#shared/config/index.ts';
import { corsOriginsFrom } from '#shared/http/cors.ts';

/** Reads a required environment variable once, at cold start, and fails loudly when missing. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`environment variable ${name} is required`);
  }
  return value;
}

export function optionalEnv(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

/**
 * The origins the API answers CORS for: `envVars.corsAllowOrigins` (comma-separated, set by the
 * Api construct and the local stack), else `api.cors.allowOrigins`. Read at cold start; a value
 * no browser origin could match fails the cold start instead of silently answering nobody.
 */
export function corsAllowOrigins(): readonly string[] {
  return corsOriginsFrom(process.env[envVars.corsAllowOrigins], envVars.corsAllowOrigins);
}
