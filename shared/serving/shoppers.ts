import { LRUCache } from 'lru-cache';
import type { ShopperProfile, ShopperStore } from '../ports/index.ts';

/** The shopper a request is for, as the serving path sees them. */
export interface ServedShopper {
  /** `u:<userId>` or `a:<anonymousId>`. */
  readonly key: string;
  readonly profile?: ShopperProfile;
  /** Part of the cache key: a new event makes a new version, so the next request misses. */
  readonly featureVersion: number;
}

/**
 * Finds the shopper behind a user id: the id may be signed-in or anonymous; the signed-in
 * history wins, and an anonymous history merged by `identify` is followed to where it went.
 */
export async function findShopper(shoppers: Pick<ShopperStore, 'readShopper'>, id: string): Promise<ServedShopper> {
  const [signedIn, anonymous] = await Promise.all([shoppers.readShopper(`u:${id}`), shoppers.readShopper(`a:${id}`)]);
  if (signedIn) return { key: `u:${id}`, profile: signedIn.profile, featureVersion: signedIn.featureVersion };
  const mergedInto = anonymous?.profile.mergedInto;
  if (mergedInto !== undefined) {
    const merged = await shoppers.readShopper(mergedInto);
    return {
      key: mergedInto,
      featureVersion: merged?.featureVersion ?? 0,
      ...(merged ? { profile: merged.profile } : {}),
    };
  }
  if (anonymous) return { key: `a:${id}`, profile: anonymous.profile, featureVersion: anonymous.featureVersion };
  return { key: `u:${id}`, featureVersion: 0 };
}

/**
 * {@link findShopper} with each answer reused for `memoMs`: a page asking for several lists of
 * one shopper reads the profile once, and an event still shows up within the freshness target.
 */
export class ShopperLookup {
  private readonly recent: LRUCache<string, ServedShopper> | undefined;

  constructor(
    private readonly shoppers: Pick<ShopperStore, 'readShopper'>,
    memoMs: number,
  ) {
    this.recent = memoMs > 0 ? new LRUCache<string, ServedShopper>({ max: 10_000, ttl: memoMs }) : undefined;
  }

  async find(id: string): Promise<ServedShopper> {
    const known = this.recent?.get(id);
    if (known) return known;
    const found = await findShopper(this.shoppers, id);
    this.recent?.set(id, found);
    return found;
  }
}
