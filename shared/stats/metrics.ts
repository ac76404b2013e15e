import { metricsNamespace, serviceName } from '../config/index.ts';

/**
 * The functions' own metrics (Powertools Metrics, EMF) that `GET /v1/admin/stats`, the CloudWatch
 * dashboard and the alarms read: one place for the names the emitters write and the readers ask
 * for. Every metric carries the `service` dimension; the HTTP functions' also come by `service`
 * and `route` (`functions/lib/http.ts` adds the route of every request).
 */
export const functionMetrics = {
  namespace: metricsNamespace,
  serviceDimension: 'service',
  service: serviceName,
  routeDimension: 'route',
  /** Events ingest wrote to the stream (count). */
  eventsAccepted: 'EventsAccepted',
  /** Events the processor applied (count). */
  eventsProcessed: 'EventsProcessed',
  /** List answers by cache status (count): each list answer is exactly one of the three. */
  cacheHit: 'CacheHit',
  cacheMiss: 'CacheMiss',
  cacheBypass: 'CacheBypass',
  /** List answers a fallback made (count). */
  degradedAnswer: 'DegradedAnswer',
  /** Time a function took to answer one request, ms, by route. */
  latency: 'Latency',
} as const;

/** The metric of each cache status of a list answer (`x-cache`). */
export const cacheStatusMetric = {
  HIT: functionMetrics.cacheHit,
  MISS: functionMetrics.cacheMiss,
  BYPASS: functionMetrics.cacheBypass,
} as const;
