import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ErasureAuditRecord } from '../../ports/index.ts';
import { ALIAS_PREFIX, AUDIT_PREFIX, ERASED_PARTITION, featureKeys, pk, sk, ttlAttribute } from './keys.ts';
import type { FeatureTable } from './table.ts';

/** Legacy erasure-log entries are keyed by the raw shopper key; a keyed hash (hex) has no colon. */
const LEGACY_ERASURE_PREFIXES = ['u:', 'a:'] as const;
const isLegacyErasure = (sortKey: string) => LEGACY_ERASURE_PREFIXES.some((prefix) => sortKey.startsWith(prefix));

export async function putAlias(
  table: FeatureTable,
  userKey: string,
  aliasKey: string,
  expiresAt: number,
): Promise<void> {
  await table.documents.send(
    new PutCommand({
      TableName: table.name,
      Item: { ...featureKeys.alias(userKey, aliasKey), alias: aliasKey, [ttlAttribute]: expiresAt },
    }),
  );
}

export async function aliasesOf(table: FeatureTable, userKey: string): Promise<readonly string[]> {
  const items = await table.queryAll({
    TableName: table.name,
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :alias)',
    ExpressionAttributeNames: { '#pk': pk.name, '#sk': sk.name },
    ExpressionAttributeValues: { ':pk': `U#${userKey}`, ':alias': ALIAS_PREFIX },
    ConsistentRead: true,
  });
  return items.map((item) => (item[sk.name] as string).slice(ALIAS_PREFIX.length));
}

export async function deleteAliases(
  table: FeatureTable,
  userKey: string,
  aliasKeys: readonly string[],
): Promise<number> {
  let deleted = 0;
  for (const aliasKey of new Set(aliasKeys)) {
    const result = await table.documents.send(
      new DeleteCommand({
        TableName: table.name,
        Key: featureKeys.alias(userKey, aliasKey),
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (result.Attributes !== undefined) deleted += 1;
  }
  return deleted;
}

export async function recordErasure(table: FeatureTable, keyHash: string, erasedAt: number): Promise<void> {
  await table.documents.send(
    new PutCommand({ TableName: table.name, Item: { ...featureKeys.erasure(keyHash), erasedAt } }),
  );
}

export async function erasedShoppers(table: FeatureTable): Promise<ReadonlyMap<string, number>> {
  const items = await table.queryAll({
    TableName: table.name,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': pk.name },
    ExpressionAttributeValues: { ':pk': ERASED_PARTITION },
    ConsistentRead: true,
  });
  const erased = new Map<string, number>();
  for (const item of items) {
    const keyHash = item[sk.name] as string;
    if (!isLegacyErasure(keyHash)) erased.set(keyHash, item.erasedAt as number);
  }
  return erased;
}

export async function erasedAt(table: FeatureTable, keyHash: string): Promise<number | undefined> {
  if (isLegacyErasure(keyHash)) return undefined;
  const item = await table.get(featureKeys.erasure(keyHash), true);
  return item?.erasedAt as number | undefined;
}

export async function legacyErasures(table: FeatureTable): Promise<ReadonlyMap<string, number>> {
  const legacy = new Map<string, number>();
  // One query per prefix, together: every erasure and every training export starts with them.
  const byPrefix = await Promise.all(
    LEGACY_ERASURE_PREFIXES.map((prefix) =>
      table.queryAll({
        TableName: table.name,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': pk.name, '#sk': sk.name },
        ExpressionAttributeValues: { ':pk': ERASED_PARTITION, ':prefix': prefix },
        ConsistentRead: true,
      }),
    ),
  );
  for (const item of byPrefix.flat()) legacy.set(item[sk.name] as string, item.erasedAt as number);
  return legacy;
}

export async function deleteLegacyErasure(table: FeatureTable, shopperKey: string): Promise<void> {
  if (!isLegacyErasure(shopperKey)) throw new Error(`${shopperKey} is not a legacy erasure-log key`);
  await table.documents.send(new DeleteCommand({ TableName: table.name, Key: featureKeys.erasure(shopperKey) }));
}

export async function recordAudit(table: FeatureTable, record: ErasureAuditRecord): Promise<void> {
  const { erasureId, erasedAt, keyHashes, itemsRemoved, expiresAt } = record;
  await table.documents.send(
    new PutCommand({
      TableName: table.name,
      Item: {
        ...featureKeys.erasureAudit(erasedAt, erasureId),
        erasureId,
        erasedAt,
        keyHashes,
        itemsRemoved,
        [ttlAttribute]: expiresAt,
      },
    }),
  );
}

export async function auditsOf(table: FeatureTable, day: string): Promise<readonly ErasureAuditRecord[]> {
  const items = await table.queryAll({
    TableName: table.name,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': pk.name },
    ExpressionAttributeValues: { ':pk': `${AUDIT_PREFIX}${day}` },
    ConsistentRead: true,
  });
  return items.map((item) => ({
    erasureId: item.erasureId as string,
    erasedAt: item.erasedAt as number,
    keyHashes: item.keyHashes as string[],
    itemsRemoved: item.itemsRemoved as number,
    expiresAt: item[ttlAttribute] as number,
  }));
}
