import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseUserTokenKeys, type UserTokenKey, type UserTokenKeys } from '../auth/userToken.ts';
import type { Clock } from '../ports/index.ts';

/**
 * User-token keys in a Secrets Manager secret, read again after `cacheMs`: a rotation (which
 * moves `current` to `previous`) reaches every function within that time, and tokens signed with
 * the previous key stay valid meanwhile.
 */
export class SecretsManagerUserTokenKeys implements UserTokenKeys {
  private read: { at: number; keys: Promise<readonly UserTokenKey[]> } | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretArn: string,
    private readonly clock: Clock,
    private readonly cacheMs: number,
  ) {}

  async current(): Promise<UserTokenKey> {
    return (await this.verifying())[0] as UserTokenKey;
  }

  verifying(): Promise<readonly UserTokenKey[]> {
    const now = this.clock.now();
    if (this.read && now - this.read.at < this.cacheMs) return this.read.keys;
    const keys = this.client
      .send(new GetSecretValueCommand({ SecretId: this.secretArn }))
      .then((result) => parseUserTokenKeys(result.SecretString ?? '', `secret ${this.secretArn}`));
    this.read = { at: now, keys };
    keys.catch(() => {
      this.read = undefined;
    });
    return keys;
  }
}
