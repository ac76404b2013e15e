import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#local/stack.ts';
import { fittedBootstrapModel, startModelStack } from '../support/modelStack.ts';
import type { CatalogueItem, Interaction } from '#shared/recommender/model.ts';

/*
 * The local endpoint is its own process, as the SageMaker endpoint is its own service: killing it
 * is a real fault. The stack's lists fall back while it is gone, and it comes back on the same
 * port with the model it served.
 */

const run = `ep${Date.now().toString(36)}`;
const ITEMS = Array.from({ length: 8 }, (_, n) => `${run}-item-${n}`);
const CATALOGUE: CatalogueItem[] = ITEMS.map((itemId, n) => ({
  itemId,
  title: `Item ${n}`,
  categories: [n % 2 === 0 ? 'even' : 'odd'],
  price: 10 + n,
  inStock: true,
}));

function interactions(): Interaction[] {
  return Array.from({ length: 60 }, (_, n) => ({
    userId: `${run}-shopper-${n % 12}`,
    itemId: ITEMS[(n * 5) % ITEMS.length] as string,
    timestamp: 1_700_000_000 + n,
    eventType: 'view',
  }));
}

interface Answer {
  readonly status: number;
  readonly degraded: boolean;
  readonly modelVersion?: string;
}

let stack: LocalStack;
let asked = 0;

/** A list for a shopper never asked before, so the cache cannot answer it: the model is called. */
async function freshList(): Promise<Answer> {
  asked += 1;
  const response = await stack.serverFetch(`/v1/users/${run}-new-${asked}/recommendations?count=3`);
  const body = (await response.json()) as { degraded?: boolean; modelVersion?: string };
  return {
    status: response.status,
    degraded: body.degraded === true,
    ...(body.modelVersion ? { modelVersion: body.modelVersion } : {}),
  };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  stack = await startModelStack({
    name: 'endpoint',
    apiKey: 'endpoint-key',
    data: () => ({ interactions: interactions(), catalogue: CATALOGUE }),
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('Local endpoint: the model server as its own process', () => {
  it('returns fallback lists while the killed model server is down, then model lists from a new process on the same port', async () => {
    // Prepare
    const version = stack.model?.modelVersion;
    const before = await freshList();
    const pid = stack.endpoint.pid as number;
    expect(pid).not.toBe(process.pid);

    // Act: what a crashed instance looks like.
    process.kill(pid, 'SIGKILL');
    const answers: Answer[] = [];
    const started = Date.now();
    let recoveredAfterMs: number | undefined;
    while (Date.now() - started < 20_000) {
      const answer = await freshList();
      answers.push(answer);
      if (!answer.degraded && stack.endpoint.restarts > 0) {
        recoveredAfterMs = Date.now() - started;
        break;
      }
      await sleep(50);
    }

    // Assess
    expect(before).toEqual({ status: 200, degraded: false, modelVersion: version });
    expect(alive(pid)).toBe(false);
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(answers.some((answer) => answer.degraded)).toBe(true);
    expect(recoveredAfterMs).toBeLessThan(10_000);
    expect(answers.at(-1)).toEqual({ status: 200, degraded: false, modelVersion: version });
    expect(stack.endpoint.pid).not.toBe(pid);
    expect(new URL(stack.model?.url ?? '').port).toBe(new URL(stack.endpoint.url).port);
  });

  it('returns a model swapped in after a restart served by the new process', async () => {
    // Prepare
    await stack.endpoint.healthy();
    const dir = mkdtempSync(join(tmpdir(), 'reco-endpoint-next-'));
    const next = await fittedBootstrapModel(dir, { interactions: interactions(), catalogue: CATALOGUE });

    // Act
    await stack.endpoint.serve(dir, `${next.version}-next`);
    const ping = await fetch(`${stack.endpoint.url}/ping`);

    // Assess
    expect(ping.status).toBe(200);
    expect(stack.endpoint.version).toBe(`${next.version}-next`);
  });

  it('returns no model server process left once the stack stops', async () => {
    // Prepare
    const pid = stack.endpoint.pid as number;

    // Act
    await stack.stop();

    // Assess
    expect(alive(pid)).toBe(false);
  });
});
