/** What every function shares: Lambda settings, environment variable names, the service name and metrics namespace. */

/** Lambda settings shared by every function. */
export const lambdaDefaults = {
  memoryMb: 1024,
  /**
   * Below API Gateway's 29 s integration timeout, so a slow invocation ends in the function (logged,
   * with its own error) before the gateway gives up on it and answers 504 without a trace.
   */
  timeoutSeconds: 28,
  logRetentionDays: 30,
} as const;

/** Names of the environment variables the CDK app sets and the handlers read. */
export const envVars = {
  featureTableName: 'FEATURE_TABLE_NAME',
  eventStreamName: 'EVENT_STREAM_NAME',
  modelVersion: 'MODEL_VERSION',
  /** Queue where the processor parks records that can never succeed. */
  poisonQueueUrl: 'POISON_QUEUE_URL',
  /** `redis://` or `rediss://` URL of the recommendation cache (Valkey); unset: in-process LRU. */
  cacheUrl: 'CACHE_URL',
  /** SageMaker endpoint serving the model; unset: popularity only. */
  modelEndpointName: 'MODEL_ENDPOINT_NAME',
  /** Comma-separated origins the API answers CORS for (set by the Api construct); unset: `api.cors.allowOrigins`. */
  corsAllowOrigins: 'CORS_ALLOW_ORIGINS',
  /** Id of the storefront REST API: a request from it is a shopper's (the caller kind comes from the request context). */
  storefrontApiId: 'STOREFRONT_API_ID',
  /** Id of the server REST API: a request from it, signed with IAM credentials, is the shop's backend. */
  serverApiId: 'SERVER_API_ID',
  /** Secrets Manager ARN of the user-token signing keys (`{"current": {...}, "previous": {...}}`). */
  userTokenKeysSecretArn: 'USER_TOKEN_KEYS_SECRET_ARN',
  /** User-token keys inline, as the same JSON: the local stack and tests only. */
  userTokenKeys: 'USER_TOKEN_KEYS',
  /**
   * Secrets Manager ARN of the key that turns erased shopper keys into keyed hashes for the erasure
   * log; never rotated, or erased shoppers would come back into training.
   */
  erasureHashKeySecretArn: 'ERASURE_HASH_KEY_SECRET_ARN',
  /** The erasure-log key inline (a string of at least 32 characters): the local stack and tests only. */
  erasureHashKey: 'ERASURE_HASH_KEY',
  /** Model registry table (live version, versions, the pipeline lock). */
  registryTableName: 'REGISTRY_TABLE_NAME',
  /** ARN of the training state machine (the admin function starts it). */
  trainingStateMachineArn: 'TRAINING_STATE_MACHINE_ARN',
  /** Name of the stream processor function, whose Lambda `IteratorAge` is the processor lag of `GET /v1/admin/stats`. */
  processorFunctionName: 'PROCESSOR_FUNCTION_NAME',
} as const;

export const serviceName = 'reco';

/**
 * CloudWatch namespace of the functions' own metrics (Powertools Metrics, EMF); the CDK app sets
 * it as POWERTOOLS_METRICS_NAMESPACE and the alarms read the same metrics.
 */
export const metricsNamespace = 'RecoStack';
