/**
 * The storefront SDK: `createRecoClient` tracks shopper events and reads recommendations. No runtime dependencies;
 * browsers and Node ≥ 20. The shop's server signs server-API calls with `@reco-stack/sdk/server`.
 */
export { createRecoClient } from './client.ts';
export type {
  CacheStatus,
  IdentifyOptions,
  ListFilters,
  RankOptions,
  RecoClient,
  RecoClientOptions,
  RecoList,
  RecoTracker,
  RecommendationOptions,
  RecommendedItem,
  TrendingOptions,
} from './types.ts';
export type { ConsentState } from './consent.ts';
export { RecoApiError, RecoNetworkError, RecoValidationError } from './errors.ts';
export type {
  EventExtra,
  EventType,
  ItemEventExtra,
  OrderLine,
  PageViewExtra,
  PropertyValue,
  RecoEvent,
} from './events.ts';
export {
  KEEPALIVE_BUDGET_BYTES,
  type DeliveryNotice,
  type DeliveryNoticeKind,
  type FlushResult,
  type RejectedEvent,
  type RetryPolicy,
} from './outbox.ts';
export { memoryStorage, type RecoStorage } from './storage.ts';
export type { TokenRefresher } from './userToken.ts';
export type { FetchInit, FetchLike, FetchResponse, RecoClock } from './transport.ts';
