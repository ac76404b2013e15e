import { RecoApiError, RecoValidationError } from './errors.ts';
import type { HttpAnswer } from './transport.ts';

/**
 * Gives a fresh user token when the API answers that the current one has expired: the shop's page asks its backend,
 * which mints one with the server API's `POST /v1/admin/user-tokens`.
 */
export type TokenRefresher = () => string | Promise<string>;

/** The reason of the API's 401 for a user token that is expired, malformed or not signed by the deployment. */
export const INVALID_USER_TOKEN = 'invalid_user_token';

/** The API refuses longer tokens without checking them. */
const MAX_USER_TOKEN_CHARS = 1024;

/** A token is sent as a header value: visible ASCII only, or `fetch` itself would throw. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** A user token as given by the shop, checked: non-empty, at most 1024 characters, visible ASCII. */
export function checkUserToken(operation: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_USER_TOKEN_CHARS) {
    throw new RecoValidationError(
      operation,
      'userToken',
      `must be a non-empty string of at most ${MAX_USER_TOKEN_CHARS} characters (the token your server minted)`,
    );
  }
  if (!HEADER_SAFE.test(value)) {
    throw new RecoValidationError(operation, 'userToken', 'must hold visible ASCII characters only');
  }
  return value;
}

/**
 * One signed-in shopper's token as the client holds it. Queued events keep a reference to the credential they were
 * tracked under, so a refresh reaches them too, and events of a shopper who signed out still go with that shopper's
 * token.
 */
export class UserCredential {
  #token: string;
  /** The API answered `invalid_user_token` for the current token: refresh it before using it again. */
  #expired = false;
  /** The shopper signed out or another signed in: this credential is never refreshed again. */
  #retired = false;
  /** The refresh in flight, shared by every request that meets the expired token. */
  refreshing: Promise<string> | undefined;

  constructor(token: string) {
    this.#token = token;
  }

  get token(): string {
    return this.#token;
  }

  get expired(): boolean {
    return this.#expired;
  }

  get retired(): boolean {
    return this.#retired;
  }

  /** A token given by the shop (`identify`) or by `onTokenExpired`. */
  set(token: string): void {
    this.#token = token;
    this.#expired = false;
  }

  /** Marks `token` as refused by the API, unless a fresher one has replaced it meanwhile. */
  expire(token: string): void {
    if (token === this.#token) this.#expired = true;
  }

  retire(): void {
    this.#retired = true;
  }
}

/** True for the API's 401 `invalid_user_token` answer. */
export function isInvalidUserToken(answer: HttpAnswer): boolean {
  if (answer.status !== 401) return false;
  try {
    return (JSON.parse(answer.text) as { reason?: unknown } | null)?.reason === INVALID_USER_TOKEN;
  } catch {
    return false;
  }
}

/**
 * Fresh tokens for expired ones, through `onTokenExpired`. One refresh at a time: concurrent requests that meet the
 * same expired token share one call, and a request that meets a token already replaced retries with the new one.
 */
export class TokenRenewal {
  readonly #refresher: TokenRefresher | undefined;

  constructor(refresher: TokenRefresher | undefined) {
    this.#refresher = refresher;
  }

  /** Whether an expired token of this credential can be replaced at all. */
  canRenew(credential: UserCredential): boolean {
    return this.#refresher !== undefined && !credential.retired;
  }

  /**
   * A token to use instead of `used`, which the API refused. Rejects with a {@link RecoApiError} 401
   * `invalid_user_token` (its `cause` the refresher's failure, if any) when none can be had.
   */
  renew(credential: UserCredential, used: string): Promise<string> {
    credential.expire(used);
    if (credential.refreshing) return credential.refreshing;
    if (!credential.expired) return Promise.resolve(credential.token);
    if (!this.canRenew(credential)) {
      const why = credential.retired
        ? 'the shopper it belonged to has signed out'
        : 'there is no onTokenExpired to get a fresh one';
      return Promise.reject(expiredError(`the user token has expired and ${why}`));
    }
    const refreshing = this.#refresh(credential).finally(() => {
      credential.refreshing = undefined;
    });
    credential.refreshing = refreshing;
    return refreshing;
  }

  async #refresh(credential: UserCredential): Promise<string> {
    let fresh: unknown;
    try {
      fresh = await (this.#refresher as TokenRefresher)();
    } catch (error) {
      throw expiredError(`the user token has expired and onTokenExpired failed: ${messageOf(error)}`, error);
    }
    try {
      checkUserToken('onTokenExpired', fresh);
    } catch (error) {
      throw expiredError(`the user token has expired and onTokenExpired gave no usable token`, error);
    }
    if (credential.retired) throw expiredError('the user token has expired and the shopper has signed out');
    // A token set by identify() while the refresh ran is as fresh as this one; keep it.
    if (credential.expired) credential.set(fresh as string);
    return credential.token;
  }
}

function expiredError(message: string, cause?: unknown): RecoApiError {
  return new RecoApiError(401, INVALID_USER_TOKEN, message, cause === undefined ? undefined : { cause });
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
