import { modelClientContract } from '../../../contract/modelClient.contract.ts';
import { FakeModelClient } from '../../../support/fakeModelClient.ts';

const items = Array.from({ length: 20 }, (_, i) => ({
  itemId: `sku-${i}`,
  score: 20 - i,
  ...(i % 2 === 0 ? { reason: 'popular' } : {}),
}));

modelClientContract('in-memory fake', {
  create: async () => ({
    client: new FakeModelClient({ modelVersion: 'fake-v1', items }),
    modelVersion: 'fake-v1',
    userId: 'alice',
    itemIds: items.map((item) => item.itemId),
  }),
  hanging: async () => new FakeModelClient({ modelVersion: 'fake-v1', items, delayMs: 60_000 }),
  failing: async () => new FakeModelClient({ modelVersion: 'fake-v1', items, failWithStatus: 503 }),
});
