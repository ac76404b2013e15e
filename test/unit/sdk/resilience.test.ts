import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '#shared/config/index.ts';
import { memoryStorage, RecoNetworkError, type FetchLike } from '../../../sdk/index.ts';
import { acceptAll, FakeFetch, settle, type FetchCall } from './fakes.ts';
import { setup } from './helpers.ts';

/** A fetch whose first `hangs` calls never answer; later ones go to `fake`. */
function hangingFetch(fake: FakeFetch, hangs: number): FetchLike {
  let calls = 0;
  return (url, init) => (++calls <= hangs ? new Promise(() => {}) : fake.fetch(url, init));
}

describe('SDK delivery: timeouts', () => {
  it('rejects a read the API never answers with a RecoNetworkError timeout, after timeoutMs', async () => {
    // Prepare
    const { client, clock } = setup({ fetch: () => new Promise(() => {}), timeoutMs: 3_000 });
    // Act
    const read = client.trending().catch((e: unknown) => e);
    await clock.advance(3_000);
    // Assess
    expect(await read).toBeInstanceOf(RecoNetworkError);
    expect(await read).toMatchObject({ reason: 'timeout' });
  });

  it('counts the batch in flight as pending, and a stuck send does not hold later events beyond the timeout', async () => {
    // Prepare
    const fake = new FakeFetch();
    const { client, clock } = setup({ fetch: hangingFetch(fake, 1), timeoutMs: 3_000, flushIntervalMs: 100 });
    // Act
    const first = client.track.view('a');
    await clock.advance(100);
    const inFlight = client.pendingEvents;
    const second = client.track.view('b');
    await clock.advance(3_000 + 30_000);
    // Assess
    expect(inFlight).toBe(1);
    expect(fake.events.map((e) => e.eventId)).toEqual([first, second]);
    expect(client.pendingEvents).toBe(0);
  });
});

describe('SDK delivery: a stored queue', () => {
  it('delivers events queued while the API was down once after a reload, with the same eventIds', async () => {
    // Prepare
    const queueStorage = memoryStorage();
    const storage = memoryStorage();
    const down = new FakeFetch(() => new TypeError('fetch failed'));
    const before = setup({ fake: down, storage, queueStorage, retry: { maxRetries: 0 } });
    const ids = [before.client.track.view('a'), before.client.track.view('b'), before.client.track.search('shoes')];
    await before.client.flush();
    before.client.close();
    await settle(); // the page's last write of its queue, before it is gone
    // Act: the page reloads and the API is back.
    const after = setup({ storage, queueStorage });
    await after.client.flush();
    // Assess
    expect(after.fake.events.map((e) => e.eventId)).toEqual(ids);
    expect(after.client.pendingEvents).toBe(0);
    // A third page finds nothing left to send.
    const third = setup({ storage, queueStorage });
    await third.client.flush();
    expect(third.fake.calls).toHaveLength(0);
  });

  it('keeps the events of two tabs apart, and a new page adopts both', async () => {
    // Prepare
    const queueStorage = memoryStorage();
    const down = () => new FakeFetch(() => new TypeError('offline'));
    const tabA = setup({ fake: down(), queueStorage, retry: { maxRetries: 0 } });
    const tabB = setup({ fake: down(), queueStorage, retry: { maxRetries: 0 } });
    const idA = tabA.client.track.view('a');
    const idB = tabB.client.track.view('b');
    await Promise.all([tabA.client.flush(), tabB.client.flush()]);
    // Act
    const next = setup({ queueStorage });
    await next.client.flush();
    // Assess
    expect(new Set(next.fake.events.map((e) => e.eventId))).toEqual(new Set([idA, idB]));
  });
});

describe('SDK delivery: configuration errors and coming back online', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('reports a 404 from a wrong route as a configuration error and does not retry it', async () => {
    // Prepare
    const notFound = { status: 404, body: api.gatewayErrors.routeNotFound };
    const { client, fake, errors, clock } = setup({ fake: new FakeFetch(() => notFound) });
    // Act
    client.track.view('a');
    const result = await client.flush();
    await clock.advance(120_000);
    // Assess
    expect(result).toMatchObject({ dropped: 1, pending: 0 });
    expect(errors).toMatchObject([{ kind: 'configuration_error', events: 1 }]);
    expect(fake.calls).toHaveLength(1);
  });

  it('sends at once when the browser comes back online, without waiting for the backoff', async () => {
    // Prepare
    const listeners = new Map<string, () => void>();
    vi.stubGlobal('addEventListener', (type: string, fn: () => void) => listeners.set(type, fn));
    vi.stubGlobal('removeEventListener', (type: string) => listeners.delete(type));
    let online = false;
    const fake = new FakeFetch((call: FetchCall) => (online ? acceptAll(call) : new TypeError('offline')));
    const { client, clock } = setup({ fake, retry: { maxRetries: 0, baseDelayMs: 30_000, maxDelayMs: 30_000 } });
    client.track.view('a');
    await client.flush();
    const callsOffline = fake.calls.length;
    // Act
    online = true;
    listeners.get('online')?.();
    await clock.advance(0);
    // Assess
    expect(callsOffline).toBe(1);
    expect(fake.events.filter((e) => e.itemId === 'a')).toHaveLength(2);
    expect(client.pendingEvents).toBe(0);
    await client.close();
    expect(listeners.has('online')).toBe(false);
  });
});
