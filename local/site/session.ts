import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { DependencyUnavailableError, InvalidRequestError } from '#shared/errors.ts';
import { cookieOf } from './http.ts';

/** The demo shop's session cookie: the signed-in shopper's id. */
export const SESSION_COOKIE = 'shop_user';
const SESSION_SECONDS = 24 * 60 * 60;

/**
 * The shoppers one may sign in as: the simulator's accounts (`u1`, `u2`, …), whose history the model was trained on.
 * There is no password: the shop is a demo of the token flow, not of authentication.
 */
const demoUserId = z.string().regex(/^u[1-9][0-9]{0,5}$/, 'a demo shopper id: u1, u2, …');
const signInBody = z.strictObject({ userId: demoUserId });

export interface MintedToken {
  readonly userId: string;
  readonly token: string;
  readonly expiresAt: number;
}

/** Mints a user token through the server API (`POST /v1/admin/user-tokens`, SigV4), as a shop's backend does. */
export type TokenMinter = (userId: string) => Promise<MintedToken>;

/** What the page gets: the session's shopper with a fresh token, or nobody. */
export type SessionAnswer = MintedToken | { readonly userId: null };

async function mint(minter: TokenMinter, userId: string): Promise<MintedToken> {
  try {
    const { token, expiresAt } = await minter(userId);
    return { userId, token, expiresAt };
  } catch (error) {
    throw new DependencyUnavailableError('user_token_unavailable', 'the server API did not mint a user token', {
      cause: error,
    });
  }
}

/** The session's shopper from the cookie; a cookie that names no demo shopper is no session. */
export const sessionUser = (req: IncomingMessage): string | undefined => {
  const parsed = demoUserId.safeParse(cookieOf(req, SESSION_COOKIE));
  return parsed.success ? parsed.data : undefined;
};

/** The page asks who is signed in: a token minted for the session's shopper, never for an id the page sends. */
export async function currentSession(req: IncomingMessage, minter: TokenMinter): Promise<SessionAnswer> {
  const userId = sessionUser(req);
  return userId === undefined ? { userId: null } : mint(minter, userId);
}

/** `POST /shop/api/sign-in {userId}`: the session cookie to set and the shopper's first token. */
export async function signIn(
  body: unknown,
  minter: TokenMinter,
): Promise<{ readonly answer: MintedToken; readonly cookie: string }> {
  const parsed = signInBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    throw new InvalidRequestError('invalid_field', `${field}: ${issue?.message ?? 'invalid'}`);
  }
  const answer = await mint(minter, parsed.data.userId);
  return { answer, cookie: sessionCookie(answer.userId, SESSION_SECONDS) };
}

/** The cookie that ends the session. */
export const signOutCookie = (): string => sessionCookie('', 0);

const sessionCookie = (value: string, maxAge: number): string =>
  `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}`;
