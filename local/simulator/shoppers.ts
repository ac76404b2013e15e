/**
 * Synthetic shoppers: who they are (signed in as `u1`, `u2`, … or anonymous), what they like
 * (a taste vector near a few favourite categories) and how often they come back (activity).
 */
import type { Catalogue } from './catalogue.ts';
import { LATENT_DIMENSION, categoryCentroid, normalize } from './latent.ts';
import { Rng, assertSeed } from './random.ts';
import { CATEGORY_TEMPLATES } from './vocabulary.ts';

export interface Shopper {
  /** Position in the shopper list. */
  readonly index: number;
  /** Set for signed-in shoppers: `u1` … `uK`, contiguous, so `u1` always exists. */
  readonly userId?: string;
  /**
   * Set for anonymous shoppers: a version 4 UUID (122 random bits), as the storefront SDK makes
   * with `crypto.randomUUID`, but drawn from the seed so a run can be replayed.
   */
  readonly anonymousId?: string;
  /**
   * The account a shopper signs in to. Equals `userId` for signed-in shoppers; for anonymous
   * shoppers it is `u(K+1)` … and shows up only once they send an `identify` event.
   */
  readonly accountUserId: string;
  /** One to three top-level category names, strongest first. */
  readonly favouriteCategories: readonly string[];
  /** Unit vector in the simulator's latent space. */
  readonly taste: readonly number[];
  /** Inverse softmax temperature: higher means the shopper strays less from their taste. */
  readonly pickiness: number;
  /** Relative rate at which the shopper starts sessions (log-normal, median 1). */
  readonly activity: number;
}

export interface ShopperOptions {
  readonly seed: number;
  readonly shopperCount?: number;
  /**
   * Share of shoppers that are signed in; at least one always is (`u1`). Default 0.3: most
   * shoppers browse anonymously.
   */
  readonly signedInShare?: number;
  /**
   * The catalogue whose categories favourites are drawn from. Without it, the default 24
   * categories of `createCatalogue` are used.
   */
  readonly catalogue?: Catalogue;
}

const DEFAULT_CATEGORIES = CATEGORY_TEMPLATES.slice(0, 24).map((t) => t.name);
/** Probability of having 1, 2 or 3 favourite categories. */
const FAVOURITE_COUNT_WEIGHTS = [0.35, 0.45, 0.2];
const TASTE_NOISE = 0.15;

/** A version 4 UUID from the generator: 16 random bytes with the version and variant bits set. */
function uuidV4(rng: Rng): string {
  const bytes = Array.from({ length: 16 }, () => rng.int(256));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Create the shopper population for a seed. `u1` is made the most active shopper, so a demo
 * that asks for `u1`'s recommendations finds history early.
 */
export function createShoppers(options: ShopperOptions): Shopper[] {
  const { seed, shopperCount = 500, signedInShare = 0.3, catalogue } = options;
  assertSeed(seed);
  if (!Number.isInteger(shopperCount) || shopperCount < 1) {
    throw new RangeError(`shopperCount must be a positive integer, got ${shopperCount}`);
  }
  if (!(signedInShare >= 0 && signedInShare <= 1)) {
    throw new RangeError(`signedInShare must be between 0 and 1, got ${signedInShare}`);
  }
  const categories = catalogue?.categories.map((c) => c.name) ?? DEFAULT_CATEGORIES;
  const rng = new Rng(seed, 'shoppers');
  const signedInCount = Math.max(1, Math.round(shopperCount * signedInShare));
  const anonymousIds = new Set<string>();

  const drafts = Array.from({ length: shopperCount }, (_, index) => {
    const favouriteCount = Math.min(categories.length, 1 + rng.weightedIndex(FAVOURITE_COUNT_WEIGHTS));
    const favouriteCategories = rng.shuffled(categories).slice(0, favouriteCount);
    const taste = new Array<number>(LATENT_DIMENSION).fill(0);
    favouriteCategories.forEach((name, rank) => {
      const weight = (1 - 0.2 * rank) * rng.between(0.85, 1.15);
      categoryCentroid(name).forEach((c, d) => (taste[d] = (taste[d] ?? 0) + weight * c));
    });
    for (let d = 0; d < LATENT_DIMENSION; d++) taste[d] = (taste[d] ?? 0) + TASTE_NOISE * rng.gaussian();

    let anonymousId: string | undefined;
    if (index >= signedInCount) {
      do anonymousId = uuidV4(rng);
      while (anonymousIds.has(anonymousId));
      anonymousIds.add(anonymousId);
    }
    return {
      index,
      accountUserId: `u${index + 1}`,
      anonymousId,
      favouriteCategories: Object.freeze(favouriteCategories),
      taste: Object.freeze(normalize(taste)),
      pickiness: rng.between(4.5, 7),
      activity: Math.exp(0.8 * rng.gaussian()),
    };
  });

  const mostActive = Math.max(...drafts.map((d) => d.activity));
  return drafts.map(({ anonymousId, ...draft }) => {
    const activity = draft.index === 0 ? mostActive : draft.activity;
    const identity = anonymousId === undefined ? { userId: draft.accountUserId } : { anonymousId };
    return Object.freeze({ ...draft, ...identity, activity });
  });
}
