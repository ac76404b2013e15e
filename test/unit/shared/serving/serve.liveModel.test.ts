import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveModelVersion, type LiveModelSource } from '#shared/serving/liveModel.ts';
import { ServingService } from '#shared/serving/service.ts';
import {
  FALLBACK_VERSION,
  fakeModel,
  idsOf,
  makeFixture,
  modelAnswer,
  NOW,
  seedShop,
  shutdownGateways,
  userOptions,
} from './fixtures.ts';

/** A registry whose live pointer the test moves. */
function registry(initial: string | undefined) {
  let version = initial;
  const live = vi.fn<LiveModelSource['live']>(async () => (version === undefined ? undefined : { version }));
  return {
    source: { live } satisfies LiveModelSource,
    live,
    promote: (next: string | undefined) => {
      version = next;
    },
  };
}

describe('Class: LiveModelVersion', () => {
  it('returns the registry read of the last ttlMs without reading again, then reads again', async () => {
    // Prepare
    const clock = { now: NOW };
    const { source, live, promote } = registry('v1');
    const versions = new LiveModelVersion({ source, clock: { now: () => clock.now }, ttlMs: 30_000 });
    // Act
    const first = await versions.current();
    promote('v2');
    clock.now += 29_999;
    const cached = await versions.current();
    clock.now += 1;
    const reread = await versions.current();
    // Assess
    expect([first, cached, reread]).toEqual([
      { kind: 'live', version: 'v1' },
      { kind: 'live', version: 'v1' },
      { kind: 'live', version: 'v2' },
    ]);
    expect(live).toHaveBeenCalledTimes(2);
  });

  it('returns one read to concurrent callers', async () => {
    // Prepare
    const { source, live } = registry(undefined);
    const versions = new LiveModelVersion({ source, clock: { now: () => NOW }, ttlMs: 30_000 });
    // Act
    const states = await Promise.all([versions.current(), versions.current(), versions.current()]);
    // Assess
    expect(states).toEqual([{ kind: 'none' }, { kind: 'none' }, { kind: 'none' }]);
    expect(live).toHaveBeenCalledTimes(1);
  });

  it('returns unknown when the first read fails, and the last state read when a later one fails', async () => {
    // Prepare
    const clock = { now: NOW };
    const live = vi
      .fn<LiveModelSource['live']>()
      .mockRejectedValueOnce(new Error('ProvisionedThroughputExceededException'))
      .mockResolvedValueOnce({ version: 'v1' })
      .mockRejectedValueOnce(new Error('ProvisionedThroughputExceededException'));
    const onError = vi.fn();
    const versions = new LiveModelVersion({ source: { live }, clock: { now: () => clock.now }, ttlMs: 1_000, onError });
    // Act
    const states = [];
    for (let i = 0; i < 3; i += 1) {
      states.push(await versions.current());
      clock.now += 1_000;
    }
    // Assess
    expect(states).toEqual([{ kind: 'unknown' }, { kind: 'live', version: 'v1' }, { kind: 'live', version: 'v1' }]);
    expect(onError).toHaveBeenCalledTimes(2);
  });
});

describe('Class: ServingService (the live model from the registry)', () => {
  afterEach(() => {
    shutdownGateways();
  });

  it('returns popularity, not degraded, without calling the endpoint before the first model is live', async () => {
    // Prepare
    const model = fakeModel(modelAnswer([{ itemId: 'sku-z', score: 1 }]));
    const { source } = registry(undefined);
    const fixture = makeFixture(ServingService, {
      model: model.client,
      liveModel: new LiveModelVersion({ source, clock: { now: () => NOW }, ttlMs: 30_000 }),
    });
    await seedShop(fixture.store);
    // Act
    const served = await fixture.service.forShopper('alice', userOptions());
    // Assess
    expect(model.invoke).not.toHaveBeenCalled();
    expect(fixture.onError).not.toHaveBeenCalled();
    expect(served.body).toMatchObject({ modelVersion: FALLBACK_VERSION, degraded: false });
    expect(idsOf(served).length).toBeGreaterThan(0);
  });

  it('returns the model list once a version is live, and a new version misses the cached list', async () => {
    // Prepare
    const clock = { now: NOW };
    const model = fakeModel(modelAnswer([{ itemId: 'sku-a', score: 1 }], 'v1'));
    const { source, promote } = registry('v1');
    const fixture = makeFixture(ServingService, {
      model: model.client,
      liveModel: new LiveModelVersion({ source, clock: { now: () => clock.now }, ttlMs: 30_000 }),
    });
    await seedShop(fixture.store);
    // Act
    const first = await fixture.service.forShopper('alice', userOptions());
    const again = await fixture.service.forShopper('alice', userOptions());
    promote('v2');
    clock.now += 30_000;
    const afterPromotion = await fixture.service.forShopper('alice', userOptions());
    // Assess
    expect([first.cache, again.cache, afterPromotion.cache]).toEqual(['MISS', 'HIT', 'MISS']);
    expect(first.body).toMatchObject({ modelVersion: 'v1', degraded: false });
    expect(model.invoke).toHaveBeenCalledTimes(2);
  });

  it('returns popularity again, uncached, when the registry has no live version any more', async () => {
    // Prepare
    const clock = { now: NOW };
    const model = fakeModel(modelAnswer([{ itemId: 'sku-a', score: 1 }], 'v1'));
    const { source, promote } = registry('v1');
    const fixture = makeFixture(ServingService, {
      model: model.client,
      liveModel: new LiveModelVersion({ source, clock: { now: () => clock.now }, ttlMs: 30_000 }),
    });
    await seedShop(fixture.store);
    await fixture.service.forShopper('alice', userOptions());
    // Act
    promote(undefined);
    clock.now += 30_000;
    const served = await fixture.service.forShopper('alice', userOptions());
    // Assess
    expect(served.cache).toBe('MISS');
    expect(served.body.modelVersion).toBe(FALLBACK_VERSION);
    expect(model.invoke).toHaveBeenCalledTimes(1);
  });

  it('returns the model list when the registry cannot be read (the endpoint is asked)', async () => {
    // Prepare
    const model = fakeModel(modelAnswer([{ itemId: 'sku-a', score: 1 }], 'v1'));
    const live = vi.fn<LiveModelSource['live']>().mockRejectedValue(new Error('AccessDeniedException'));
    const fixture = makeFixture(ServingService, {
      model: model.client,
      liveModel: new LiveModelVersion({ source: { live }, clock: { now: () => NOW }, ttlMs: 30_000 }),
    });
    await seedShop(fixture.store);
    // Act
    const served = await fixture.service.forShopper('alice', userOptions());
    // Assess
    expect(model.invoke).toHaveBeenCalledTimes(1);
    expect(served.body.modelVersion).toBe('v1');
  });
});
