import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '#local/stack.ts';

/**
 * A local stack with its own stand-ins (whatever the developer's shell points at), a free port and
 * a temp data dir; `options` may add settings such as `corsOrigins`.
 */
export async function startFreshStack(
  apiKey: string,
  dataDirPrefix: string,
  options: Pick<LocalStackOptions, 'corsOrigins' | 'processor'> = {},
): Promise<LocalStack> {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  delete process.env.AWS_ENDPOINT_URL_KINESIS;
  return startLocalStack({
    ...options,
    port: 0,
    apiKey,
    dataDir: mkdtempSync(join(tmpdir(), dataDirPrefix)),
    batchingWindowMs: 50,
  });
}

/** Waits until the stream poller has processed everything the API accepted. */
export async function drained(stack: LocalStack): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (stack.mapping.stats.processed >= stack.stats.eventsAccepted && stack.mapping.idle) return;
    await sleep(50);
  }
  throw new Error(`stream not drained: ${JSON.stringify(stack.mapping.stats)} vs ${stack.stats.eventsAccepted}`);
}
