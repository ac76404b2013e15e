/** The command line's shared pieces: its usage error, where it writes, and the readers of flag values. */
import type { Writable } from 'node:stream';
import { ALGORITHMS, type AlgorithmName } from '#shared/recommender/model.ts';
import { closestName } from '#shared/recommender/io/dataset.ts';
import { PROTOCOLS, type Protocol } from '#shared/recommender/evaluation/splits.ts';

/** A bad command line; exits with code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** Flag values as `node:util` `parseArgs` returns them. */
export type Values = Record<string, string | boolean | string[] | undefined>;

/** A string flag that must be given and not empty. */
export function required(values: Values, flag: string): string {
  const value = values[flag];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} is required`);
  return value;
}

/** A string flag's value, or undefined when it is absent. */
export function optional(values: Values, flag: string): string | undefined {
  const value = values[flag];
  return typeof value === 'string' ? value : undefined;
}

/** A positive integer flag, or the fallback when absent. */
export function positiveInteger(values: Values, flag: string, fallback?: number): number {
  const text = optional(values, flag);
  if (text === undefined) {
    if (fallback === undefined) throw new UsageError(`--${flag} is required`);
    return fallback;
  }
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`--${flag} must be a positive integer, got "${text}"`);
  }
  return Number(text);
}

/** An integer flag of at least `min`, or the fallback when absent. */
export function integerOption(values: Values, flag: string, fallback: number, min = 0): number {
  const text = optional(values, flag);
  if (text === undefined) return fallback;
  if (!/^-?\d+$/.test(text) || Number(text) < min) {
    throw new UsageError(`--${flag} must be an integer of at least ${min}, got "${text}"`);
  }
  return Number(text);
}

/** A comma-separated list flag, blanks dropped; undefined when absent. */
export function listOption(values: Values, flag: string): string[] | undefined {
  const text = optional(values, flag);
  if (text === undefined) return undefined;
  const list = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (list.length === 0) throw new UsageError(`--${flag} must be a comma-separated list, got "${text}"`);
  return list;
}

/** ` (did you mean X?)` for the valid name nearest to a wrong one, or nothing. */
export function suggestion(name: string, valid: readonly string[]): string {
  const near = closestName(name, valid);
  return near === undefined ? '' : ` (did you mean ${near}?)`;
}

/** Checks an algorithm name, naming the valid ones when it is not. */
export function algorithmName(name: string, flag: string): AlgorithmName {
  if ((ALGORITHMS as readonly string[]).includes(name)) return name as AlgorithmName;
  throw new UsageError(
    `${flag}: unknown algorithm "${name}"${suggestion(name, ALGORITHMS)}; valid: ${ALGORITHMS.join(', ')}`,
  );
}

/** `--protocol`, loo-sampled when absent. */
export function protocolOption(values: Values): Protocol {
  const name = optional(values, 'protocol') ?? 'loo-sampled';
  if ((PROTOCOLS as readonly string[]).includes(name)) return name as Protocol;
  throw new UsageError(
    `--protocol: unknown protocol "${name}"${suggestion(name, PROTOCOLS)}; valid: ${PROTOCOLS.join(', ')}`,
  );
}

/**
 * The server API's base URL from `--api`, else RECO_SERVER_API_URL: absolute, http(s), without
 * `/v1` (the routes add it), query, fragment or user info. Each error names the flag.
 */
export function serverApiUrlFlag(values: Values, env: NodeJS.ProcessEnv = process.env): URL {
  const given = typeof values.api === 'string' ? values.api : env.RECO_SERVER_API_URL;
  if (given === undefined || given === '') {
    throw new UsageError('--api URL (or RECO_SERVER_API_URL) is required: the ServerApiUrl stack output');
  }
  const example = 'such as https://abc123.execute-api.eu-west-1.amazonaws.com/prod';
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new UsageError(`--api must be an absolute URL ${example}, got "${given}"`);
  }
  // `localhost:3000` parses as a URL of scheme `localhost:`.
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`--api must start with https:// (or http:// for the local stack), got "${given}"`);
  }
  if (/\/v1\/?$/.test(url.pathname)) {
    throw new UsageError(`--api must not end in /v1 (the routes add it), got "${given}"`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new UsageError(`--api must be a base URL without query, fragment or user info, got "${given}"`);
  }
  return url;
}
