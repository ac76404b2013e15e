/**
 * Starting the serving suite's children (model server, local stack) and feeding the stack live
 * storefront events.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../history.ts';
import { startChild, type Child } from '../ipc.ts';
import { inPool } from '../load.ts';
import type { ModelProcessInfo, ModelProcessOptions, ModelServerInfo } from '../modelProcess.ts';
import type { StackProcessInfo, StackProcessOptions, StackProcessStats } from '../stackProcess.ts';
import type { ShopperTokens } from '../tokens.ts';
import { API_KEY, ITEMS, MEAN_INTERACTIONS, SEED, TRAINED_SHOPPERS, itemId, servingLibDir } from './common.ts';

export async function startModel(dir: string): Promise<Child<ModelProcessInfo>> {
  const options: ModelProcessOptions = {
    dir,
    seed: SEED,
    itemCount: ITEMS,
    shoppers: TRAINED_SHOPPERS,
    meanPerShopper: MEAN_INTERACTIONS,
    userPrefix: 'u',
    // The default hybrid; only the training threads are pinned (2 is the default too).
    hyperparameters: { 'ials.workers': 2 },
  };
  return startChild<ModelProcessInfo>(join(servingLibDir, 'modelProcess.ts'), {
    label: 'model server',
    args: [JSON.stringify(options)],
    timeoutMs: 240_000,
  });
}

/** A model process serving the model `startModel` saved in `dir` on `port`, without training. */
export async function serveModel(dir: string, port: number): Promise<Child<ModelServerInfo>> {
  const options: ModelProcessOptions = { serveFrom: { dir, port } };
  return startChild<ModelServerInfo>(join(servingLibDir, 'modelProcess.ts'), {
    label: 'model server (replacement)',
    args: [JSON.stringify(options)],
    timeoutMs: 60_000,
  });
}

export async function startStack(
  model: ModelProcessInfo,
  tokens: ShopperTokens,
  redisUrl?: string,
): Promise<Child<StackProcessInfo>> {
  const options: StackProcessOptions = {
    apiKey: API_KEY,
    userTokenKeys: tokens.keysJson,
    model: { url: model.url, modelVersion: model.modelVersion, trainedOn: model.interactions },
    // Live events reach the features quickly; the default window is for batching, not latency.
    batchingWindowMs: 100,
    ...(redisUrl === undefined ? {} : { redisUrl }),
  };
  const child = await startChild<StackProcessInfo>(join(servingLibDir, 'stackProcess.ts'), {
    label: redisUrl === undefined ? 'local stack' : 'local stack (Redis)',
    args: [JSON.stringify(options)],
    timeoutMs: 60_000,
  });
  // After heavy load the stand-ins take a while to stop; the scratch directory goes in any case.
  return {
    ...child,
    stop: async () => {
      await child.stop(15_000);
      await rm(child.ready.dataDir, { recursive: true, force: true });
    },
  };
}

let eventCounter = 0;

/** A signed-in shopper's storefront event. */
export interface LiveEvent {
  readonly eventId: string;
  readonly type: 'view' | 'add_to_cart';
  readonly userId: string;
  readonly itemId: string;
  readonly timestamp: number;
}

/**
 * Posts storefront events as each shopper's page does (the SDK sends a signed-in user's events with
 * their token, each user's in requests of their own, up to 100 events) and waits until the
 * processor has applied them.
 */
export async function postEvents(
  stack: Child<StackProcessInfo>,
  events: readonly LiveEvent[],
  tokens: ShopperTokens,
): Promise<void> {
  const byShopper = new Map<string, LiveEvent[]>();
  for (const event of events) {
    const group = byShopper.get(event.userId);
    if (group === undefined) byShopper.set(event.userId, [event]);
    else group.push(event);
  }
  await tokens.mint(byShopper.keys());
  const requests = [...byShopper].flatMap(([userId, group]) =>
    Array.from({ length: Math.ceil(group.length / 100) }, (_, i) => ({
      userId,
      events: group.slice(i * 100, (i + 1) * 100),
    })),
  );
  await inPool(requests, 8, async ({ userId, events: batch }) => {
    const response = await fetch(`${stack.ready.url}/v1/events`, {
      method: 'POST',
      headers: { ...tokens.headers(userId), 'content-type': 'application/json' },
      body: JSON.stringify({ events: batch }),
    });
    const body = (await response.json()) as { accepted?: number; rejected?: unknown[] };
    if (response.status !== 200 || (body.rejected?.length ?? 0) > 0) {
      throw new Error(`POST /v1/events answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
    }
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const stats = await stack.call<StackProcessStats>('stats');
    if (stats.processed + stats.discarded >= stats.eventsAccepted && stats.idle) return;
    if (Date.now() > deadline) throw new Error(`events not processed after 60 s: ${JSON.stringify(stats)}`);
    await sleep(100);
  }
}

/** 3 to 5 views / add-to-carts per shopper, spread over the catalogue, in the last minutes. */
export function liveEvents(userIds: readonly string[], seed: number): LiveEvent[] {
  const random = seededRandom(seed);
  const now = Date.now();
  const events: LiveEvent[] = [];
  for (const userId of userIds) {
    const n = 3 + Math.floor(random() * 3);
    for (let i = 0; i < n; i++) {
      events.push({
        eventId: `serving-${process.pid}-${++eventCounter}`,
        type: random() < 0.75 ? 'view' : 'add_to_cart',
        userId,
        itemId: itemId(1 + Math.floor(ITEMS * random() ** 2)),
        timestamp: now - 300_000 + Math.floor(random() * 290_000),
      });
    }
  }
  return events;
}
