import { ConditionalCheckFailedException, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { highWaterMarkAttribute } from '../../features/sequence.ts';
import { FeatureItemRejectedError } from '../../features/errors.ts';
import type { ShopperWrite, StoredShopper } from '../../ports/index.ts';
import { checkItem, profileFromStored, storedProfile } from '../profileItem.ts';
import { featureKeys, ttlAttribute } from './keys.ts';
import type { FeatureTable } from './table.ts';

const HWM_PREFIX = highWaterMarkAttribute('');

export async function readShopper(table: FeatureTable, shopperKey: string): Promise<StoredShopper | undefined> {
  const key = featureKeys.shopper(shopperKey);
  const stored = await table.get(key, true);
  if (stored === undefined) return undefined;
  const marks = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(stored)) {
    if (name.startsWith(HWM_PREFIX)) marks[name.slice(HWM_PREFIX.length)] = value as string;
  }
  return {
    profile: profileFromStored(stored.profile as Record<string, unknown>),
    featureVersion: (stored.featureVersion as number | undefined) ?? 0,
    marks,
  };
}

export async function writeShopper(table: FeatureTable, shopperKey: string, write: ShopperWrite): Promise<boolean> {
  const first = write.expectedVersion === 0;
  const profile = storedProfile(write.profile);
  // What this write sets; marks of other shards already on the item are not known here, and
  // DynamoDB answers for those (ValidationException below).
  checkItem(
    {
      ...featureKeys.shopper(shopperKey),
      profile,
      featureVersion: write.expectedVersion + 1,
      [ttlAttribute]: write.expiresAt,
      ...(write.mark ? { [highWaterMarkAttribute(write.mark.shardId)]: write.mark.sequenceKey } : {}),
    },
    `profile ${shopperKey}`,
  );
  try {
    await table.documents.send(
      new UpdateCommand({
        TableName: table.name,
        Key: featureKeys.shopper(shopperKey),
        UpdateExpression: `SET profile = :profile, featureVersion = :next, #ttl = :expires${write.mark ? ', #hwm = :mark' : ''}`,
        ConditionExpression: first ? 'attribute_not_exists(featureVersion)' : 'featureVersion = :version',
        ExpressionAttributeNames: {
          '#ttl': ttlAttribute,
          ...(write.mark ? { '#hwm': highWaterMarkAttribute(write.mark.shardId) } : {}),
        },
        ExpressionAttributeValues: {
          ':profile': profile,
          ':next': write.expectedVersion + 1,
          ':expires': write.expiresAt,
          ...(write.mark ? { ':mark': write.mark.sequenceKey } : {}),
          ...(first ? {} : { ':version': write.expectedVersion }),
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    // DynamoDB's code for a request it will refuse however often it is sent (no class of its own).
    if (error instanceof DynamoDBServiceException && error.name === 'ValidationException') {
      throw new FeatureItemRejectedError('item_rejected', `profile ${shopperKey}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}
