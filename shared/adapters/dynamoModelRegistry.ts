import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { registryTable } from '../config/index.ts';
import { UnknownVersionError } from '../training/errors.ts';
import type {
  LiveModel,
  LockRequest,
  LockResult,
  ModelRegistry,
  ModelVersionRecord,
  SetLiveRequest,
} from '../training/registry.ts';

const { partitionKey: pk, sortKey: sk, ttlAttribute } = registryTable;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type PointerPut = NonNullable<TransactItem['Put']> & { Item: Record<string, unknown> };
type StatusUpdate = NonNullable<TransactItem['Update']> & { Key: Record<string, string> };

const VERSIONS_PARTITION = 'VERSIONS';

/** Key layout of the registry table; see `registryTable` in the config. */
export const registryKeys = {
  version: (version: string) => ({ [pk.name]: VERSIONS_PARTITION, [sk.name]: version }),
  live: { [pk.name]: 'LIVE', [sk.name]: 'LIVE' },
  lock: { [pk.name]: 'LOCK', [sk.name]: 'TRAINING' },
};

/** Rounds of a conditional write lost to a concurrent one before giving up. */
const MAX_ATTEMPTS = 5;

export interface DynamoModelRegistryOptions {
  /**
   * How `setLive` writes its three items. `transaction` (AWS): one TransactWriteItems.
   * `ordered`, for stand-ins without transactions (dynalite): the `LIVE` pointer first, with the
   * same condition, then the two statuses; readers take the pointer as the truth, and the next
   * `setLive` retires whatever the pointer named. @default 'transaction'
   */
  readonly atomicWrites?: 'transaction' | 'ordered';
}

const withoutKeys = (item: Record<string, unknown>): Record<string, unknown> => {
  const { [pk.name]: _pk, [sk.name]: _sk, [ttlAttribute]: _expires, ...rest } = item;
  return rest;
};

/** The model registry in its DynamoDB table (`registryTable`). Every read is strongly consistent. */
export class DynamoModelRegistry implements ModelRegistry {
  private readonly documents: DynamoDBDocumentClient;
  private readonly atomicWrites: 'transaction' | 'ordered';

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    options: DynamoModelRegistryOptions = {},
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.atomicWrites = options.atomicWrites ?? 'transaction';
  }

  async takeLock({ holder, now, ttlSeconds }: LockRequest): Promise<LockResult> {
    const nowSeconds = Math.floor(now / 1000);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...registryKeys.lock, holder, takenAt: now, [ttlAttribute]: nowSeconds + ttlSeconds },
            // The TTL attribute doubles as the expiry: DynamoDB deletes expired items late, if at all soon.
            ConditionExpression: 'attribute_not_exists(#pk) OR #expires <= :now OR #holder = :holder',
            ExpressionAttributeNames: { '#pk': pk.name, '#expires': ttlAttribute, '#holder': 'holder' },
            ExpressionAttributeValues: { ':now': nowSeconds, ':holder': holder },
          }),
        );
        return { taken: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      const held = await this.get(registryKeys.lock);
      // Released between the write and the read: try again.
      if (held !== undefined) {
        return { taken: false, heldBy: held.holder as string, expiresAt: held[ttlAttribute] as number };
      }
    }
    throw new Error(`the pipeline lock kept changing hands (${MAX_ATTEMPTS} attempts)`);
  }

  async releaseLock(holder: string): Promise<boolean> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: registryKeys.lock,
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': 'holder' },
          ExpressionAttributeValues: { ':holder': holder },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async live(): Promise<LiveModel | undefined> {
    const item = await this.get(registryKeys.live);
    return item === undefined ? undefined : (withoutKeys(item) as unknown as LiveModel);
  }

  async putVersion(record: ModelVersionRecord): Promise<void> {
    await this.documents.send(
      new PutCommand({ TableName: this.tableName, Item: { ...record, ...registryKeys.version(record.version) } }),
    );
  }

  async getVersion(version: string): Promise<ModelVersionRecord | undefined> {
    const item = await this.get(registryKeys.version(version));
    return item === undefined ? undefined : (withoutKeys(item) as unknown as ModelVersionRecord);
  }

  async listVersions({ limit }: { readonly limit: number }): Promise<readonly ModelVersionRecord[]> {
    const records: ModelVersionRecord[] = [];
    if (limit < 1) return records;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': pk.name },
          ExpressionAttributeValues: { ':pk': VERSIONS_PARTITION },
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: limit - records.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) records.push(withoutKeys(item) as unknown as ModelVersionRecord);
      startKey = page.LastEvaluatedKey;
    } while (startKey && records.length < limit);
    return records;
  }

  async setLive(request: SetLiveRequest): Promise<{ readonly previous?: string }> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const previous = (await this.live())?.version;
      const moved =
        this.atomicWrites === 'transaction'
          ? await this.setLiveInTransaction(request, previous)
          : await this.setLiveInOrder(request, previous);
      if (moved) return previous === undefined ? {} : { previous };
    }
    throw new Error(`the live pointer kept moving while ${request.version} was set live (${MAX_ATTEMPTS} attempts)`);
  }

  /** False when the pointer moved since it was read. */
  private async setLiveInTransaction(request: SetLiveRequest, previous: string | undefined): Promise<boolean> {
    const retiring = previous !== undefined && previous !== request.version;
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: this.statusUpdate(request, request.version) },
            ...(retiring ? [{ Update: this.statusUpdate(request, previous) }] : []),
            { Put: this.pointerPut(request, previous) },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
      if (codes[0] === 'ConditionalCheckFailed') throw new UnknownVersionError(request.version);
      if (retiring && codes[1] === 'ConditionalCheckFailed') {
        throw new Error(`the live version ${previous} is missing from the registry; set the LIVE pointer by hand`);
      }
      if (codes.at(-1) === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  private async setLiveInOrder(request: SetLiveRequest, previous: string | undefined): Promise<boolean> {
    if ((await this.get(registryKeys.version(request.version))) === undefined) {
      throw new UnknownVersionError(request.version);
    }
    try {
      await this.documents.send(new PutCommand(this.pointerPut(request, previous)));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    await this.documents.send(new UpdateCommand(this.statusUpdate(request, request.version)));
    if (previous !== undefined && previous !== request.version) {
      try {
        await this.documents.send(new UpdateCommand(this.statusUpdate(request, previous)));
      } catch (error) {
        // A previous version missing from the registry has no status to change.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    return true;
  }

  /** The status change of `version` by `request`: live for the request's own version, retired for the one before. */
  private statusUpdate(request: SetLiveRequest, version: string): StatusUpdate {
    const live = version === request.version;
    return {
      TableName: this.tableName,
      Key: registryKeys.version(version),
      UpdateExpression: live
        ? 'SET #status = :status, #updatedAt = :since, modelDataUrl = :url, liveSince = :since'
        : 'SET #status = :status, #updatedAt = :since',
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: { '#pk': pk.name, '#status': 'status', '#updatedAt': 'updatedAt' },
      ExpressionAttributeValues: live
        ? { ':status': 'live', ':since': request.since, ':url': request.modelDataUrl }
        : { ':status': 'retired', ':since': request.since },
    };
  }

  /** The pointer's write, on condition that it still names `previous` (or is absent). */
  private pointerPut(request: SetLiveRequest, previous: string | undefined): PointerPut {
    const pointer: LiveModel = {
      version: request.version,
      modelDataUrl: request.modelDataUrl,
      endpointName: request.endpointName,
      ...(request.window === undefined ? {} : { window: request.window }),
      since: request.since,
    };
    return {
      TableName: this.tableName,
      Item: { ...pointer, ...registryKeys.live },
      ConditionExpression: previous === undefined ? 'attribute_not_exists(#pk)' : '#version = :previous',
      ExpressionAttributeNames: previous === undefined ? { '#pk': pk.name } : { '#version': 'version' },
      ...(previous === undefined ? {} : { ExpressionAttributeValues: { ':previous': previous } }),
    };
  }

  private async get(key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const result = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return result.Item;
  }
}
