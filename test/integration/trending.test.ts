import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { featureLimits } from '#shared/config/index.ts';
import type { LocalStack } from '#local/stack.ts';
import { drained, startFreshStack } from './freshStack.ts';

/*
 * `GET /v1/trending` through the local stack's HTTP API: `window=1h` answers the activity rate now
 * (weighted events per hour), `window=24h` the volume over the day (weighted events). The lists are
 * read with the clock set to 17:00 UTC of a day two days back, so that every event of that day is
 * accepted (events may be a week old) and the day's hours are known.
 */

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const DAY_START = Math.floor(Date.now() / DAY_MS) * DAY_MS - 2 * DAY_MS;
const NOW = DAY_START + 17 * HOUR_MS;
/** Weighted events per hour that a unit of activity decayed to now stands for (ln 2 / half-life). */
const PER_HOUR = (Math.LN2 * HOUR_MS) / (featureLimits.trendHalfLifeSeconds * 1000);
/** What is left of activity `ms` old in the 1h window's memory. */
const decayedOver = (ms: number) => 2 ** (-ms / (featureLimits.trendHalfLifeSeconds * 1000));

const run = `tr${Date.now().toString(36)}`;
/** A category of this run's items only, so no list cached by another test can answer for it. */
const category = `${run}-cat`;
/** 12 views at 09:00: the most volume of the day. */
const earlier = `${run}-earlier`;
/** 3 views at 16:57: hot in the last minutes. */
const hot = `${run}-hot`;
/** 5 views at 17:00, the moment the lists are read. */
const justNow = `${run}-just-now`;

let stack: LocalStack;
let eventNumber = 0;

const views = (itemId: string, count: number, at: number) =>
  Array.from({ length: count }, (_, n) => ({
    eventId: `${run}-${++eventNumber}`,
    type: 'view',
    anonymousId: `${run}-shopper-${n}`,
    itemId,
    timestamp: at,
  }));

/** The trending list of `window` as the storefront reads it at {@link NOW}. */
async function trendingAt(window: '1h' | '24h'): Promise<{ itemId: string; score: number; reason: string }[]> {
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
  try {
    const response = await fetch(`${stack.url}/v1/trending?window=${window}&category=${category}`, {
      headers: { 'x-api-key': stack.apiKey },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: { itemId: string; score: number; reason: string }[] }).items;
  } finally {
    vi.useRealTimers();
  }
}

beforeAll(async () => {
  stack = await startFreshStack('trending-key', 'reco-trending-');
  const items = [earlier, hot, justNow].map((itemId) => ({ itemId, categories: [category], inStock: true }));
  const upserted = await stack.serverFetch('/v1/items', { method: 'PUT', body: JSON.stringify({ items }) });
  expect(upserted.status).toBe(200);
  const events = [
    ...views(earlier, 12, DAY_START + 9 * HOUR_MS),
    ...views(hot, 3, NOW - 3 * 60 * 1000),
    ...views(justNow, 5, NOW),
  ];
  const posted = await stack.serverFetch('/v1/events', { method: 'POST', body: JSON.stringify({ events }) });
  expect(await posted.json()).toEqual({ accepted: events.length, rejected: [] });
  await drained(stack);
});

afterAll(async () => {
  await stack?.stop();
});

describe('Local stack: GET /v1/trending windows', () => {
  it('scores 24h by the day volume and 1h by the rate now, apart even for activity of this moment', async () => {
    // Act
    const daily = await trendingAt('24h');
    const hourly = await trendingAt('1h');

    // Assess
    expect(daily).toEqual([
      { itemId: earlier, score: 12, reason: `popular in ${category}` },
      { itemId: justNow, score: 5, reason: `popular in ${category}` },
      { itemId: hot, score: 3, reason: `popular in ${category}` },
    ]);
    expect(hourly.find((item) => item.itemId === justNow)?.score).toBeCloseTo(5 * PER_HOUR, 3);
    expect(hourly.find((item) => item.itemId === justNow)?.score).not.toBe(5);
  });

  it('ranks the item hot in the last minutes first for 1h, the one busier earlier in the day first for 24h', async () => {
    // Act
    const daily = await trendingAt('24h');
    const hourly = await trendingAt('1h');

    // Assess: the earlier views have decayed over 8 hours, the hot ones over 3 minutes
    expect(daily.map((item) => item.itemId)).toEqual([earlier, justNow, hot]);
    expect(hourly.map((item) => [item.itemId, item.reason])).toEqual([
      [justNow, 'trending'],
      [hot, 'trending'],
      [earlier, 'trending'],
    ]);
    expect(hourly.map((item) => item.score)).toEqual([
      expect.closeTo(5 * PER_HOUR, 3),
      expect.closeTo(3 * decayedOver(3 * 60 * 1000) * PER_HOUR, 3),
      expect.closeTo(12 * decayedOver(8 * HOUR_MS) * PER_HOUR, 3),
    ]);
  });
});
