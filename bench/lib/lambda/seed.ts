/**
 * Feature data for the Lambda-shaped benchmark: the seeded simulator's events applied by the
 * processor's own code (`applyEventBatch`) to the feature table on the DynamoDB stand-in, so the
 * recommend handler reads shopper profiles and item-day boards as it would in AWS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MemoryPoisonSink } from '#shared/adapters/memoryPoisonSink.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { applyEventBatch, type FeatureDeps } from '#shared/features/applyEvents.ts';
import { CachedCatalogueLookup } from '#shared/features/catalogueLookup.ts';
import { ensureFeatureTable } from '#local/standins.ts';
import { chunk, latestTimestamp, simulatorEvents, streamRecords, toEpochMs } from '../fixtures.ts';

export interface SeedOptions {
  readonly endpoint: string;
  readonly tableName: string;
  readonly events: number;
  /** When the last event happened: the boards of today and the last hour must hold them. */
  readonly now: number;
}

export interface Seeded {
  /**
   * Path ids of the shoppers with events (the user id, else the anonymous id of one who never
   * signed in), most active first.
   */
  readonly shopperIds: readonly string[];
  /**
   * The user ids among them (shoppers who signed in, their anonymous history merged), most active
   * first: whose lists a storefront request with their user token reads.
   */
  readonly signedInShopperIds: readonly string[];
  readonly applied: number;
  readonly writes: number;
}

/**
 * Creates the table as the CDK app does and applies `events` simulator events to it, moved in
 * time so that the latest happened one second before `now`. Throws if any record fails.
 */
export async function seedFeatureTable(options: SeedOptions): Promise<Seeded> {
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await ensureFeatureTable(client, options.tableName);
    const simulated = simulatorEvents(options.events);
    const shift = options.now - 1_000 - latestTimestamp(simulated);
    const events = simulated.map((event) => ({ ...event, timestamp: toEpochMs(event.timestamp) + shift }));
    const store = new DynamoFeatureStore(client, options.tableName);
    const clock = { now: () => Date.now() };
    const deps: FeatureDeps = {
      shoppers: store,
      items: store,
      catalogue: new CachedCatalogueLookup(store, clock),
      poisonSink: new MemoryPoisonSink(),
      clock,
    };
    let applied = 0;
    let writes = 0;
    for (const batch of chunk(streamRecords(events, { shardId: 'shardId-000000000000' }), 500)) {
      const outcome = await applyEventBatch(batch, deps);
      if (outcome.failedSequenceNumbers.size > 0 || outcome.poisoned > 0) {
        throw new Error(
          `seeding: ${outcome.failedSequenceNumbers.size} failed, ${outcome.poisoned} poisoned: ${String(outcome.errors[0])}`,
        );
      }
      applied += outcome.applied;
      writes += outcome.writes;
    }
    const activity = new Map<string, number>();
    // An anonymous id that signed in is served the account's list: one shopper, not two.
    const merged = new Set(events.filter((e) => e.type === 'identify').map((e) => e.anonymousId));
    for (const event of events) {
      const id = event.userId ?? event.anonymousId;
      if (id !== undefined && !merged.has(id)) activity.set(id, (activity.get(id) ?? 0) + 1);
    }
    const shopperIds = [...activity.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([id]) => id);
    const userIds = new Set(events.flatMap((e) => (e.userId === undefined ? [] : [e.userId])));
    return { shopperIds, signedInShopperIds: shopperIds.filter((id) => userIds.has(id)), applied, writes };
  } finally {
    client.destroy();
  }
}
