/**
 * The serving suite's shoppers are signed in: every storefront request carries the storefront key
 * and the shopper's user token, as the SDK sends them from a signed-in shopper's page, so the stack
 * reads their signed-in profiles and the model gets their user id. Without a token the storefront
 * API reads anonymous profiles only and refuses events naming a user id.
 *
 * Tokens are minted in the bench process with the signing key the stack is started with
 * (`StackProcessOptions.userTokenKeys`), as the shop's backend mints them for its pages. autocannon
 * builds each request synchronously, so the tokens a phase sends are minted before its load starts.
 */
import { randomBytes } from 'node:crypto';
import { api, userTokens } from '#shared/config/index.ts';
import { mintUserToken, StaticUserTokenKeys } from '#shared/auth/userToken.ts';
import { systemClock } from '#shared/ports/index.ts';

export class ShopperTokens {
  /** The signing key as `envVars.userTokenKeys` JSON: one random key per run. */
  readonly keysJson: string;
  private readonly keys: StaticUserTokenKeys;
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly apiKey: string,
    keysJson = JSON.stringify({ current: { kid: 'bench-1', secret: randomBytes(32).toString('base64') } }),
  ) {
    this.keysJson = keysJson;
    this.keys = new StaticUserTokenKeys(keysJson, 'bench user-token keys');
  }

  /** Mints a token (lifetime `userTokens.ttlSeconds`) for every id not minted yet. */
  async mint(userIds: Iterable<string>): Promise<void> {
    for (const userId of userIds) {
      if (this.tokens.has(userId)) continue;
      const { token } = await mintUserToken(userId, { keys: this.keys, clock: systemClock }, userTokens.ttlSeconds);
      this.tokens.set(userId, token);
    }
  }

  /**
   * The headers of `userId`'s page, for a token minted before; throws for another id, so a
   * workload that outgrows what was minted fails instead of reading anonymous profiles.
   */
  headers(userId: string): Record<string, string> {
    const token = this.tokens.get(userId);
    if (token === undefined) throw new Error(`no user token minted for ${userId}`);
    return { [api.apiKeyHeader]: this.apiKey, [api.userTokenHeader]: token };
  }

  /** {@link headers}, minting the token first when there is none. */
  async headersOf(userId: string): Promise<Record<string, string>> {
    await this.mint([userId]);
    return this.headers(userId);
  }
}

/** The ids `idOf(0)` … `idOf(count - 1)`, each once. */
export const idsOf = (count: number, idOf: (n: number) => string): Set<string> =>
  new Set(Array.from({ length: count }, (_, n) => idOf(n)));
