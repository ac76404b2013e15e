import { ForbiddenError } from '../errors.ts';

/**
 * Who is calling, as the API that took the request says, never as a header does:
 * - `server`: the shop's backend on the server API, signed with IAM credentials (SigV4); it may
 *   act for any shopper.
 * - `shopper`: a browser on the storefront API (the public API key). Without a user token it acts
 *   only as anonymous ids; with one, also as that signed-in user.
 */
export type Caller =
  { readonly kind: 'server'; readonly principal: string } | { readonly kind: 'shopper'; readonly userId?: string };

/** Whose profile a request may read, by caller. */
export type ShopperScope =
  /** The signed-in profile of the id, else its anonymous one, following merges (server calls). */
  | 'any'
  /** The anonymous profile of the id only, never a signed-in one, merged or not. */
  | 'anonymous'
  /** The signed-in profile of the id only (a shopper with a user token for it). */
  | 'signedIn';

/**
 * The scope of a storefront or server request for the list or ranking of shopper `id`. A shopper
 * with a token for another user id gets a 403: a token is no licence to read others' lists.
 */
export function shopperScopeFor(caller: Caller, id: string): ShopperScope {
  if (caller.kind === 'server') return 'any';
  if (caller.userId === undefined) return 'anonymous';
  if (caller.userId === id) return 'signedIn';
  throw new ForbiddenError(
    'user_token_mismatch',
    'the user token is for another user id; a signed-in shopper reads their own lists',
  );
}
