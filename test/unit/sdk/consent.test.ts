import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '#shared/config/index.ts';
import { memoryStorage, type RecoStorage } from '../../../sdk/index.ts';
import { FakeFetch, listBody, settle } from './fakes.ts';
import { setup } from './helpers.ts';

/** A storage that records every key written. */
function recordingStorage(): RecoStorage & { written: string[] } {
  const inner = memoryStorage();
  const written: string[] = [];
  return {
    written,
    getItem: (key) => inner.getItem(key),
    setItem: (key, value) => {
      written.push(key);
      inner.setItem(key, value);
    },
    removeItem: (key) => inner.removeItem(key),
  };
}

const lists = () =>
  new FakeFetch((call) =>
    call.url.includes('/v1/events')
      ? { status: 200, body: { accepted: 1, rejected: [] } }
      : { status: 200, body: listBody },
  );

describe('SDK consent', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('stores and sends nothing while consent is pending, then sends what was held once granted', async () => {
    // Prepare
    const storage = recordingStorage();
    const queueStorage = recordingStorage();
    const { client, fake, clock } = setup({ consent: 'pending', storage, queueStorage });
    // Act
    const id = client.track.view('a');
    await clock.advance(60_000);
    await settle();
    const before = { calls: fake.calls.length, written: [...storage.written, ...queueStorage.written] };
    client.grantConsent();
    await client.flush();
    // Assess
    expect(client.consent).toBe('granted');
    expect(before).toEqual({ calls: 0, written: [] });
    expect(fake.events.map((e) => e.eventId)).toEqual([id]);
    expect(storage.getItem('reco.anonymousId')).toBe(client.anonymousId);
  });

  it('starts opted out under Global Privacy Control: tracking does nothing and nothing is stored', async () => {
    // Prepare
    vi.stubGlobal('navigator', { globalPrivacyControl: true });
    const storage = recordingStorage();
    const { client, fake, errors } = setup({ storage, consent: 'granted' });
    // Act
    const id = client.track.view('a');
    await client.flush();
    // Assess
    expect(client.consent).toBe('denied');
    expect(id).toBeUndefined();
    expect(fake.calls).toHaveLength(0);
    expect(errors).toEqual([]);
    expect(storage.written).toEqual([]);
  });

  it('on optOut clears the queue and the stored ids, and reads lists as an anonymous cold start', async () => {
    // Prepare
    const storage = memoryStorage();
    const queueStorage = memoryStorage();
    const fake = lists();
    const { client, clock } = setup({ fake, storage, queueStorage, flushIntervalMs: 60_000 });
    client.identify('u1', { userToken: 'token-u1' });
    client.track.view('a');
    await clock.advance(0);
    const anonymousId = client.anonymousId;
    // Act
    client.optOut();
    await settle();
    client.track.view('b');
    await client.flush();
    await client.recommendations();
    await client.recommendations();
    // Assess
    expect(client.pendingEvents).toBe(0);
    expect(fake.events).toEqual([]);
    for (const key of ['reco.anonymousId', 'reco.userId', 'reco.session', 'reco.lists', 'reco.queues']) {
      expect(storage.getItem(key) ?? queueStorage.getItem(key)).toBeNull();
    }
    const reads = fake.calls.map((c) => c.url);
    expect(reads).toHaveLength(2);
    expect(reads[0]).not.toContain(anonymousId);
    expect(reads[0]).not.toContain('u1');
    expect(reads[0]).not.toBe(reads[1]);
    expect(fake.calls.every((c) => c.init.headers[api.userTokenHeader] === undefined)).toBe(true);
  });
});
