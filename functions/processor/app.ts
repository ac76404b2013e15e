import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { envVars } from '#shared/config/index.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { erasureHashKeyFrom } from '#shared/adapters/erasureHashKey.ts';
import { applyEventBatch, type FeatureDeps } from '#shared/features/applyEvents.ts';
import { CachedCatalogueLookup } from '#shared/features/catalogueLookup.ts';
import { systemClock } from '#shared/ports/index.ts';
import { ErasureHasher } from '#shared/privacy/erasureHash.ts';
import { dynamoDb } from '../lib/dynamoDb.ts';
import { requiredEnv, type Env } from '../lib/env.ts';
import { keepAliveHandler } from '../lib/httpHandler.ts';
import { LazySqsPoisonSink } from '../lib/lazySqsPoisonSink.ts';
import { functionMetrics } from '#shared/stats/metrics.ts';
import { countMetric, logger, publishMetrics } from '../lib/observability.ts';

/**
 * The processor's dependencies from its environment; `overrides` replace any of them (the local
 * stack parks poison records in a file: there is no SQS stand-in). The erasure hash key (the value
 * in `envVars.erasureHashKey`, or the secret named by `envVars.erasureHashKeySecretArn`) lets
 * `identify` look an anonymous id up in the erasure log; without either the cold start fails.
 */
export function createDeps(env: Env, overrides: Partial<FeatureDeps> = {}): FeatureDeps {
  const features = new DynamoFeatureStore(dynamoDb, requiredEnv(env, envVars.featureTableName));
  const erasures = overrides.erasures ?? {
    log: features,
    hasher: new ErasureHasher(
      erasureHashKeyFrom(env, () => new SecretsManagerClient({ requestHandler: keepAliveHandler() })),
    ),
  };
  return {
    shoppers: features,
    items: features,
    // Built once per execution environment, so the cache lives as long as it.
    catalogue: new CachedCatalogueLookup(features, systemClock),
    poisonSink: overrides.poisonSink ?? new LazySqsPoisonSink(requiredEnv(env, envVars.poisonQueueUrl)),
    clock: systemClock,
    attribution: features,
    erasures,
    ...overrides,
  };
}

/** Thrown for a record whose feature writes failed for now, so the batch processor reports it to Lambda. */
export class FeatureWriteError extends Error {
  constructor(sequenceNumber: string, options?: { cause?: unknown }) {
    super(`feature writes for record ${sequenceNumber} failed; it will be retried`, options);
    this.name = 'FeatureWriteError';
  }
}

export type ProcessorHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;

const shardIdOf = (record: KinesisStreamRecord): string => record.eventID.split(':')[0] ?? record.eventID;

/**
 * Kinesis → features. The whole batch is applied first (so writes coalesce per user and item),
 * then each record is reported through Powertools' batch processor: failed ones are retried by
 * Lambda from the lowest failed sequence number, and retries are idempotent. Only failures a
 * retry can cure are reported: a record that fails the same way every time was parked alone with
 * its data and reason (`applyEventBatch`), so it never holds back the records after it.
 *
 * Metrics, once per batch: `EventsProcessed` (records applied, client retries included, poison
 * not), `PoisonRecords` (parked: records that never decode, and records their shopper's profile
 * can never take), `FailedRecords` (reported back as batch item failures),
 * `IdentifyLinksRefused` (`identify` events naming an anonymous id linked to someone else first,
 * or erased: counted, not failed).
 */
export function createHandler(deps: FeatureDeps): ProcessorHandler {
  const processor = new BatchProcessor(EventType.KinesisDataStreams);
  return async (event, context) => {
    try {
      const outcome = await applyEventBatch(
        event.Records.map((record) => ({
          shardId: shardIdOf(record),
          sequenceNumber: record.kinesis.sequenceNumber,
          data: record.kinesis.data,
        })),
        deps,
      );
      if (outcome.errors.length > 0) {
        logger.warn('feature writes failed', { failed: outcome.failedSequenceNumbers.size, error: outcome.errors[0] });
      }
      if (outcome.poisoned > 0) logger.warn('poison records parked', { poisoned: outcome.poisoned });
      if (outcome.duplicates > 0) logger.info('client retries dropped', { duplicates: outcome.duplicates });
      if (outcome.linksRefused > 0) logger.warn('identify links refused', { refused: outcome.linksRefused });
      const firstError = outcome.errors[0];
      const response = await processPartialResponse(
        event,
        async (record: KinesisStreamRecord) => {
          const { sequenceNumber } = record.kinesis;
          if (outcome.failedSequenceNumbers.has(sequenceNumber)) {
            throw new FeatureWriteError(sequenceNumber, { cause: firstError });
          }
        },
        processor,
        { context },
      );
      countMetric(functionMetrics.eventsProcessed, outcome.applied - outcome.poisoned);
      countMetric('PoisonRecords', outcome.poisoned);
      countMetric('FailedRecords', response.batchItemFailures.length);
      countMetric('IdentifyLinksRefused', outcome.linksRefused);
      return response;
    } finally {
      publishMetrics();
    }
  };
}
