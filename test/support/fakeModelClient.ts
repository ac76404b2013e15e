import { apiLimits, serving } from '#shared/config/index.ts';
import type { ModelClient, ModelRequest, ModelResponse } from '#shared/ports/index.ts';

/** What the fake answers with: items by score, highest first. */
export interface FakeModelOptions {
  readonly modelVersion: string;
  readonly items: readonly { readonly itemId: string; readonly score: number; readonly reason?: string }[];
  /** Delay before answering, ms, so a caller can abort mid-call. @default 0 */
  readonly delayMs?: number;
  /** Answer every call by rejecting as an endpoint answering this HTTP status would. */
  readonly failWithStatus?: number;
}

/** The endpoint's answer to a request it refuses or cannot serve (SageMaker's `ModelError`). */
export class FakeModelError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(`ModelError: the model answered ${status}: ${message}`);
    this.name = 'FakeModelError';
  }
}

/**
 * An in-memory ModelClient for tests: ranks a fixed item list as the model server does (count
 * checked the same way, candidates ranked, `similarTo` and `excludeItemIds` left out), and
 * honours the abort signal.
 */
export class FakeModelClient implements ModelClient {
  readonly requests: ModelRequest[] = [];

  constructor(private readonly options: FakeModelOptions) {}

  async invoke(request: ModelRequest, signal: AbortSignal): Promise<ModelResponse> {
    this.requests.push(request);
    signal.throwIfAborted();
    if (this.options.delayMs) await delay(this.options.delayMs, signal);
    if (this.options.failWithStatus !== undefined) {
      throw new FakeModelError(this.options.failWithStatus, 'the endpoint failed');
    }
    const maxCount = request.candidates === undefined ? apiLimits.maxRecommendationCount : serving.maxRankingItems;
    if (!Number.isInteger(request.count) || request.count < 1 || request.count > maxCount) {
      throw new FakeModelError(400, `count must be an integer from 1 to ${maxCount}`);
    }
    const excluded = new Set([
      ...(request.filters?.excludeItemIds ?? []),
      ...(request.similarTo ? [request.similarTo] : []),
    ]);
    const known = new Map(this.options.items.map((item) => [item.itemId, item]));
    const pool =
      request.candidates === undefined
        ? this.options.items
        : [...new Set(request.candidates)].map((itemId) => known.get(itemId) ?? { itemId, score: 0 });
    const items = pool
      .filter((item) => !excluded.has(item.itemId))
      .toSorted((a, b) => b.score - a.score)
      .slice(0, request.count)
      .map((item) => ({ ...item }));
    return { modelVersion: this.options.modelVersion, items };
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
