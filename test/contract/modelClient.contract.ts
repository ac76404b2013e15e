import { describe, expect, it } from 'vitest';
import type { ModelClient, ModelResponse } from '#shared/ports/index.ts';

/** A client, and what the model behind it knows, so requests can name real shoppers and items. */
export interface ModelClientUnderTest {
  readonly client: ModelClient;
  /** The version the endpoint's model reports. */
  readonly modelVersion: string;
  /** A shopper the model was trained on. */
  readonly userId: string;
  /** At least ten items of the model's catalogue. */
  readonly itemIds: readonly string[];
}

export interface ModelClientContractOptions {
  /** The client and model under test; created once for the suite. */
  readonly create: () => Promise<ModelClientUnderTest>;
  /** A client whose endpoint takes the request and never answers. */
  readonly hanging: () => Promise<ModelClient>;
  /** A client whose endpoint answers every call with a 5xx. */
  readonly failing: () => Promise<ModelClient>;
}

const signal = () => new AbortController().signal;

/** What the serving path reads of an answer: a version, and items of an id, a score and maybe a reason. */
function expectWellFormed(response: ModelResponse, modelVersion: string): void {
  expect(response.modelVersion).toBe(modelVersion);
  for (const item of response.items) {
    expect(item.itemId).toEqual(expect.any(String));
    expect(Number.isFinite(item.score)).toBe(true);
  }
  const ids = response.items.map((item) => item.itemId);
  expect(new Set(ids).size).toBe(ids.length);
}

/**
 * What every ModelClient must do, run against an in-memory fake (unit) and the SageMaker client
 * on the `model/` server with a trained model (integration). The serving path relies on it: a
 * version to log and cache under, at most `count` distinct items, candidates ranked among
 * themselves, a rejection (never a hang) when the budget's signal aborts or the endpoint fails.
 */
export function modelClientContract(name: string, options: ModelClientContractOptions): void {
  describe(`Contract: ModelClient (${name})`, () => {
    let underTest: ModelClientUnderTest | undefined;
    const model = async (): Promise<ModelClientUnderTest> => (underTest ??= await options.create());

    describe('Method: invoke', () => {
      it("returns the model's version and scored items for a known shopper", async () => {
        // Prepare
        const { client, modelVersion, userId } = await model();

        // Act
        const response = await client.invoke({ userId, count: 5 }, signal());

        // Assess
        expectWellFormed(response, modelVersion);
        expect(response.items.length).toBeGreaterThan(0);
        expect(response.items.length).toBeLessThanOrEqual(5);
      });

      it.each([1, 3, 10])('returns at most count (%i) distinct items', async (count) => {
        // Prepare
        const { client, modelVersion } = await model();

        // Act
        const response = await client.invoke({ count, recentItems: [] }, signal());

        // Assess
        expectWellFormed(response, modelVersion);
        expect(response.items.length).toBeGreaterThan(0);
        expect(response.items.length).toBeLessThanOrEqual(count);
      });

      it('returns every candidate once and nothing else when ranking candidates', async () => {
        // Prepare
        const { client, modelVersion, userId, itemIds } = await model();
        const candidates = itemIds.slice(0, 6);

        // Act
        const response = await client.invoke({ userId, candidates, count: candidates.length }, signal());

        // Assess
        expectWellFormed(response, modelVersion);
        expect(response.items.map((item) => item.itemId).sort()).toEqual([...candidates].sort());
      });

      it('returns items similar to an item, never the item itself', async () => {
        // Prepare
        const { client, modelVersion, itemIds } = await model();
        const similarTo = itemIds[0] ?? '';

        // Act
        const response = await client.invoke({ similarTo, count: 5 }, signal());

        // Assess
        expectWellFormed(response, modelVersion);
        expect(response.items.map((item) => item.itemId)).not.toContain(similarTo);
        expect(response.items.length).toBeLessThanOrEqual(5);
      });

      it('returns no item the filters exclude', async () => {
        // Prepare
        const { client, itemIds } = await model();
        const excludeItemIds = itemIds.slice(0, 5);

        // Act
        const response = await client.invoke(
          { candidates: itemIds.slice(0, 10), count: 10, filters: { excludeItemIds } },
          signal(),
        );

        // Assess
        const ids = response.items.map((item) => item.itemId);
        expect(ids.filter((id) => excludeItemIds.includes(id))).toEqual([]);
        expect(ids.length).toBeGreaterThan(0);
      });

      it('rejects at once when the signal is already aborted', async () => {
        // Prepare
        const { client, userId } = await model();
        const controller = new AbortController();
        controller.abort(new Error('budget spent'));

        // Act
        const attempt = client.invoke({ userId, count: 5 }, controller.signal);

        // Assess
        await expect(attempt).rejects.toThrow();
      });

      it('rejects within 250 ms of the abort while the endpoint has not answered', async () => {
        // Prepare
        const client = await options.hanging();
        const controller = new AbortController();
        const started = Date.now();
        setTimeout(() => controller.abort(new Error('budget spent')), 50);

        // Act
        const attempt = client.invoke({ count: 5 }, controller.signal);

        // Assess
        await expect(attempt).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(300);
      });

      it.each([
        ['count 0', { count: 0 }],
        ['a count over the maximum', { count: 10_000 }],
      ])('rejects a request the model refuses (4xx): %s', async (_name, request) => {
        // Prepare
        const { client } = await model();

        // Act
        const attempt = client.invoke(request, signal());

        // Assess
        await expect(attempt).rejects.toThrow();
      });

      it('rejects when the endpoint fails (5xx)', async () => {
        // Prepare
        const client = await options.failing();

        // Act
        const attempt = client.invoke({ count: 5 }, signal());

        // Assess
        await expect(attempt).rejects.toThrow();
      });
    });
  });
}
