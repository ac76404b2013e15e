/**
 * What the cost model assumes where neither the stack's config nor a bench says: every number the
 * estimate uses that is not a price, a load flag, a config value or a bench figure is here, with
 * its reason, so docs/cost.md can list them and a reader can change one in one place.
 */

/** Hours in AWS's billing month. */
export const HOURS_PER_MONTH = 730;
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

export interface Assumptions {
  /** Events per `POST /v1/events` request: the SDK sends what queued up in 2 s, up to 100. */
  readonly eventsPerRequest: number;
  /** Catalogue items per `PUT /v1/items` request, and full catalogue syncs a day (server API). */
  readonly itemsPerCatalogueRequest: number;
  readonly catalogueSyncsPerDay: number;
  /** Memory at which Lambda gives a function one full vCPU (its documented 1,769 MB). */
  readonly lambdaFullVcpuMb: number;
  /** Round trips a processor batch waits for: read the profiles, then write (ms each). */
  readonly processorRoundTrips: number;
  readonly dynamoRoundTripMs: number;
  /** PutRecords round trip of the ingest function, ms. */
  readonly kinesisPutMs: number;
  /** A Valkey GET over TLS in the VPC, ms (added to a hit with ElastiCache; the bench hit is in-process). */
  readonly cacheRoundTripMs: number;
  /** Network and SageMaker overhead of one InvokeEndpoint above the time in the model, ms. */
  readonly endpointOverheadMs: number;
  /** Write request units per feature-store write: profiles grow to ~10 KB (500 seen event ids), GSIs add copies. */
  readonly wruPerStoreWrite: number;
  /** Read request units of one profile read (~10 KB, eventually consistent). */
  readonly rruPerProfileRead: number;
  /** Extra read units of a miss: catalogue entries not in the 30 s live cache, board reads not memoised. */
  readonly rruPerMissExtra: number;
  /** Write units of a miss: the served list recorded for attribution (under 1 KB). */
  readonly wruPerMiss: number;
  /** Events per shopper over the 90-day profile lifetime: sets the number of profiles stored. */
  readonly eventsPerShopper: number;
  readonly profileKb: number;
  readonly catalogueItemKb: number;
  /** Item-day counters kept per item (14-day TTL) and their size. */
  readonly itemDayKb: number;
  /** Bytes of one cached answer in Valkey (also 1 ECPU per KB moved). */
  readonly cachedAnswerBytes: number;
  /** gzip ratio of JSON Lines events in the lake and in CloudWatch Logs storage. */
  readonly gzipRatio: number;
  /** Log bytes per Lambda invocation (START/END/REPORT, Powertools JSON lines, the EMF blob). */
  readonly logBytesPerInvocation: number;
  /** API Gateway access-log bytes per request (`jsonWithStandardFields`). */
  readonly accessLogBytesPerRequest: number;
  /** VPC flow-log bytes per request of the recommend function (connections are reused). */
  readonly flowLogBytesPerRequest: number;
  /**
   * Custom metric series the functions emit (EMF): 7 of ingest and processor, 8 names × 6 route dimensions of
   * recommend, ingest's 2 counts by route, and `Latency` by service and by each of the 16 routes.
   */
  readonly customMetricSeries: number;
  /** Metrics of the stack's alarms: degraded (4), failed records, processor behind, parked, 2 × 5xx, pipeline (3). */
  readonly alarmMetrics: number;
  /** Dashboards the stack deploys: the operational one (`infra/constructs/dashboard.ts`). */
  readonly dashboards: number;
  /** X-Ray default sampling: the first request each second, then this share. */
  readonly xrayReservoirPerSecond: number;
  readonly xraySampleRate: number;
  /** Size of the model image in ECR, GB (Node runtime, the bundled `shared/`). */
  readonly modelImageGb: number;
  /** Customer-managed KMS keys: stream, lake, user-token keys, erasure hash key, training topic. */
  readonly kmsKeys: number;
  /** Secrets: user-token keys and the erasure hash key. */
  readonly secrets: number;
  /** Each warm function instance re-reads its secret every 5 min; KMS sees a Kinesis data-key call as often. */
  readonly secretReadsPerInstanceHour: number;
  /** Shards an on-demand stream keeps at low traffic (its 4 MB/s minimum write capacity). */
  readonly onDemandShards: number;
  /** Concurrency sized for the peak: peak request rate over the mean. */
  readonly peakToMean: number;
  /** Model entries the export builds per event (config comment: 0.5). */
  readonly interactionsPerEvent: number;
  /** SageMaker job start-up billed per run (image pull, download), s. */
  readonly jobOverheadSeconds: number;
  /** State transitions of one training run (export, train, gate, deploy with its 30 s poll loop). */
  readonly transitionsPerRun: number;
  /** State transitions of a run skipped for too few new events. */
  readonly transitionsPerSkippedRun: number;
  /** Pipeline-step Lambda invocations per run, and their billed seconds each. */
  readonly pipelineInvocationsPerRun: number;
  readonly pipelineInvocationSeconds: number;
  /** Bytes of an InvokeEndpoint request and of its answer. */
  readonly endpointPayloadBytes: number;
  /** Personalize: training hours per million interactions per run (no published formula). */
  readonly personalizeTrainingHoursPerMillion: number;
  /** Personalize: the minimum provisioned TPS of a campaign. */
  readonly personalizeMinTps: number;
}

export const defaultAssumptions: Assumptions = {
  eventsPerRequest: 5,
  itemsPerCatalogueRequest: 100,
  catalogueSyncsPerDay: 1,
  lambdaFullVcpuMb: 1769,
  processorRoundTrips: 2,
  dynamoRoundTripMs: 8,
  kinesisPutMs: 15,
  cacheRoundTripMs: 1,
  endpointOverheadMs: 10,
  wruPerStoreWrite: 4,
  rruPerProfileRead: 2,
  rruPerMissExtra: 4,
  wruPerMiss: 1,
  eventsPerShopper: 30,
  profileKb: 10,
  catalogueItemKb: 2,
  itemDayKb: 0.5,
  cachedAnswerBytes: 1024,
  gzipRatio: 0.15,
  logBytesPerInvocation: 1200,
  accessLogBytesPerRequest: 600,
  flowLogBytesPerRequest: 20,
  customMetricSeries: 74,
  alarmMetrics: 12,
  dashboards: 1,
  xrayReservoirPerSecond: 1,
  xraySampleRate: 0.05,
  modelImageGb: 0.5,
  kmsKeys: 5,
  secrets: 2,
  secretReadsPerInstanceHour: 12,
  onDemandShards: 4,
  peakToMean: 2,
  interactionsPerEvent: 0.5,
  jobOverheadSeconds: 300,
  transitionsPerRun: 80,
  transitionsPerSkippedRun: 6,
  pipelineInvocationsPerRun: 10,
  pipelineInvocationSeconds: 1,
  endpointPayloadBytes: 2048,
  personalizeTrainingHoursPerMillion: 0.1,
  personalizeMinTps: 1,
};
