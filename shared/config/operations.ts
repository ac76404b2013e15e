/** What operators see: the stats route behind the dashboard, and when the alarms fire. */

/**
 * `GET /v1/admin/stats` (`shared/stats/`): the operational series of the last minutes, the model
 * registry and attribution, as the dashboard draws them.
 */
export const stats = {
  /** Minutes of series a report covers unless `?minutes=` says otherwise, and the most it may ask. */
  defaultMinutes: 15,
  maxMinutes: 180,
  /** Finest period of the series in AWS, s: the functions' EMF metrics have standard (1-minute) resolution. */
  periodSeconds: 60,
  /** Finest period of the local stack's own collector, s; it keeps `maxMinutes` of these. */
  localPeriodSeconds: 10,
  /** Points a series has at most: longer windows get periods of a multiple of the finest. */
  maxPoints: 180,
  /** Registry versions a report lists, newest first. */
  registryVersions: 10,
  /** UTC days of attribution a report sums, today included. */
  attributionDays: 7,
} as const;

/**
 * When the CloudWatch alarms fire (`infra/constructs/alarms.ts`). Each is evaluated over periods
 * of `periodMinutes`; thresholds are per period.
 */
export const alarms = {
  periodMinutes: 5,
  /** Share of recommendation answers that may be degraded, percent, for 3 periods in a row. */
  degradedAnswerPercent: 20,
  /** Fewer answers than this in a period never count as degraded: a quiet shop pages nobody for one fallback. */
  degradedMinAnswers: 60,
  /** The processor's oldest unread record, ms (Lambda's IteratorAge, maximum), for 3 periods in a row. */
  processorIteratorAgeMs: 60_000,
  /** 5xx answers of one API in a period, for 2 periods in a row. */
  apiServerErrors: 5,
} as const;
