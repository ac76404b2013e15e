/**
 * The storefront SDK: `createRecoClient` tracks shopper events and reads recommendations.
 * Dependency-free at runtime (it imports only plain constants from `shared/config`).
 */
export {
  createRecoClient,
  type CacheStatus,
  type IdentifyOptions,
  type ListFilters,
  type RankOptions,
  type RecoClient,
  type RecoClientOptions,
  type RecoList,
  type RecoTracker,
  type RecommendationOptions,
  type RecommendedItem,
  type TrendingOptions,
} from './client.ts';
export { RecoApiError, RecoNetworkError, RecoValidationError } from './errors.ts';
export type { EventExtra, ItemEventExtra, OrderLine, PropertyValue, RecoEvent } from './events.ts';
export {
  KEEPALIVE_BUDGET_BYTES,
  type DeliveryNotice,
  type DeliveryNoticeKind,
  type FlushResult,
  type RecoClock,
  type RejectedEvent,
  type RetryPolicy,
} from './outbox.ts';
export { memoryStorage, type RecoStorage } from './storage.ts';
export type { TokenRefresher } from './userToken.ts';
export type { FetchInit, FetchLike, FetchResponse } from './transport.ts';
