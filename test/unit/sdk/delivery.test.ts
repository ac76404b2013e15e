import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, apiLimits } from '#shared/config/index.ts';
import { KEEPALIVE_BUDGET_BYTES, RecoApiError, RecoNetworkError } from '../../../sdk/index.ts';
import { FakeFetch } from './fakes.ts';
import { API_KEY, ENDPOINT, setup } from './helpers.ts';

const unavailable = { status: 503, body: { reason: 'stream_unavailable', message: 'retry later' } };
/** 28 properties of 256 characters: about 7.5 KB per event, under the 8 KB event limit. */
const bulky = Object.fromEntries(Array.from({ length: 28 }, (_, i) => [`p${i}`, 'x'.repeat(256)]));

describe('SDK delivery: batching', () => {
  it('posts queued events to /v1/events with the API key once the flush interval passes', async () => {
    // Prepare
    const { client, fake, clock } = setup({ flushIntervalMs: 1000 });
    // Act
    client.track.view('a');
    client.track.view('b');
    await clock.advance(999);
    const before = fake.calls.length;
    await clock.advance(1);
    // Assess
    expect(before).toBe(0);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]?.url).toBe(`${ENDPOINT}${api.routes.events}`);
    expect(fake.calls[0]?.init).toMatchObject({
      method: 'POST',
      headers: { [api.apiKeyHeader]: API_KEY, 'content-type': 'application/json' },
    });
    expect(fake.events.map((e) => e.itemId)).toEqual(['a', 'b']);
    expect(client.pendingEvents).toBe(0);
  });

  it('sends a full batch at once, never more events per request than the API maximum', async () => {
    // Prepare
    const { client, fake } = setup({ flushIntervalMs: 60_000 });
    // Act
    for (let i = 0; i < apiLimits.maxEventsPerRequest; i++) client.track.view(`i${i}`);
    await vi.waitFor(() => expect(fake.calls).toHaveLength(1));
    await client.flush();
    for (let i = 0; i < 150; i++) client.track.view(`j${i}`);
    const result = await client.flush();
    // Assess
    expect(fake.calls.map((c) => c.json.events?.length)).toEqual([100, 100, 50]);
    expect(result).toMatchObject({ accepted: 150, pending: 0 });
  });

  it('honours a smaller maxBatch', async () => {
    // Prepare
    const { client, fake } = setup({ maxBatch: 3 });
    // Act
    for (let i = 0; i < 7; i++) client.track.view(`i${i}`);
    await client.flush();
    // Assess
    expect(fake.calls.map((c) => c.json.events?.length)).toEqual([3, 3, 1]);
  });

  it('splits batches so no request body exceeds the API body limit', async () => {
    // Prepare
    const { client, fake } = setup({ flushIntervalMs: 60_000 });
    // Act
    for (let i = 0; i < 40; i++) client.track.view(`i${i}`, { properties: bulky });
    await client.flush();
    // Assess
    const sizes = fake.calls.map((c) => Buffer.byteLength(c.init.body ?? '', 'utf8'));
    expect(fake.calls.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(apiLimits.maxBodyBytes);
    expect(fake.events).toHaveLength(40);
  });
});

describe('SDK delivery: retries', () => {
  it('retries a 503 with the same request after an exponential backoff with jitter', async () => {
    // Prepare
    const fake = new FakeFetch().answer(unavailable, unavailable);
    const { client, clock } = setup({ fake, retry: { baseDelayMs: 1000 } });
    client.track.view('a');
    // Act
    const flushed = client.flush();
    await clock.advance(10_000);
    const result = await flushed;
    // Assess
    expect(fake.calls).toHaveLength(3);
    expect(new Set(fake.calls.map((c) => c.init.body)).size).toBe(1);
    // random() is 0.5 in these tests: half the delay fixed plus a quarter = 75 % of 1 s, then of 2 s.
    expect(clock.delays.filter((d) => d !== 2000 && d !== 10_000)).toEqual([750, 1500]);
    expect(result).toMatchObject({ accepted: 1, pending: 0, dropped: 0 });
  });

  it('retries a 429 no sooner than its Retry-After', async () => {
    // Prepare
    const fake = new FakeFetch().answer({
      status: 429,
      body: api.gatewayErrors.throttled,
      headers: { 'Retry-After': '3' },
    });
    const { client, clock } = setup({ fake });
    client.track.view('a');
    // Act
    const flushed = client.flush();
    await clock.advance(2_999);
    const before = fake.calls.length;
    await clock.advance(1);
    await flushed;
    // Assess
    expect(before).toBe(1);
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1]?.init.body).toBe(fake.calls[0]?.init.body);
  });

  it('retries after a network error', async () => {
    // Prepare
    const fake = new FakeFetch().answer(new TypeError('fetch failed'));
    const { client, clock, errors } = setup({ fake });
    client.track.view('a');
    // Act
    const flushed = client.flush();
    await clock.advance(1_000);
    const result = await flushed;
    // Assess
    expect(fake.calls).toHaveLength(2);
    expect(result.accepted).toBe(1);
    expect(errors).toEqual([]);
  });

  it('does not retry a 400 and reports the dropped events with the API error', async () => {
    // Prepare
    const fake = new FakeFetch().answer({ status: 400, body: { reason: 'invalid_json', message: 'bad body' } });
    const { client, clock, errors } = setup({ fake });
    client.track.view('a');
    client.track.view('b');
    // Act
    const result = await client.flush();
    await clock.advance(60_000);
    // Assess
    expect(fake.calls).toHaveLength(1);
    expect(result).toMatchObject({ accepted: 0, dropped: 2, pending: 0 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'dropped', events: 2 });
    expect(errors[0]?.error).toBeInstanceOf(RecoApiError);
    expect(errors[0]?.error).toMatchObject({ status: 400, reason: 'invalid_json', message: 'bad body' });
  });

  it('keeps the events queued when retries are used up, and sends them later', async () => {
    // Prepare
    const fake = new FakeFetch().answer(unavailable, unavailable, unavailable);
    const { client, clock, errors } = setup({ fake, retry: { maxRetries: 2, baseDelayMs: 100 } });
    client.track.view('a');
    // Act
    const flushed = client.flush();
    await clock.advance(1_000);
    const result = await flushed;
    await clock.advance(1_000);
    // Assess
    expect(result).toMatchObject({ accepted: 0, pending: 1 });
    expect(errors.map((e) => e.kind)).toEqual(['retrying_later']);
    expect(fake.calls).toHaveLength(4);
    expect(new Set(fake.calls.map((c) => c.init.body)).size).toBe(1);
    expect(client.pendingEvents).toBe(0);
  });
});

describe('SDK delivery: per-event answers', () => {
  it('reports rejected events through onRejected and does not send them again', async () => {
    // Prepare
    const fake = new FakeFetch().answer({
      status: 200,
      body: {
        accepted: 1,
        rejected: [{ index: 1, eventId: 'x', reason: 'timestamp_too_old', field: 'timestamp', message: 'too old' }],
      },
    });
    const { client, clock, rejected } = setup({ fake });
    client.track.view('a');
    const old = client.track.view('b', { timestamp: new Date('2020-01-01T00:00:00Z') });
    // Act
    const result = await client.flush();
    await clock.advance(60_000);
    // Assess
    expect(rejected).toEqual([{ eventId: old, reason: 'timestamp_too_old', field: 'timestamp' }]);
    expect(result).toMatchObject({ accepted: 1, pending: 0 });
    expect(result.rejected.map((r) => r.event.eventId)).toEqual([old]);
    expect(fake.calls).toHaveLength(1);
  });

  it('sends again, with the same eventId, an event the stream did not take (stream_write_failed)', async () => {
    // Prepare
    const fake = new FakeFetch().answer({
      status: 200,
      body: { accepted: 1, rejected: [{ index: 0, reason: 'stream_write_failed', message: 'retry it' }] },
    });
    const { client, clock, rejected } = setup({ fake });
    const first = client.track.view('a');
    client.track.view('b');
    // Act
    const flushed = client.flush();
    await clock.advance(1_000);
    await flushed;
    // Assess
    expect(rejected).toEqual([]);
    expect(fake.calls.map((c) => c.json.events?.map((e) => e.eventId))).toEqual([[first, expect.any(String)], [first]]);
  });
});

describe('SDK delivery: bounded queue', () => {
  it('drops the oldest events with an onError notice when the queue is full', async () => {
    // Prepare
    const { client, fake, errors } = setup({ maxQueueSize: 5 });
    // Act
    for (let i = 0; i < 7; i++) client.track.view(`i${i}`);
    await client.flush();
    // Assess
    expect(errors.map((e) => [e.kind, e.events])).toEqual([
      ['queue_overflow', 1],
      ['queue_overflow', 1],
    ]);
    expect(fake.events.map((e) => e.itemId)).toEqual(['i2', 'i3', 'i4', 'i5', 'i6']);
  });

  it('waits for the backoff instead of flushing at once while the API is failing', async () => {
    // Prepare
    const fake = new FakeFetch(() => unavailable);
    const { client, clock } = setup({ fake, maxBatch: 2, retry: { maxRetries: 0, baseDelayMs: 5_000 } });
    client.track.view('a');
    client.track.view('b');
    await clock.advance(0);
    // Act
    for (let i = 0; i < 10; i++) client.track.view(`x${i}`);
    await clock.advance(100);
    // Assess
    expect(fake.calls).toHaveLength(1);
  });
});

describe('SDK delivery: page exit', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('sends with fetch keepalive (and the API key header) when the page is hidden, within the keepalive budget', async () => {
    // Prepare
    const listeners = new Map<string, () => void>();
    const document = {
      visibilityState: 'visible',
      addEventListener: (type: string, fn: () => void) => listeners.set(`document:${type}`, fn),
      removeEventListener: (type: string) => listeners.delete(`document:${type}`),
    };
    vi.stubGlobal('document', document);
    vi.stubGlobal('addEventListener', (type: string, fn: () => void) => listeners.set(`window:${type}`, fn));
    vi.stubGlobal('removeEventListener', (type: string) => listeners.delete(`window:${type}`));
    const { client, fake } = setup({ flushIntervalMs: 60_000 });
    const stop = client.flushOnExit();
    for (let i = 0; i < 12; i++) client.track.view(`i${i}`, { properties: bulky });
    // Act
    document.visibilityState = 'hidden';
    listeners.get('document:visibilitychange')?.();
    await vi.waitFor(() => expect(fake.events).toHaveLength(12));
    stop();
    await client.close();
    // Assess
    const keepalive = fake.calls.filter((c) => c.init.keepalive === true);
    const keepaliveBytes = keepalive.reduce((sum, c) => sum + Buffer.byteLength(c.init.body ?? ''), 0);
    expect(keepalive.length).toBeGreaterThan(0);
    expect(keepaliveBytes).toBeLessThanOrEqual(KEEPALIVE_BUDGET_BYTES);
    expect(keepalive[0]?.init.headers[api.apiKeyHeader]).toBe(API_KEY);
    expect(fake.calls.some((c) => c.init.keepalive !== true)).toBe(true);
    expect([...listeners.keys()]).toEqual([]);
  });

  it('is a no-op outside a browser', () => {
    // Prepare
    const { client } = setup();
    // Act / Assess
    expect(client.flushOnExit()).toBeTypeOf('function');
  });

  it('wraps a fetch that throws in RecoNetworkError for reads', async () => {
    // Prepare
    const fake = new FakeFetch().answer(new TypeError('fetch failed'));
    const { client } = setup({ fake });
    // Act / Assess
    await expect(client.trending()).rejects.toBeInstanceOf(RecoNetworkError);
  });
});
