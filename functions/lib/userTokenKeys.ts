import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { envVars, userTokens } from '#shared/config/index.ts';
import { SecretsManagerUserTokenKeys } from '#shared/adapters/secretsManagerUserTokenKeys.ts';
import { StaticUserTokenKeys, type UserTokenKeys } from '#shared/auth/userToken.ts';
import type { Clock } from '#shared/ports/index.ts';
import type { Env } from './env.ts';
import { keepAliveHandler } from './httpHandler.ts';

/**
 * The user-token keys of a function: the secret named by `envVars.userTokenKeysSecretArn` in AWS,
 * or the JSON in `envVars.userTokenKeys` (local stack, tests).
 */
export function userTokenKeysFrom(env: Env, clock: Clock): UserTokenKeys {
  const inline = env[envVars.userTokenKeys];
  if (inline) return new StaticUserTokenKeys(inline, envVars.userTokenKeys);
  const arn = env[envVars.userTokenKeysSecretArn];
  if (!arn) {
    throw new Error(`environment variable ${envVars.userTokenKeysSecretArn} (or ${envVars.userTokenKeys}) is required`);
  }
  const client = new SecretsManagerClient({ requestHandler: keepAliveHandler() });
  return new SecretsManagerUserTokenKeys(client, arn, clock, userTokens.keyCacheMs);
}
