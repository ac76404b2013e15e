/**
 * Seeded storefront traffic for the local stack: a synthetic catalogue, shoppers with hidden
 * tastes, deterministic shopping sessions and a rate-limited driver that posts them to the API.
 */
export { createCatalogue, MAX_CATEGORY_COUNT } from './catalogue.ts';
export type { Catalogue, CatalogueCategory, SimulatedItem, CatalogueOptions } from './catalogue.ts';
export { createShoppers } from './shoppers.ts';
export type { Shopper, ShopperOptions } from './shoppers.ts';
export { createTrafficSimulator } from './sessions.ts';
export type { SimulatorStats, TrafficSimulator, TrafficSimulatorOptions } from './sessions.ts';
export { startTraffic } from './driver.ts';
export type {
  BatchResult,
  EventSource,
  RejectedEvent,
  StopReason,
  TrafficDriver,
  TrafficOptions,
  TrafficStats,
} from './driver.ts';
