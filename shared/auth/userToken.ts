import { createHmac, timingSafeEqual } from 'node:crypto';
import { apiLimits } from '../config/index.ts';
import { UnauthorizedError } from '../errors.ts';
import type { Clock } from '../ports/index.ts';

/** One signing key of user tokens, named by its key id. */
export interface UserTokenKey {
  readonly kid: string;
  readonly secret: Buffer;
}

/**
 * Where the user-token keys come from: Secrets Manager in AWS, a value in the environment
 * locally. Tokens are signed with the current key and verified against the current and the
 * previous one, so a rotation never logs anyone out.
 */
export interface UserTokenKeys {
  current(): Promise<UserTokenKey>;
  /** The current key, then the previous one when there is one. */
  verifying(): Promise<readonly UserTokenKey[]>;
}

/** A token as minted by `POST /v1/admin/user-tokens`. */
export interface MintedUserToken {
  readonly token: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

const VERSION = 'v1';
const KID = /^[A-Za-z0-9_-]{1,32}$/;

/** Thrown for a token that is malformed, signed by no known key, or expired: a 401. */
export class InvalidUserTokenError extends UnauthorizedError {
  constructor(message: string) {
    super('invalid_user_token', message);
  }
}

/** The bytes signed: version, key id, expiry and user id, one per line, so no field can run into another. */
function signature(key: UserTokenKey, expiresAt: number, userId: string): Buffer {
  return createHmac('sha256', key.secret).update(`${VERSION}\n${key.kid}\n${expiresAt}\n${userId}`).digest();
}

/**
 * Mints a token saying "this caller is `userId` until `expiresAt`": HMAC-SHA256 over the user id
 * and the expiry, with the key id, as `v1.<kid>.<expiresAt>.<base64url userId>.<base64url mac>`.
 */
export async function mintUserToken(
  userId: string,
  deps: { readonly keys: UserTokenKeys; readonly clock: Clock },
  ttlSeconds: number,
): Promise<MintedUserToken> {
  const key = await deps.keys.current();
  if (!KID.test(key.kid)) throw new Error(`user-token key id ${JSON.stringify(key.kid)} is not [A-Za-z0-9_-]{1,32}`);
  const expiresAt = Math.floor(deps.clock.now() / 1000) + ttlSeconds;
  const mac = signature(key, expiresAt, userId).toString('base64url');
  return {
    token: `${VERSION}.${key.kid}.${expiresAt}.${Buffer.from(userId, 'utf8').toString('base64url')}.${mac}`,
    expiresAt,
  };
}

/**
 * The user id a token vouches for. Throws {@link InvalidUserTokenError} when it is malformed,
 * signed by neither the current nor the previous key, or expired. The MAC is compared in constant
 * time.
 */
export async function verifyUserToken(
  token: string,
  deps: { readonly keys: UserTokenKeys; readonly clock: Clock },
): Promise<string> {
  const parts = token.length <= 1024 ? token.split('.') : [];
  const [version, kid, expiry, encodedUserId, mac] = parts;
  if (
    parts.length !== 5 ||
    version !== VERSION ||
    kid === undefined ||
    !KID.test(kid) ||
    expiry === undefined ||
    !/^\d{1,12}$/.test(expiry) ||
    encodedUserId === undefined ||
    mac === undefined
  ) {
    throw new InvalidUserTokenError('the user token is malformed; mint one with POST /v1/admin/user-tokens');
  }
  const userId = Buffer.from(encodedUserId, 'base64url').toString('utf8');
  if (userId === '' || userId.length > apiLimits.maxIdChars) {
    throw new InvalidUserTokenError('the user token names no valid user id');
  }
  const expiresAt = Number(expiry);
  const key = (await deps.keys.verifying()).find((candidate) => candidate.kid === kid);
  const given = Buffer.from(mac, 'base64url');
  const expected = key ? signature(key, expiresAt, userId) : undefined;
  if (!expected || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidUserTokenError('the user token is not signed by this deployment');
  }
  if (expiresAt * 1000 <= deps.clock.now()) {
    throw new InvalidUserTokenError('the user token has expired; mint a fresh one');
  }
  return userId;
}

/** The JSON both key sources hold: `{"current": {"kid", "secret"}, "previous"?: {...}}`, secrets in base64. */
export function parseUserTokenKeys(json: string, source: string): readonly UserTokenKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`${source} is not JSON`);
  }
  const keyOf = (value: unknown, name: string): UserTokenKey => {
    const { kid, secret } = (value ?? {}) as { kid?: unknown; secret?: unknown };
    if (typeof kid !== 'string' || !KID.test(kid) || typeof secret !== 'string') {
      throw new Error(`${source}: ${name} must be {"kid": "[A-Za-z0-9_-]{1,32}", "secret": "<base64>"}`);
    }
    const bytes = Buffer.from(secret, 'base64');
    if (bytes.length < 32) throw new Error(`${source}: ${name}.secret must hold at least 32 bytes`);
    return { kid, secret: bytes };
  };
  const { current, previous } = (parsed ?? {}) as { current?: unknown; previous?: unknown };
  return previous === undefined || previous === null
    ? [keyOf(current, 'current')]
    : [keyOf(current, 'current'), keyOf(previous, 'previous')];
}

/** Keys given once, as JSON (the local stack and tests). */
export class StaticUserTokenKeys implements UserTokenKeys {
  private readonly keys: readonly UserTokenKey[];

  constructor(json: string, source = 'user-token keys') {
    this.keys = parseUserTokenKeys(json, source);
  }

  async current(): Promise<UserTokenKey> {
    return this.keys[0] as UserTokenKey;
  }

  async verifying(): Promise<readonly UserTokenKey[]> {
    return this.keys;
  }
}
