import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { envVars } from '../config/index.ts';
import { DependencyUnavailableError } from '../errors.ts';
import type { ErasureHashKey } from '../ports/index.ts';
import { checkErasureHashKey } from '../privacy/erasureHash.ts';

/** The erasure hash key given as a value: `envVars.erasureHashKey` in the local stack and tests. */
export class InlineErasureHashKey implements ErasureHashKey {
  private readonly value: string;

  /** @param source - where the value came from, named in the error when it is too short */
  constructor(value: string, source: string = envVars.erasureHashKey) {
    this.value = checkErasureHashKey(value, source);
  }

  async key(): Promise<string> {
    return this.value;
  }
}

/** Secrets Manager could not give the erasure hash key; the request may be retried. */
export class ErasureHashKeyUnavailableError extends DependencyUnavailableError {
  constructor(secretArn: string, cause: unknown) {
    super('erasure_hash_key_unavailable', `could not read the erasure hash key from ${secretArn}; retry`, { cause });
  }
}

/**
 * The erasure hash key in a Secrets Manager secret, as a plain string. Read on first use and never
 * again: the key is never rotated (see {@link ErasureHashKey}).
 */
export class SecretsManagerErasureHashKey implements ErasureHashKey {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretArn: string,
  ) {}

  async key(): Promise<string> {
    let secret: string | undefined;
    try {
      secret = (await this.client.send(new GetSecretValueCommand({ SecretId: this.secretArn }))).SecretString;
    } catch (error) {
      throw new ErasureHashKeyUnavailableError(this.secretArn, error);
    }
    return checkErasureHashKey(secret ?? '', `secret ${this.secretArn}`);
  }
}

/**
 * A function's erasure hash key from its environment: the value in `envVars.erasureHashKey` when
 * set (local stack, tests), else the secret named by `envVars.erasureHashKeySecretArn`, read with
 * the client `secretsManager()` makes (called only then). Neither set fails the cold start.
 */
export function erasureHashKeyFrom(
  env: Readonly<Record<string, string | undefined>>,
  secretsManager: () => SecretsManagerClient,
): ErasureHashKey {
  const inline = env[envVars.erasureHashKey];
  if (inline) return new InlineErasureHashKey(inline);
  const arn = env[envVars.erasureHashKeySecretArn];
  if (!arn) {
    throw new Error(
      `environment variable ${envVars.erasureHashKeySecretArn} (or ${envVars.erasureHashKey}) is required`,
    );
  }
  return new SecretsManagerErasureHashKey(secretsManager(), arn);
}
