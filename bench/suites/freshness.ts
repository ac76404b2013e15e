/**
 * Freshness: how long after a shopper's event their recommendations change, end to end in the
 * local stack (HTTP → ingest → Kinesis stand-in → poller → processor → DynamoDB stand-in →
 * recommend). Each trial: read a shopper's recommendations, buy the top item, poll until it is
 * gone. The floor is the same two HTTP calls (POST an event, GET recommendations) without waiting
 * for the pipeline, measured in the same run: what is left is the stream and processing delay.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalStack, type LocalStack } from '#local/stack.ts';
import { below, throughputOf, type BenchResult } from '../lib/harness.ts';
import { percentile } from '../lib/stats.ts';
import { api } from '#shared/config/index.ts';

export const name = 'freshness';
export const description =
  'event posted → that shopper’s recommendations change, local stack end to end (p95 over trials)';

const TRIALS = 40;
const POLL_MS = 10;
const TIMEOUT_MS = 10_000;
const TARGET_P95_MS = 2_000;

let counter = 0;
const eventId = () => `fresh-${process.pid}-${++counter}`;

/** Headers of a signed-in shopper's browser: the storefront key and their user token. */
const shopperHeaders = (stack: LocalStack, token: string) => ({
  'x-api-key': stack.apiKey,
  [api.userTokenHeader]: token,
});

async function post(stack: LocalStack, events: unknown[], token: string): Promise<void> {
  const response = await fetch(`${stack.url}/v1/events`, {
    method: 'POST',
    headers: { ...shopperHeaders(stack, token), 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  if (response.status !== 200) throw new Error(`POST /v1/events answered ${response.status}`);
  await response.arrayBuffer();
}

async function topItems(stack: LocalStack, userId: string, token: string): Promise<string[]> {
  const response = await fetch(`${stack.url}/v1/users/${userId}/recommendations?count=5`, {
    headers: shopperHeaders(stack, token),
  });
  const body = (await response.json()) as { items: { itemId: string }[] };
  return body.items.map((item) => item.itemId);
}

const purchase = (userId: string, itemId: string) => ({
  eventId: eventId(),
  type: 'purchase',
  userId,
  itemId,
  quantity: 1,
  price: 10,
  currency: 'EUR',
  timestamp: Date.now(),
});

export async function run(): Promise<BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'reco-freshness-'));
  // Always on fresh in-process stand-ins, whatever the shell points at.
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  delete process.env.AWS_ENDPOINT_URL_KINESIS;
  const stack = await startLocalStack({ port: 0, dataDir, apiKey: 'bench-key' });
  try {
    // Popular items for everyone to be recommended, posted by the shop's backend for ten shoppers.
    const warmUp = await stack.serverFetch('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        events: Array.from({ length: 50 }, (_, i) => ({
          eventId: eventId(),
          type: 'view',
          userId: `warm-${i % 10}`,
          itemId: `item-${i % 8}`,
          timestamp: Date.now(),
        })),
      }),
    });
    if (warmUp.status !== 200) throw new Error(`POST /v1/events on the server API answered ${warmUp.status}`);
    while (stack.mapping.stats.processed < stack.stats.eventsAccepted) await sleep(20);

    const freshness: number[] = [];
    const floor: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const userId = `fresh-shopper-${trial}`;
      const { token } = await stack.mintUserToken(userId);
      const [top] = await topItems(stack, userId, token);
      if (top === undefined) throw new Error('no recommendations to change');
      const started = performance.now();
      await post(stack, [purchase(userId, top)], token);
      let items = await topItems(stack, userId, token);
      floor.push(performance.now() - started);
      while (items.includes(top)) {
        if (performance.now() - started > TIMEOUT_MS)
          throw new Error(`trial ${trial}: no change after ${TIMEOUT_MS} ms`);
        await sleep(POLL_MS);
        items = await topItems(stack, userId, token);
      }
      freshness.push(performance.now() - started);
      // Spread trials over the poller's batching window instead of aligning with it.
      await sleep(37 * (trial % 7));
    }

    const subject = throughputOf('event → recommendations changed', 1, freshness);
    const floorThroughput = throughputOf('POST event + GET recommendations', 1, floor);
    const p95 = percentile(freshness, 95);
    return {
      subject,
      floor: floorThroughput,
      ratio: subject.medianPerSecond / floorThroughput.medianPerSecond,
      pairedRatio: percentile(
        freshness.map((f, i) => (floor[i] ?? f) / f),
        50,
      ),
      warmupRounds: 0,
      gcBetweenRounds: false,
      unit: 'changes',
      metrics: {
        trials: TRIALS,
        freshnessP50Ms: percentile(freshness, 50),
        freshnessP95Ms: p95,
        freshnessMaxMs: Math.max(...freshness),
        httpFloorP50Ms: percentile(floor, 50),
        pollIntervalMs: POLL_MS,
      },
      targets: [below('freshness p95, event → recommendations changed', p95, TARGET_P95_MS, 'ms')],
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
