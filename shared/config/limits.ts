/** Limits of what the public API accepts and of what the feature store keeps per shopper and item. */

/** Limits of the public API, enforced by the handlers and documented in the README. */
export const apiLimits = {
  maxEventsPerRequest: 100,
  maxBodyBytes: 256 * 1024,
  maxEventBytes: 8 * 1024,
  maxPropertyKeys: 32,
  maxPropertyValueChars: 256,
  maxIdChars: 128,
  maxQueryChars: 512,
  /** Events stamped further than this from the server clock are rejected. */
  maxClockSkewFutureMs: 5 * 60 * 1000,
  maxEventAgeMs: 7 * 24 * 60 * 60 * 1000,
  maxItemsPerRequest: 100,
  maxCategoriesPerItem: 10,
  maxTitleChars: 512,
  maxDescriptionChars: 4096,
  defaultRecommendationCount: 10,
  maxRecommendationCount: 100,
  /** Items one `impression` event names (`itemIds`): 50 ids of 128 characters stay within `maxEventBytes`. */
  maxImpressionItems: 50,
} as const;

export const featureLimits = {
  /** Recent items kept per shopper, newest first. */
  recentItemsPerUser: 50,
  /** Recent search queries kept per shopper. */
  recentQueriesPerUser: 10,
  /** Category affinities kept per shopper, the strongest (decayed to the newest of them). */
  categoryAffinitiesPerUser: 50,
  /**
   * Event ids remembered per shopper to drop client retries of the same event: a repeat is counted
   * once while the first is among this many of the shopper's newest events.
   */
  seenEventsPerUser: 500,
  /**
   * Event ids up to this many ASCII characters (a UUID) are remembered as they are; longer ones as
   * a 22-character hash, so the 500 fit in the profile item whatever the ids' length.
   */
  seenEventIdChars: 36,
  /**
   * Of those, how many keep their session partners for exact replays: a whole retried batch
   * (`streamProcessing.batchSize`) of one shopper, within the characters below. A replay whose
   * partners are gone adds no pairs.
   */
  seenEventsWithPartners: 500,
  /**
   * Characters of partner ids those keep in all, newest first: at 128-character ids of 3-byte
   * characters the partners then take at most 72 KiB of the profile item.
   */
  seenEventPartnerChars: 24_576,
  /** Earlier items of the same session paired with each new item (co-occurrence). */
  sessionPartners: 10,
  /** Half-life of a shopper's category affinities, in seconds. */
  affinityHalfLifeSeconds: 7 * 24 * 60 * 60,
  /** Half-life of the within-day trend score, in seconds: a 2 h memory means "trending now". */
  trendHalfLifeSeconds: 2 * 60 * 60,
  /** Events up to this long after a list was served are attributed to it. */
  attributionWindowSeconds: 24 * 60 * 60,
  /** Write shards of the popularity and trend boards. */
  boardShards: 4,
  /** Catalogue entries cached in the processor, and for how long. */
  catalogueCacheEntries: 50_000,
  catalogueCacheSeconds: 300,
  /** Days of popularity buckets blended into the popularity ranking. */
  popularityWindowDays: 2,
  /** Candidates read from the popularity board before filtering. */
  popularityCandidates: 200,
} as const;
