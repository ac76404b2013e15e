import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { dataLake } from '#shared/config/index.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import type { RecentItem } from '#shared/ports/index.ts';
import { createCatalogue, createShoppers, createTrafficSimulator, type Catalogue } from '#local/simulator/index.ts';
import { trainBootstrapModel, uploadCatalogue } from '#local/localModel.ts';
import { startLocalStack, type LocalStack } from '#local/stack.ts';
import type { LocalSiteOptions } from '#local/site.ts';
import { localClients } from '#local/standins.ts';

export interface ShopStack {
  readonly stack: LocalStack;
  readonly catalogue: Catalogue;
  /** The feature store's profile items of an anonymous shopper, by item id. */
  recentItems(anonymousId: string): Promise<ReadonlyMap<string, RecentItem>>;
  /** Raw events as they landed in the local data lake (each delivery once, duplicates included). */
  lakeEvents(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/**
 * The local stack as `npm start` runs it, smaller: a catalogue of 600 items in 8 categories in the feature store, and
 * a model trained on a simulated week of 200 shoppers (about 2 s), so lists follow what a shopper views.
 */
export async function startShopStack(site: LocalSiteOptions = {}): Promise<ShopStack> {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  delete process.env.AWS_ENDPOINT_URL_KINESIS;
  const dataDir = mkdtempSync(join(tmpdir(), 'reco-shop-'));
  const catalogue = createCatalogue({ seed: 7, itemCount: 600, categoryCount: 8 });
  const shoppers = createShoppers({ seed: 7, catalogue, shopperCount: 200 });
  let historyClock = Date.now() - 7 * 24 * 60 * 60 * 1000;
  const history = createTrafficSimulator({ seed: 8, catalogue, shoppers, now: () => (historyClock += 15_000) });
  const stack = await startLocalStack({
    port: 0,
    dataDir,
    batchingWindowMs: 50,
    site,
    model: () => trainBootstrapModel({ dir: join(dataDir, 'model'), catalogue, history, events: 8_000 }),
  });
  await uploadCatalogue(stack, catalogue);
  const { dynamoDb } = localClients(stack.standIns);
  const features = new DynamoFeatureStore(dynamoDb, stack.names.table);
  const lake = join(dataDir, 'lake', dataLake.eventsPrefix);
  return {
    stack,
    catalogue,
    recentItems: async (anonymousId) => {
      const shopper = await features.readShopper(`a:${anonymousId}`);
      return new Map((shopper?.profile.recentItems ?? []).map((item) => [item.itemId, item]));
    },
    lakeEvents: () =>
      readdirSync(lake, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith(dataLake.objectExtension))
        .flatMap((file) =>
          gunzipSync(readFileSync(join(lake, file)))
            .toString('utf8')
            .split('\n'),
        )
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stop: async () => {
      dynamoDb.destroy();
      await stack.stop();
    },
  };
}
