import { RecoApiError, RecoValidationError } from './errors.ts';
import type { HttpAnswer } from './transport.ts';

/**
 * Gives a fresh user token when the API answers that the current one has expired: the shop's page asks its backend,
 * which mints one with the server API's `POST /v1/admin/user-tokens`.
 */
export type TokenRefresher = () => string | Promise<string>;

/** The reason of the API's 401 for a user token that is expired, malformed or not signed by the deployment. */
export const INVALID_USER_TOKEN = 'invalid_user_token';

/**
 * A user token as given by the shop, checked: 1..1024 characters (the API refuses longer ones unread), visible ASCII
 * (it is sent as a header value, or `fetch` itself would throw).
 */
export function checkUserToken(operation: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,1024}$/.test(value)) {
    throw new RecoValidationError(operation, 'userToken', 'must be 1 to 1024 visible ASCII characters');
  }
  return value;
}

/**
 * One signed-in shopper's token as the client holds it. Queued events keep a reference to the credential they were
 * tracked under, so a refresh reaches them too, and events of a shopper who signed out still go with that shopper's
 * token.
 */
export class UserCredential {
  token: string;
  /** The API answered `invalid_user_token` for the current token: refresh it before using it again. */
  expired = false;
  /** The shopper signed out or another signed in: this credential is never refreshed again. */
  retired = false;
  /** The refresh in flight, shared by every request that meets the expired token. */
  refreshing: Promise<string> | undefined;

  constructor(token: string) {
    this.token = token;
  }

  /** A token given by the shop (`identify`) or by `onTokenExpired`. */
  set(token: string): void {
    this.token = token;
    this.expired = false;
  }

  /** Marks `token` as refused by the API, unless a fresher one has replaced it meanwhile. */
  expire(token: string): void {
    if (token === this.token) this.expired = true;
  }
}

/** True for the API's 401 `invalid_user_token` answer. */
export function isInvalidUserToken(answer: HttpAnswer): boolean {
  try {
    return answer.status === 401 && JSON.parse(answer.text)?.reason === INVALID_USER_TOKEN;
  } catch {
    return false;
  }
}

/** The 401 a refused or unrenewable token comes to, with why. */
export const expiredError = (why: string, cause?: unknown): RecoApiError =>
  new RecoApiError(401, INVALID_USER_TOKEN, `the user token has expired and ${why}`, { cause });

export interface TokenRenewal {
  /** Whether an expired token of this credential can be replaced at all. */
  canRenew(credential: UserCredential): boolean;
  /**
   * A token to use instead of `used`, which the API refused. Rejects with a {@link RecoApiError} 401
   * `invalid_user_token` (its `cause` the refresher's failure, if any) when none can be had.
   */
  renew(credential: UserCredential, used: string): Promise<string>;
}

/**
 * Fresh tokens for expired ones, through `onTokenExpired`. One refresh at a time: concurrent requests that meet the
 * same expired token share one call, and a request that meets a token already replaced retries with the new one.
 */
export function tokenRenewal(refresher: TokenRefresher | undefined): TokenRenewal {
  const canRenew = (credential: UserCredential) => refresher !== undefined && !credential.retired;
  async function refresh(credential: UserCredential): Promise<string> {
    let fresh: string;
    try {
      fresh = checkUserToken('onTokenExpired', await refresher!());
    } catch (error) {
      throw expiredError(`onTokenExpired gave no token: ${(error as Error)?.message ?? error}`, error);
    }
    if (credential.retired) throw expiredError('its shopper has signed out');
    // A token set by identify() while the refresh ran is as fresh as this one; keep it.
    if (credential.expired) credential.set(fresh);
    return credential.token;
  }
  return {
    canRenew,
    renew(credential, used) {
      credential.expire(used);
      if (credential.refreshing) return credential.refreshing;
      if (!credential.expired) return Promise.resolve(credential.token);
      if (!canRenew(credential)) {
        return Promise.reject(
          expiredError(credential.retired ? 'its shopper has signed out' : 'there is no onTokenExpired'),
        );
      }
      return (credential.refreshing = refresh(credential).finally(() => {
        credential.refreshing = undefined;
      }));
    },
  };
}
