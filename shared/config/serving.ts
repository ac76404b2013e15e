/** The serving path's budgets and caches, and signed-in shoppers' user tokens. */

/** Time the model may take before the fallback answers, ms. */
const MODEL_BUDGET_MS = 150;

/** The serving path's budgets and cache settings. */
export const serving = {
  /**
   * The version popularity lists are served and attributed as, before the first model and whenever a list falls
   * back; `MODEL_VERSION` on a function overrides it.
   */
  fallbackModelVersion: 'popularity-v1',
  /** Time the model may take before the fallback answers, ms. */
  modelBudgetMs: MODEL_BUDGET_MS,
  /**
   * Model calls one serving process keeps in flight, adapted between `min` and `max` to how the
   * model copes (see `AdaptiveLimit`); more are answered by the fallback at once instead of
   * queueing behind a saturated model past the budget (a bulkhead). A Lambda environment serves
   * one request at a time, so this binds where one process serves many shoppers at once: the
   * local stack, or a Lambda fronting a slow or overloaded endpoint. `targetMs` is the budget:
   * only calls the model failed or did not answer in time shrink the limit. A lower target read
   * the serving process's own event-loop lag as the model's: at 50 ms, 79 % of answers were
   * degraded with a healthy model while Redis was down and every request missed (serving bench).
   */
  modelConcurrency: { initial: 16, min: 2, max: 64, targetMs: MODEL_BUDGET_MS, backoff: 0.9 },
  /** Consecutive model failures that open the circuit breaker. */
  breakerFailureThreshold: 5,
  /** How long an open breaker waits before letting one call through, ms (recovery within ~2 s of a return). */
  breakerResetMs: 2_000,
  /** How long a serving process reuses the popularity and trend boards it read, ms. */
  boardMemoMs: 2_000,
  /** Cache time of a personalised answer; the feature version in the key makes new events miss anyway. */
  recommendationTtlSeconds: 300,
  /** Cache time of trending and similar-items answers. */
  sharedListTtlSeconds: 60,
  /** Cache time of an empty list, whatever its kind: it may fill within seconds. */
  emptyListTtlSeconds: 5,
  /**
   * Live catalogue entries a serving process reuses to filter model lists: a deletion, stock or
   * price change reaches lists within `ttlMs`; `maxEntries` bounds the memory (a few MB).
   */
  liveCatalogue: { ttlMs: 30_000, maxEntries: 10_000 },
  /** Entries of the embedded in-process cache. */
  localCacheEntries: 10_000,
  /** Time the cache may take before it is skipped for this request, ms. */
  cacheBudgetMs: 20,
  /** Items a ranking request may carry. */
  maxRankingItems: 500,
  /** Recommendation records kept for attribution, days. */
  attributionDays: 7,
} as const;

/** Signed-in shoppers' user tokens on the storefront API. */
export const userTokens = {
  /** Lifetime of a token minted by `POST /v1/admin/user-tokens`, s. */
  ttlSeconds: 60 * 60,
  /** Longest lifetime a caller may ask for, s. */
  maxTtlSeconds: 24 * 60 * 60,
  /** How long a function reuses the signing keys it read before reading them again, ms. */
  keyCacheMs: 5 * 60 * 1000,
} as const;
