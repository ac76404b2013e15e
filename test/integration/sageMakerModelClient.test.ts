import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { SageMakerModelClient } from '#shared/adapters/sageMakerModelClient.ts';
import type { CatalogueItem } from '#shared/catalogue/item.ts';
import type { Interaction } from '#shared/recommender/model.ts';
import { trainerFor } from '#shared/recommender/registry.ts';
import { loadServingModel } from '../../model/lib/loading.ts';
import { InferenceServer } from '../../model/lib/server.ts';
import { modelClientContract } from '../contract/modelClient.contract.ts';

/*
 * The SageMaker client against the repo's own inference server (`model/`), on loopback, serving
 * the default algorithm trained on a small deterministic history; the SDK reaches the server
 * through its `endpoint` option, as it does through AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME locally.
 */

const ITEMS = Array.from({ length: 40 }, (_, i) => `sku-${String(i).padStart(2, '0')}`);
const USERS = Array.from({ length: 30 }, (_, i) => `user-${i}`);

const catalogue: CatalogueItem[] = ITEMS.map((itemId, i) => ({
  itemId,
  title: `Item ${i}`,
  categories: [i % 2 === 0 ? 'shoes' : 'hats'],
  price: 10 + i,
  inStock: true,
}));

/** Each shopper views a run of neighbouring items and buys one, so items co-occur. */
const interactions: Interaction[] = USERS.flatMap((userId, u) =>
  Array.from({ length: 8 }, (_, k) => ({
    userId,
    itemId: ITEMS[(u + k * 3) % ITEMS.length] ?? '',
    timestamp: 1_760_000_000 + u * 100 + k,
    eventType: k === 7 ? 'purchase' : 'view',
  })),
);

let dir: string;
const servers: InferenceServer[] = [];
let hangingServer: Server;
let modelUrl: string;
let failingUrl: string;
let hangingUrl: string;
let modelVersion: string;
let cleanup: () => Promise<void>;
const clients: SageMakerRuntimeClient[] = [];

async function startServer(ready: boolean): Promise<string> {
  const server = new InferenceServer({ log: () => {} });
  servers.push(server);
  const url = await server.listen(0, '127.0.0.1');
  if (ready) {
    const loaded = await loadServingModel(dir);
    server.ready(loaded.serving);
    modelVersion = loaded.serving.modelVersion;
    cleanup = loaded.cleanup;
  }
  return url;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-client-'));
  const model = await trainerFor('hybrid').fit({ interactions, catalogue });
  await model.save(dir);
  modelUrl = await startServer(true);
  // Listening, but no model loaded: every invocation is a 503.
  failingUrl = await startServer(false);
  // Takes requests and never answers.
  hangingServer = createServer(() => {});
  await new Promise<void>((resolve) => hangingServer.listen(0, '127.0.0.1', resolve));
  hangingUrl = `http://127.0.0.1:${(hangingServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  hangingServer.closeAllConnections();
  await new Promise((resolve) => hangingServer.close(resolve));
  await Promise.all(servers.map((server) => server.close(0)));
  await cleanup();
  await rm(dir, { recursive: true, force: true });
});

function clientOf(endpoint: string): SageMakerModelClient {
  const runtime = new SageMakerRuntimeClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  clients.push(runtime);
  return new SageMakerModelClient(runtime, 'reco-endpoint');
}

modelClientContract('SageMaker client on the model/ server', {
  create: async () => ({
    client: clientOf(modelUrl),
    modelVersion,
    userId: USERS[0] ?? '',
    itemIds: ITEMS,
  }),
  hanging: async () => clientOf(hangingUrl),
  failing: async () => clientOf(failingUrl),
});
