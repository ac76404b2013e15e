import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { highWaterMarkAttribute, sequenceRange, unapplied } from '../../features/sequence.ts';
import type { Contribution } from '../../ports/index.ts';
import { pk, sk, ttlAttribute } from './keys.ts';
import { MAX_ATTEMPTS, type FeatureTable } from './table.ts';

const isItemTooLarge = (error: unknown) =>
  (error as Error).name === 'ValidationException' && /item size/i.test((error as Error).message);

export interface CounterUpdate<T> {
  key: Record<string, string>;
  shardId: string;
  contributions: readonly Contribution<T>[];
  counters: (pending: readonly Contribution<T>[]) => readonly (readonly [string, number])[];
  sets: Readonly<Record<string, string>>;
  expiresAt: number;
  /** Asked when the item would grow too large; `true` retries (with what it changed), `false` fails. */
  onTooLarge?: () => boolean;
}

/**
 * Adds counters to one item exactly once per stream record: the update carries the shard's
 * high-water mark and only applies if every contribution is newer than the stored mark; on a
 * conflict (a redelivery) the mark is read and only the newer contributions are retried.
 */
export async function addOnce<T>(table: FeatureTable, update: CounterUpdate<T>): Promise<void> {
  const { key, shardId, contributions } = update;
  const hwm = highWaterMarkAttribute(shardId);
  let pending = contributions;
  for (let attempt = 0; attempt < MAX_ATTEMPTS && pending.length > 0; attempt++) {
    const { min, max } = sequenceRange(pending);
    const counters = update.counters(pending);
    const sets = Object.entries(update.sets);
    try {
      await table.documents.send(
        new UpdateCommand({
          TableName: table.name,
          Key: key,
          UpdateExpression:
            `SET #hwm = :max, #ttl = if_not_exists(#ttl, :expires)${sets.map((_, i) => `, #s${i} = :s${i}`).join('')} ` +
            `ADD ${counters.map((_, i) => `#c${i} :c${i}`).join(', ')}`,
          ConditionExpression: 'attribute_not_exists(#hwm) OR #hwm < :min',
          ExpressionAttributeNames: {
            '#hwm': hwm,
            '#ttl': ttlAttribute,
            ...Object.fromEntries(sets.map(([name], i) => [`#s${i}`, name])),
            ...Object.fromEntries(counters.map(([name], i) => [`#c${i}`, name])),
          },
          ExpressionAttributeValues: {
            ':max': max,
            ':min': min,
            ':expires': update.expiresAt,
            ...Object.fromEntries(sets.map(([, value], i) => [`:s${i}`, value])),
            ...Object.fromEntries(counters.map(([, value], i) => [`:c${i}`, value])),
          },
        }),
      );
      return;
    } catch (error) {
      if (isItemTooLarge(error) && update.onTooLarge?.()) {
        attempt -= 1;
        continue;
      }
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Some of these were applied before (a redelivery): keep only what is newer.
      const stored = await table.get(key, true);
      pending = unapplied(pending, stored?.[hwm] as string | undefined);
    }
  }
  if (pending.length > 0) throw new Error(`counters of ${key[pk.name]} ${key[sk.name]} kept conflicting`);
}
