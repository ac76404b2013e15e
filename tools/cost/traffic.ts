/** Monthly counts derived from a {@link Load}, shared by the services' formulas. */
import { DAYS_PER_MONTH, SECONDS_PER_MONTH, type Assumptions } from './assumptions.ts';
import type { Load } from './model.ts';

export interface Traffic {
  readonly eventsPerMonth: number;
  readonly eventRequestsPerMonth: number;
  readonly recommendationsPerMonth: number;
  readonly hitsPerMonth: number;
  readonly missesPerMonth: number;
  /** Server API catalogue requests (full syncs of the catalogue). */
  readonly catalogueRequestsPerMonth: number;
  /** Storefront API requests: events and lists (health checks left out). */
  readonly storefrontRequestsPerMonth: number;
  readonly serverRequestsPerMonth: number;
  /** Mean rates, per second. */
  readonly eventsPerSecond: number;
  readonly recommendationsPerSecond: number;
  readonly missesPerSecond: number;
  /** Whether anything happens at all (an idle month has no events and no lists). */
  readonly active: boolean;
}

export function traffic(load: Load, assumptions: Assumptions): Traffic {
  const eventsPerMonth = load.eventsPerDay * DAYS_PER_MONTH;
  const recommendationsPerMonth = load.recommendationsPerDay * DAYS_PER_MONTH;
  const hitsPerMonth = recommendationsPerMonth * load.cacheHitRatio;
  const missesPerMonth = recommendationsPerMonth - hitsPerMonth;
  const eventRequestsPerMonth = eventsPerMonth / assumptions.eventsPerRequest;
  const catalogueRequestsPerMonth =
    Math.ceil(load.catalogItems / assumptions.itemsPerCatalogueRequest) *
    assumptions.catalogueSyncsPerDay *
    DAYS_PER_MONTH;
  return {
    eventsPerMonth,
    eventRequestsPerMonth,
    recommendationsPerMonth,
    hitsPerMonth,
    missesPerMonth,
    catalogueRequestsPerMonth,
    storefrontRequestsPerMonth: eventRequestsPerMonth + recommendationsPerMonth,
    serverRequestsPerMonth: catalogueRequestsPerMonth,
    eventsPerSecond: eventsPerMonth / SECONDS_PER_MONTH,
    recommendationsPerSecond: recommendationsPerMonth / SECONDS_PER_MONTH,
    missesPerSecond: missesPerMonth / SECONDS_PER_MONTH,
    active: eventsPerMonth > 0 || recommendationsPerMonth > 0,
  };
}
