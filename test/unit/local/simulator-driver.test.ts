import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { api, apiLimits } from '#shared/config/index.ts';
import { storefrontEventSchema, type StorefrontEventInput } from '#shared/events/schema.ts';
import {
  createCatalogue,
  createShoppers,
  createTrafficSimulator,
  startTraffic,
  type BatchResult,
  type TrafficSimulator,
} from '#local/simulator/index.ts';

const API_KEY = 'test-key';

interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly delayMs?: number;
}

interface RecordedRequest {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly events: StorefrontEventInput[];
  readonly arrivedAt: number;
  answeredAt?: number;
}

interface FakeApi {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Most requests open at the same time. */
  maxInFlight(): number;
  /** Resolves when the first request arrives. */
  readonly firstRequest: Promise<void>;
}

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A loopback stand-in for the events API that records what it receives. */
async function startFakeApi(reply: (events: StorefrontEventInput[], index: number) => Reply): Promise<FakeApi> {
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let arrived: () => void = () => undefined;
  const firstRequest = new Promise<void>((resolve) => (arrived = resolve));
  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: StorefrontEventInput[] };
      const request: RecordedRequest = {
        method: req.method,
        url: req.url,
        headers: req.headers,
        events: parsed.events,
        arrivedAt: performance.now(),
      };
      requests.push(request);
      arrived();
      const { status, body, delayMs = 0 } = reply(parsed.events, requests.length - 1);
      setTimeout(() => {
        inFlight--;
        request.answeredAt = performance.now();
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }, delayMs);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    maxInFlight: () => maxInFlight,
    firstRequest,
  };
}

const acceptAll = (events: StorefrontEventInput[]): Reply => ({
  status: 200,
  body: { accepted: events.length, rejected: [] },
});

function smallSimulator(seed = 1): TrafficSimulator {
  const catalogue = createCatalogue({ seed, itemCount: 200, categoryCount: 6 });
  const shoppers = createShoppers({ seed, catalogue, shopperCount: 50 });
  return createTrafficSimulator({ seed, catalogue, shoppers, now: Date.now });
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('Simulator: traffic driver', () => {
  it('posts exactly maxEvents in full batches with the api key, then stops by itself', async () => {
    // Prepare
    const fakeApi = await startFakeApi(acceptAll);
    const batches: BatchResult[] = [];
    const started = performance.now();

    // Act
    const driver = startTraffic({
      baseUrl: fakeApi.baseUrl,
      apiKey: API_KEY,
      eventsPerSecond: 2000,
      batchSize: 50,
      maxEvents: 500,
      simulator: smallSimulator(),
      onBatch: (result) => batches.push(result),
    });
    await driver.done;
    const elapsedMs = performance.now() - started;
    await driver.stop();

    // Assess
    expect(fakeApi.requests).toHaveLength(10);
    for (const request of fakeApi.requests) {
      expect(request.method).toBe('POST');
      expect(request.url).toBe(api.routes.events);
      expect(request.headers[api.apiKeyHeader]).toBe(API_KEY);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.events).toHaveLength(50);
    }
    const events = fakeApi.requests.flatMap((r) => r.events);
    expect(events).toHaveLength(500);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(500);
    expect(events.every((e) => storefrontEventSchema.safeParse(e).success)).toBe(true);
    expect(driver.stats()).toEqual({
      batches: 10,
      sent: 500,
      accepted: 500,
      rejected: 0,
      failed: 0,
      httpErrors: 0,
      networkErrors: 0,
      rejectionReasons: {},
      running: false,
      stopReason: 'max_events',
    });
    expect(batches).toHaveLength(10);
    expect(batches.every((b) => b.status === 200 && b.accepted === 50 && b.events === 50)).toBe(true);
    // One batch every 25 ms: the tenth leaves about 225 ms after the first.
    expect(elapsedMs).toBeGreaterThanOrEqual(200);
  });

  it("posts signed-in shoppers' events with their own user token, one request per user, as the SDK would", async () => {
    // Prepare
    const fakeApi = await startFakeApi(acceptAll);
    const minted: string[] = [];

    // Act
    const driver = startTraffic({
      baseUrl: fakeApi.baseUrl,
      apiKey: API_KEY,
      userToken: async (userId) => {
        minted.push(userId);
        return `token-for-${userId}`;
      },
      eventsPerSecond: 5000,
      batchSize: 50,
      maxEvents: 300,
      simulator: smallSimulator(),
    });
    await driver.done;

    // Assess
    const events = fakeApi.requests.flatMap((r) => r.events);
    expect(events).toHaveLength(300);
    expect(fakeApi.requests.length).toBeGreaterThan(6);
    let anonymousRequests = 0;
    for (const request of fakeApi.requests) {
      expect(request.headers[api.apiKeyHeader]).toBe(API_KEY);
      const users = new Set(request.events.map((e) => e.userId));
      expect(users.size).toBe(1);
      const [userId] = users;
      if (userId === undefined) {
        anonymousRequests++;
        expect(request.headers[api.userTokenHeader]).toBeUndefined();
      } else {
        expect(request.headers[api.userTokenHeader]).toBe(`token-for-${userId}`);
      }
    }
    expect(anonymousRequests).toBeGreaterThan(0);
    expect(minted.length).toBe(fakeApi.requests.length - anonymousRequests);
    expect(driver.stats()).toMatchObject({ sent: 300, accepted: 300, batches: fakeApi.requests.length });
  });

  it('sends a smaller last batch to land exactly on maxEvents', async () => {
    // Prepare
    const fakeApi = await startFakeApi(acceptAll);

    // Act
    const driver = startTraffic({
      baseUrl: `${fakeApi.baseUrl}/`,
      apiKey: API_KEY,
      eventsPerSecond: 5000,
      batchSize: 40,
      maxEvents: 100,
      simulator: smallSimulator(),
    });
    await driver.done;

    // Assess
    expect(fakeApi.requests.map((r) => r.events.length)).toEqual([40, 40, 20]);
    expect(fakeApi.requests.every((r) => r.url === api.routes.events)).toBe(true);
    expect(driver.stats().sent).toBe(100);
  });

  it('counts rejected events and their reasons', async () => {
    // Prepare
    const fakeApi = await startFakeApi((events) => ({
      status: 200,
      body: {
        accepted: events.length - 1,
        rejected: [{ index: 0, eventId: events[0]?.eventId, reason: 'invalid_field', message: 'price: too big' }],
      },
    }));
    const rejectedIds: (string | undefined)[] = [];

    // Act
    const driver = startTraffic({
      baseUrl: fakeApi.baseUrl,
      apiKey: API_KEY,
      eventsPerSecond: 5000,
      batchSize: 25,
      maxEvents: 100,
      simulator: smallSimulator(),
      onBatch: (result) => rejectedIds.push(...result.rejected.map((r) => r.eventId)),
    });
    await driver.done;

    // Assess
    const stats = driver.stats();
    expect(stats).toMatchObject({ batches: 4, sent: 100, accepted: 96, rejected: 4, failed: 0, httpErrors: 0 });
    expect(stats.rejectionReasons).toEqual({ invalid_field: 4 });
    expect(rejectedIds).toEqual(fakeApi.requests.map((r) => r.events[0]?.eventId));
  });

  it('counts HTTP errors and still stops after maxEvents', async () => {
    // Prepare
    const fakeApi = await startFakeApi(() => ({
      status: 500,
      body: { reason: 'internal_error', message: 'stream unavailable' },
    }));

    // Act
    const driver = startTraffic({
      baseUrl: fakeApi.baseUrl,
      apiKey: API_KEY,
      eventsPerSecond: 2000,
      batchSize: 50,
      maxEvents: 500,
      simulator: smallSimulator(),
    });
    await driver.done;
    await driver.stop();

    // Assess
    expect(fakeApi.requests).toHaveLength(10);
    expect(driver.stats()).toMatchObject({
      batches: 10,
      sent: 500,
      accepted: 0,
      rejected: 0,
      failed: 500,
      httpErrors: 10,
      networkErrors: 0,
      running: false,
      stopReason: 'max_events',
      lastError: 'HTTP 500 internal_error: stream unavailable',
    });
  });

  it('treats a 200 without an accepted count as an HTTP error', async () => {
    // Prepare
    const fakeApi = await startFakeApi(() => ({ status: 200, body: 'ok' }));

    // Act
    const driver = startTraffic({
      baseUrl: fakeApi.baseUrl,
      apiKey: API_KEY,
      eventsPerSecond: 5000,
      batchSize: 10,
      maxEvents: 20,
      simulator: smallSimulator(),
    });
    await driver.done;

    // Assess
    expect(driver.stats()).toMatchObject({
      httpErrors: 2,
      failed: 20,
      accepted: 0,
      lastError: 'HTTP 200 invalid_response',
    });
  });

  it('counts network errors without throwing when nothing listens', async () => {
    // Prepare
    const port = await closedPort();

    // Act
    const driver = startTraffic({
      baseUrl: `http://127.0.0.1:${port}`,
      apiKey: API_KEY,
      eventsPerSecond: 5000,
      batchSize: 50,
      maxEvents: 200,
      simulator: smallSimulator(),
    });
    await driver.done;
    await driver.stop();

    // Assess
    const stats = driver.stats();
    expect(stats).toMatchObject({
      batches: 4,
      sent: 200,
      accepted: 0,
      failed: 200,
      httpErrors: 0,
      networkErrors: 4,
      running: false,
      stopReason: 'max_events',
    });
    expect(stats.lastError).toContain('ECONNREFUSED');
  });

  it('keeps going after network errors until stopped', async () => {
    // Prepare
    const port = await closedPort();
    const driver = startTraffic({
      baseUrl: `http://127.0.0.1:${port}`,
      apiKey: API_KEY,
      eventsPerSecond: 1000,
      batchSize: 10,
      simulator: smallSimulator(),
    });

    // Act
    await sleep(100);
    await driver.stop();
    const afterStop = driver.stats();
    await sleep(50);

    // Assess
    expect(afterStop.networkErrors).toBeGreaterThanOrEqual(2);
    expect(afterStop).toMatchObject({ running: false, stopReason: 'stopped' });
    expect(driver.stats()).toEqual(afterStop);
  });

  it('never has more than one request in flight', async () => {
    // Prepare
    const fakeApi = await startFakeApi((events) => ({ ...acceptAll(events), delayMs: 30 }));

    // Act
    const driver = startTraffic({
      baseUrl: fakeApi.baseUrl,
      apiKey: API_KEY,
      eventsPerSecond: 10_000,
      batchSize: 20,
      maxEvents: 100,
      simulator: smallSimulator(),
    });
    await driver.done;

    // Assess
    expect(fakeApi.requests).toHaveLength(5);
    expect(fakeApi.maxInFlight()).toBe(1);
    expect(driver.stats().accepted).toBe(100);
  });

  it('slips the schedule after a slow request instead of bursting to catch up', async () => {
    // Prepare: ticks every 20 ms; the first answer takes 300 ms, i.e. fifteen ticks
    const fakeApi = await startFakeApi((events, index) => ({ ...acceptAll(events), delayMs: index === 0 ? 300 : 0 }));
    const simulator = smallSimulator();
    const pulledAt: number[] = [];
    const recording = {
      nextEvents: (n: number) => {
        pulledAt.push(performance.now()); // immediately before each request
        return simulator.nextEvents(n);
      },
    };

    // Act
    const driver = startTraffic({
      baseUrl: fakeApi.baseUrl,
      apiKey: API_KEY,
      eventsPerSecond: 500,
      batchSize: 10,
      simulator: recording,
    });
    while (pulledAt.length < 2) await sleep(5); // the slow answer has come back
    await sleep(150);
    await driver.stop();

    // Assess: one request right after the slow answer, then no more than one per 20 ms
    const [first = 0, afterSlow = 0] = pulledAt;
    expect(afterSlow - first).toBeGreaterThanOrEqual(295);
    const inNext100Ms = pulledAt.filter((t) => t >= afterSlow && t <= afterSlow + 100).length;
    expect(inNext100Ms).toBeLessThanOrEqual(1 + 100 / 20);
    expect(inNext100Ms).toBeGreaterThanOrEqual(2);
  });

  it('stop() waits for the request in flight', async () => {
    // Prepare
    const fakeApi = await startFakeApi((events) => ({ ...acceptAll(events), delayMs: 150 }));
    const driver = startTraffic({
      baseUrl: fakeApi.baseUrl,
      apiKey: API_KEY,
      eventsPerSecond: 100,
      batchSize: 10,
      simulator: smallSimulator(),
    });
    await fakeApi.firstRequest;

    // Act
    await driver.stop();

    // Assess
    expect(fakeApi.requests).toHaveLength(1);
    expect(driver.stats()).toMatchObject({ batches: 1, sent: 10, accepted: 10, running: false, stopReason: 'stopped' });
  });

  it('stops when its abort signal fires', async () => {
    // Prepare
    const fakeApi = await startFakeApi(acceptAll);
    const controller = new AbortController();

    // Act
    const driver = startTraffic({
      baseUrl: fakeApi.baseUrl,
      apiKey: API_KEY,
      eventsPerSecond: 2000,
      batchSize: 10,
      simulator: smallSimulator(),
      signal: controller.signal,
      onBatch: () => {
        if (fakeApi.requests.length === 3) controller.abort();
      },
    });
    await driver.done;

    // Assess
    expect(fakeApi.requests).toHaveLength(3);
    expect(driver.stats()).toMatchObject({ batches: 3, running: false, stopReason: 'aborted' });
  });

  it('sends nothing when the signal is already aborted', async () => {
    // Prepare
    const fakeApi = await startFakeApi(acceptAll);

    // Act
    const driver = startTraffic({
      baseUrl: fakeApi.baseUrl,
      apiKey: API_KEY,
      eventsPerSecond: 2000,
      batchSize: 10,
      simulator: smallSimulator(),
      signal: AbortSignal.abort(),
    });
    await driver.stop();

    // Assess
    expect(fakeApi.requests).toHaveLength(0);
    expect(driver.stats()).toMatchObject({ batches: 0, sent: 0, stopReason: 'aborted' });
  });

  it('survives an onBatch callback that throws', async () => {
    // Prepare
    const fakeApi = await startFakeApi(acceptAll);

    // Act
    const driver = startTraffic({
      baseUrl: fakeApi.baseUrl,
      apiKey: API_KEY,
      eventsPerSecond: 5000,
      batchSize: 10,
      maxEvents: 30,
      simulator: smallSimulator(),
      onBatch: () => {
        throw new Error('boom');
      },
    });
    await driver.done;

    // Assess
    expect(driver.stats()).toMatchObject({ batches: 3, accepted: 30, lastError: 'onBatch threw: boom' });
  });

  it('rejects options outside the API limits', () => {
    // Prepare
    const base = { baseUrl: 'http://127.0.0.1:1', apiKey: API_KEY, simulator: smallSimulator() };

    // Assess
    expect(() => startTraffic({ ...base, eventsPerSecond: 10, batchSize: apiLimits.maxEventsPerRequest + 1 })).toThrow(
      RangeError,
    );
    expect(() => startTraffic({ ...base, eventsPerSecond: 10, batchSize: 0 })).toThrow(RangeError);
    expect(() => startTraffic({ ...base, eventsPerSecond: 0, batchSize: 10 })).toThrow(RangeError);
    expect(() => startTraffic({ ...base, eventsPerSecond: 10, batchSize: 10, maxEvents: -1 })).toThrow(RangeError);
    expect(() => startTraffic({ ...base, baseUrl: 'not a url', eventsPerSecond: 10, batchSize: 10 })).toThrow(
      TypeError,
    );
  });
});
