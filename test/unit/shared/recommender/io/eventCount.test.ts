import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hybridTrainer } from '#shared/recommender/algorithms/hybrid.ts';
import { readInteractions } from '#shared/recommender/io/dataset.ts';
import { WEIGHTING_PARAMS } from '#shared/recommender/matrix.ts';
import type { CatalogueItem, Hyperparameters, Interaction, Model } from '#shared/recommender/model.ts';
import { aggregate, DAY, interactionsCsv, timelineData } from '../../../../fixtures/recommender/timeline.ts';

/*
 * The training export writes one row per shopper, item and event type with EVENT_COUNT; these
 * tests train the default trainer (hybrid, its seeded iALS) on a raw file and on its aggregation,
 * both read by the dataset reader, and compare what the models recommend.
 *
 * What a row keeps of its events: their number, their summed quantity (each event weighs as the
 * mean) and the latest timestamp. Training uses timestamps only for decay (an event's weight
 * halves per `decay.halfLifeDays` of age, measured from the shopper's newest event, which the
 * latest timestamp keeps) and the popularity trend (off in the default blend), so:
 * - without decay, and with one quantity per row's events, the models are identical;
 * - with the default 60-day decay, a row's older events count at its latest event's age: on this
 *   90-day set one row per shopper, item and type moves scores by up to 11 % and keeps 98 % of
 *   each top 10; one row per day as well keeps scores within 1 % and 99.8 % of each top 10;
 * - the order of rows matters through iALS's seeded start: users and items are indexed in order of
 *   first appearance, so the same rows in another order start from other random factors (scores
 *   up to 1.3 % apart, 99.8 % of each top 10 shared).
 */

const FROM = 1_740_787_200;

let dir: string;
let catalogue: CatalogueItem[];
let raw: Interaction[];
let users: string[];

async function trainOn(name: string, rows: readonly Interaction[], params: Hyperparameters): Promise<Model> {
  const path = join(dir, `${name}.csv`);
  await writeFile(path, interactionsCsv(rows));
  const { interactions } = await readInteractions(path);
  return hybridTrainer.fit({ interactions, catalogue }, params);
}

/** Per shopper: whether the top 10 is the same list, and the share of it both models have. */
function compare(a: Model, b: Model): { identical: number; overlap: number } {
  let identical = 0;
  let overlap = 0;
  for (const userId of users) {
    const left = a.recommend({ userId, count: 10 }).map((item) => item.itemId);
    const right = new Set(b.recommend({ userId, count: 10 }).map((item) => item.itemId));
    if (left.join() === [...right].join()) identical++;
    overlap += left.filter((itemId) => right.has(itemId)).length / 10;
  }
  return { identical: identical / users.length, overlap: overlap / users.length };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reco-event-count-'));
  const data = timelineData({
    users: 200,
    itemsPerCluster: 25,
    clusters: 8,
    eventsPerUser: 16,
    from: FROM,
    to: FROM + 90 * DAY,
    seed: 7,
  });
  catalogue = data.catalogue;
  // One quantity for every purchase, so a row's mean quantity is each event's.
  raw = data.interactions.map((row) => (row.eventType === 'purchase' ? { ...row, eventValue: 2 } : row));
  users = [...new Set(raw.map((row) => row.userId))];
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Dataset: EVENT_COUNT rows in training', () => {
  it('trains the same model from a raw file and its aggregation without decay', async () => {
    // Prepare
    const params = { [WEIGHTING_PARAMS.decayHalfLifeDays]: 0 };
    const rows = aggregate(raw);
    expect(rows.length).toBeLessThan(raw.length * 0.7);

    // Act
    const fromRaw = await trainOn('raw', raw, params);
    const fromRows = await trainOn('aggregated', rows, params);

    // Assess
    for (const userId of users) {
      expect(fromRows.recommend({ userId, count: 20 })).toEqual(fromRaw.recommend({ userId, count: 20 }));
      const recentItems = raw.filter((row) => row.userId === userId).slice(-5);
      expect(fromRows.recommend({ recentItems, count: 10 })).toEqual(fromRaw.recommend({ recentItems, count: 10 }));
    }
    for (const { itemId } of catalogue.slice(0, 20)) {
      expect(fromRows.similarItems(itemId, 10)).toEqual(fromRaw.similarItems(itemId, 10));
    }
  });

  it('keeps most of each top 10 under the default decay, and nearly all with one row per day', async () => {
    // Act
    const fromRaw = await trainOn('raw-decayed', raw, {});
    const perRow = compare(fromRaw, await trainOn('aggregated-decayed', aggregate(raw), {}));
    const perDay = compare(fromRaw, await trainOn('daily-decayed', aggregate(raw, DAY), {}));

    // Assess
    expect(perRow.overlap).toBeGreaterThan(0.95);
    expect(perRow.overlap).toBeLessThan(1);
    expect(perDay.overlap).toBeGreaterThan(0.99);
    expect(perDay.identical).toBeGreaterThan(perRow.identical);
  });

  it('starts iALS from other factors when the same rows come in another order', async () => {
    // Prepare
    const params = { [WEIGHTING_PARAMS.decayHalfLifeDays]: 0 };
    const rows = aggregate(raw);
    const sorted = [...rows].sort((a, b) => a.userId.localeCompare(b.userId) || a.itemId.localeCompare(b.itemId));

    // Act
    const result = compare(await trainOn('first-seen', rows, params), await trainOn('sorted', sorted, params));

    // Assess
    expect(result.overlap).toBeGreaterThan(0.98);
    expect(result.identical).toBeLessThan(1);
  });
});
