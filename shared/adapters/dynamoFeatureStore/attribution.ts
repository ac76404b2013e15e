import { BatchGetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { serving, ttls } from '../../config/index.ts';
import { ATTRIBUTED_COUNTERS, sumCounts } from '../../features/attribution.ts';
import type { AttributionCounts, AttributionDay, AttributionUpdate, RecommendationRecord } from '../../ports/index.ts';
import { addOnce } from './counters.ts';
import { featureKeys, pk, sk, ttlAttribute } from './keys.ts';
import { MAX_ATTEMPTS, type FeatureTable } from './table.ts';

/** The fields of a served list, and only those. */
const servedList = (record: RecommendationRecord): RecommendationRecord => ({
  recommendationId: record.recommendationId,
  kind: record.kind,
  modelVersion: record.modelVersion,
  itemIds: record.itemIds,
  servedAt: record.servedAt,
});

export async function applyAttribution(table: FeatureTable, shardId: string, update: AttributionUpdate): Promise<void> {
  const dayStartSeconds = Date.parse(`${update.day}T00:00:00Z`) / 1000;
  await addOnce(table, {
    key: featureKeys.attribution(update.modelVersion, update.day, update.kind),
    shardId,
    contributions: update.contributions,
    counters: (pending) => Object.entries(sumCounts(pending.map((c) => c.value))),
    sets: { modelVersion: update.modelVersion, day: update.day, kind: update.kind },
    expiresAt: dayStartSeconds + ttls.attributionSeconds,
  });
}

export async function attribution(
  table: FeatureTable,
  modelVersion: string,
  fromDay: string,
  toDay: string,
): Promise<readonly AttributionDay[]> {
  const items = await table.queryAll({
    TableName: table.name,
    KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
    ExpressionAttributeNames: { '#pk': pk.name, '#sk': sk.name },
    ExpressionAttributeValues: { ':pk': `ATTR#${modelVersion}`, ':from': `${fromDay}#`, ':to': `${toDay}#~` },
    ConsistentRead: true,
  });
  return items.map((item) => ({
    modelVersion,
    day: item.day as string,
    kind: item.kind as AttributionDay['kind'],
    counts: Object.fromEntries(
      ATTRIBUTED_COUNTERS.map((name) => [name, (item[name] as number | undefined) ?? 0]),
    ) as unknown as AttributionCounts,
  }));
}

export async function recordRecommendation(table: FeatureTable, record: RecommendationRecord): Promise<void> {
  // Field by field, so nothing beyond the record's type (such as a shopper key) is ever stored.
  const item = {
    ...featureKeys.recommendation(record.recommendationId),
    ...servedList(record),
    [ttlAttribute]: Math.floor(record.servedAt / 1000) + serving.attributionDays * 24 * 60 * 60,
  };
  await table.documents.send(new PutCommand({ TableName: table.name, Item: item }));
}

export async function getRecommendations(
  table: FeatureTable,
  recommendationIds: readonly string[],
): Promise<ReadonlyMap<string, RecommendationRecord>> {
  const found = new Map<string, RecommendationRecord>();
  const unique = [...new Set(recommendationIds)];
  for (let start = 0; start < unique.length; start += 100) {
    let keys = unique.slice(start, start + 100).map(featureKeys.recommendation);
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`recommendation read kept being throttled (${keys.length} left)`);
      if (attempt > 0) await sleep(Math.min(1_000, 25 * 2 ** attempt));
      const result = await table.documents.send(
        new BatchGetCommand({ RequestItems: { [table.name]: { Keys: keys } } }),
      );
      for (const item of result.Responses?.[table.name] ?? []) {
        // Records written before served lists stopped naming the shopper keep a `shopperKey`
        // until their TTL; it is not read.
        const record = servedList(item as unknown as RecommendationRecord);
        found.set(record.recommendationId, record);
      }
      keys = (result.UnprocessedKeys?.[table.name]?.Keys ?? []) as typeof keys;
    }
  }
  return found;
}
