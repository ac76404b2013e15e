/** Starting the storefront suite's stack process and reading its counters. */
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChild, type Child } from '../serving/ipc.ts';
import type { StorefrontStackInfo, StorefrontStackOptions, StorefrontStackStats } from './stackProcess.ts';

const entry = fileURLToPath(new URL('./stackProcess.ts', import.meta.url));

export type StorefrontStack = Child<StorefrontStackInfo>;

export function startStorefrontStack(options: StorefrontStackOptions): Promise<StorefrontStack> {
  return startChild<StorefrontStackInfo>(entry, {
    label: 'local stack',
    args: [JSON.stringify(options)],
    timeoutMs: 180_000,
  });
}

export const statsOf = (stack: StorefrontStack) => stack.call<StorefrontStackStats>('stats');

/**
 * Waits until the processor has every accepted event and the poller found nothing new; resolves
 * with the ms that took, or `undefined` after `timeoutMs`.
 */
export async function drained(stack: StorefrontStack, timeoutMs: number): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const stats = await statsOf(stack);
    if (stats.processed + stats.discarded >= stats.eventsAccepted && stats.idle) {
      return performance.now() - started;
    }
    await sleep(25);
  }
  return undefined;
}
