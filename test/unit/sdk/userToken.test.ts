import { describe, expect, it, vi } from 'vitest';
import { api } from '#shared/config/index.ts';
import { memoryStorage, RecoApiError, RecoValidationError } from '../../../sdk/index.ts';
import { deferred, expiredToken, FakeFetch, listBody, settle, tokenApi } from './fakes.ts';
import { setup } from './helpers.ts';

const header = api.userTokenHeader;
const tokenOf = (call: { init: { headers: Record<string, string> } }): string | undefined => call.init.headers[header];
const eventIdsOf = (call: { json: { events?: Record<string, unknown>[] } }) => call.json.events?.map((e) => e.eventId);

describe('SDK user tokens: the header', () => {
  it('sends the token given to createRecoClient in x-reco-user-token on every request', async () => {
    // Prepare
    const fake = new FakeFetch(tokenApi(() => 'token-1'));
    const { client } = setup({ fake, userToken: 'token-1' });
    // Act
    client.track.view('a');
    await client.flush();
    await client.recommendations();
    await client.similar('a');
    await client.trending();
    await client.rank(['a', 'b']);
    // Assess
    expect(fake.calls).toHaveLength(5);
    expect(fake.calls.map(tokenOf)).toEqual(['token-1', 'token-1', 'token-1', 'token-1', 'token-1']);
  });

  it('sends no token header, and events with the anonymous id only, without a token', async () => {
    // Prepare
    const fake = new FakeFetch(tokenApi(() => 'unused'));
    const { client } = setup({ fake });
    // Act
    client.track.view('a');
    await client.flush();
    await client.recommendations();
    // Assess
    expect(fake.calls.map((c) => header in c.init.headers)).toEqual([false, false]);
    expect(fake.events).toEqual([expect.objectContaining({ anonymousId: client.anonymousId })]);
    expect(fake.events[0]).not.toHaveProperty('userId');
    expect(fake.calls[1]?.url).toContain(`/v1/users/${client.anonymousId}/recommendations`);
  });

  it('refuses a token that could not be sent as a header value', () => {
    // Act / Assess
    expect(() => setup({ userToken: 'two\nlines' })).toThrow(RecoValidationError);
    expect(() => setup({ userToken: 'x'.repeat(1025) })).toThrow(
      /userToken must be 1 to 1024 visible ASCII characters/,
    );
  });
});

describe('SDK user tokens: identify', () => {
  it('sets the token and the user id, and sends the identify event with that token', async () => {
    // Prepare
    const fake = new FakeFetch(tokenApi(() => 'token-u1'));
    const { client } = setup({ fake });
    client.track.view('before');
    // Act
    client.identify('u1', { userToken: 'token-u1' });
    client.track.view('after');
    await client.flush();
    await client.recommendations();
    // Assess
    expect(client.userId).toBe('u1');
    expect(fake.events.map((e) => [e.type, e.userId])).toEqual([
      ['view', undefined],
      ['identify', 'u1'],
      ['view', 'u1'],
    ]);
    expect(fake.calls.map(tokenOf)).toEqual(['token-u1', 'token-u1']);
    expect(fake.calls[1]?.url).toContain('/v1/users/u1/recommendations');
  });

  it('uses the token given to createRecoClient for the first identify, and only replaces it on a second one', async () => {
    // Prepare
    const fake = new FakeFetch(tokenApi(() => 'token-b'));
    const { client } = setup({ fake, userToken: 'token-a' });
    // Act
    client.identify('u1');
    client.identify('u1', { userToken: 'token-b' });
    await client.flush();
    // Assess
    expect(fake.events.map((e) => e.type)).toEqual(['identify']);
    expect(fake.calls.map(tokenOf)).toEqual(['token-b']);
  });

  it("needs the new user's token to sign in another user, and sends each user's events with their own token", async () => {
    // Prepare
    const fake = new FakeFetch(tokenApi(() => 'token-u2'));
    fake.answer({ status: 200, body: { accepted: 2, rejected: [] } });
    const { client, errors } = setup({ fake });
    client.identify('u1', { userToken: 'token-u1' });
    client.track.view('a');
    // Act
    client.identify('u2');
    const withoutToken = errors[0]?.error;
    client.identify('u2', { userToken: 'token-u2' });
    client.track.view('b');
    await client.flush();
    // Assess
    expect(withoutToken).toBeInstanceOf(RecoValidationError);
    expect(withoutToken).toMatchObject({ field: 'userToken' });
    expect(fake.calls.map((c) => [tokenOf(c), c.json.events?.map((e) => e.userId)])).toEqual([
      ['token-u1', ['u1', 'u1']],
      ['token-u2', ['u2', 'u2']],
    ]);
  });

  it('forgets the token on reset: later requests carry none', async () => {
    // Prepare
    const fake = new FakeFetch(tokenApi(() => 'token-u1'));
    const { client } = setup({ fake });
    client.identify('u1', { userToken: 'token-u1' });
    await client.flush();
    // Act
    client.reset();
    client.track.view('a');
    await client.flush();
    await client.trending();
    // Assess
    expect(fake.calls.map(tokenOf)).toEqual(['token-u1', undefined, undefined]);
  });

  it('refuses tracking and reads for a stored user when the page passed no token, naming userToken', async () => {
    // Prepare
    const storage = memoryStorage();
    setup({ storage }).client.identify('u1', { userToken: 'token-u1' });
    const { client, fake, errors } = setup({ storage });
    // Act
    client.track.view('a');
    client.track.purchaseOrder({ items: [{ itemId: 'a' }] });
    const reads = await Promise.all([client.recommendations(), client.rank(['a'])].map((p) => p.catch((e) => e)));
    // Assess
    expect(client.userId).toBe('u1');
    for (const error of [...errors.map((e) => e.error), ...reads]) {
      expect(error).toBeInstanceOf(RecoValidationError);
      expect(error.message).toMatch(/userToken is required while "u1" is signed in/);
    }
    expect(errors).toHaveLength(2);
    expect(client.pendingEvents).toBe(0);
    await client.trending();
    expect(fake.calls).toHaveLength(1);
  });
});

describe('SDK user tokens: expiry', () => {
  it('on a 401 invalid_user_token gets a fresh token once and sends the same events again with it', async () => {
    // Prepare
    let valid = 'old';
    const fake = new FakeFetch(tokenApi(() => valid));
    const onTokenExpired = vi.fn(async () => 'fresh');
    const { client, errors } = setup({ fake, userToken: 'old', onTokenExpired });
    client.identify('u1');
    const viewId = client.track.view('a');
    valid = 'fresh';
    // Act
    const result = await client.flush();
    await client.recommendations();
    // Assess
    expect(onTokenExpired).toHaveBeenCalledTimes(1);
    expect(fake.calls.map(tokenOf)).toEqual(['old', 'fresh', 'fresh']);
    expect(fake.calls[1]?.init.body).toBe(fake.calls[0]?.init.body);
    expect(eventIdsOf(fake.calls[1] as never)).toEqual([expect.any(String), viewId]);
    expect(result).toMatchObject({ accepted: 2, dropped: 0, pending: 0 });
    expect(errors).toEqual([]);
  });

  it('takes a token returned synchronously and retries a read once with it', async () => {
    // Prepare
    const fake = new FakeFetch(tokenApi(() => 'fresh'));
    const onTokenExpired = vi.fn(() => 'fresh');
    const { client } = setup({ fake, userToken: 'old', onTokenExpired });
    // Act
    const list = await client.trending();
    // Assess
    expect(list).toMatchObject(listBody);
    expect(fake.calls.map(tokenOf)).toEqual(['old', 'fresh']);
    expect(fake.calls[1]?.url).toBe(fake.calls[0]?.url);
    expect(onTokenExpired).toHaveBeenCalledTimes(1);
  });

  it('shares one onTokenExpired call among concurrent requests that meet the expired token', async () => {
    // Prepare
    let valid = 'old';
    const fake = new FakeFetch(tokenApi(() => valid));
    const refresh = deferred<string>();
    const onTokenExpired = vi.fn(() => refresh.promise);
    const { client } = setup({ fake, userToken: 'old', onTokenExpired });
    valid = 'fresh';
    client.track.view('a');
    // Act
    const flushed = client.flush();
    const reads = [client.trending(), client.recommendations(), client.rank(['a'])];
    await settle();
    const callsWhileRefreshing = onTokenExpired.mock.calls.length;
    refresh.resolve('fresh');
    const result = await flushed;
    await Promise.all(reads);
    // Assess
    expect(callsWhileRefreshing).toBe(1);
    expect(onTokenExpired).toHaveBeenCalledTimes(1);
    expect(fake.calls.map(tokenOf).sort()).toEqual(['fresh', 'fresh', 'fresh', 'fresh', 'old', 'old', 'old', 'old']);
    expect(result).toMatchObject({ accepted: 1, pending: 0 });
  });

  it('keeps the events queued when onTokenExpired fails, reports a RecoApiError 401, and delivers them later', async () => {
    // Prepare
    const fake = new FakeFetch(tokenApi(() => 'fresh'));
    const onTokenExpired = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new Error('shop backend down'))
      .mockResolvedValue('fresh');
    const { client, clock, errors } = setup({ fake, userToken: 'old', onTokenExpired });
    const viewId = client.track.view('a');
    // Act
    const first = await client.flush();
    const pendingAfterFailure = client.pendingEvents;
    await clock.advance(5_000);
    // Assess
    expect(first).toMatchObject({ accepted: 0, dropped: 0, pending: 1 });
    expect(pendingAfterFailure).toBe(1);
    expect(errors.map((e) => [e.kind, e.events])).toEqual([['user_token_expired', 1]]);
    expect(errors[0]?.error).toBeInstanceOf(RecoApiError);
    expect(errors[0]?.error).toMatchObject({ status: 401, reason: 'invalid_user_token' });
    expect((errors[0]?.error.cause as Error).message).toBe('shop backend down');
    expect(onTokenExpired).toHaveBeenCalledTimes(2);
    expect(fake.calls.map(tokenOf)).toEqual(['old', 'fresh']);
    expect(fake.calls.map((c) => eventIdsOf(c))).toEqual([[viewId], [viewId]]);
    expect(client.pendingEvents).toBe(0);
  });

  it('without onTokenExpired keeps the events queued, sends nothing more, and delivers them once identify sets a token', async () => {
    // Prepare
    const fake = new FakeFetch(tokenApi(() => 'fresh'));
    const { client, clock, errors } = setup({ fake, userToken: 'old' });
    client.identify('u1');
    client.track.view('a');
    const first = await client.flush();
    const sentBefore = fake.calls.map((c) => eventIdsOf(c));
    // Act
    await clock.advance(120_000);
    const callsWhileWaiting = fake.calls.length;
    const timersWhileWaiting = clock.pendingTimers;
    client.identify('u1', { userToken: 'fresh' });
    await settle();
    // Assess
    expect(first).toMatchObject({ accepted: 0, pending: 2 });
    expect(errors.map((e) => [e.kind, e.events, (e.error as RecoApiError).reason])).toEqual([
      ['user_token_expired', 2, 'invalid_user_token'],
    ]);
    expect(callsWhileWaiting).toBe(1);
    expect(timersWhileWaiting).toBe(0);
    expect(fake.calls.map(tokenOf)).toEqual(['old', 'fresh']);
    expect(eventIdsOf(fake.calls[1] as never)).toEqual(sentBefore[0]);
    expect(client.pendingEvents).toBe(0);
  });

  it('rejects a read with RecoApiError 401 invalid_user_token when no fresh token can be had', async () => {
    // Prepare
    const fake = new FakeFetch(() => expiredToken);
    const { client } = setup({ fake, userToken: 'old', onTokenExpired: () => 'still-bad' });
    const { client: withoutRefresh } = setup({ fake, userToken: 'old' });
    // Act
    const afterRetry = await client.recommendations().catch((e: unknown) => e);
    const unrefreshed = await withoutRefresh.trending().catch((e: unknown) => e);
    // Assess
    expect(afterRetry).toBeInstanceOf(RecoApiError);
    expect(afterRetry).toMatchObject({ status: 401, reason: 'invalid_user_token' });
    expect(unrefreshed).toMatchObject({ status: 401, reason: 'invalid_user_token' });
    expect(fake.calls.map(tokenOf)).toEqual(['old', 'still-bad', 'old']);
  });

  it("drops, with a notice, a signed-out user's events whose token expired: no one can renew it", async () => {
    // Prepare
    const fake = new FakeFetch(tokenApi(() => 'token-u2'));
    const onTokenExpired = vi.fn(() => 'token-u2');
    const { client, errors } = setup({ fake, onTokenExpired });
    client.identify('u1', { userToken: 'token-u1' });
    client.track.view('a');
    // Act
    client.reset();
    const result = await client.flush();
    // Assess
    expect(onTokenExpired).not.toHaveBeenCalled();
    expect(result).toMatchObject({ accepted: 0, dropped: 2, pending: 0 });
    expect(errors.map((e) => [e.kind, (e.error as RecoApiError).status])).toEqual([['dropped', 401]]);
  });
});
