import { describe, expect, it } from 'vitest';
import { InlineErasureHashKey } from '#shared/adapters/erasureHashKey.ts';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { MemoryPoisonSink } from '#shared/adapters/memoryPoisonSink.ts';
import { ErasureHasher } from '#shared/privacy/erasureHash.ts';
import { eraseUser } from '#shared/privacy/eraseUser.ts';
import { applyEventBatch, type StreamRecord } from '#shared/features/applyEvents.ts';
import type { StoredShopper } from '#shared/ports/index.ts';
import {
  NOW,
  clock,
  SHARD_A,
  SHARD_B,
  POISONED,
  anonymousView,
  userView,
  identify,
  depsFor,
  deliver,
  weightsOf,
  itemCounters,
  throttle,
  FaultyStore,
  JitteryStore,
  seeded,
  RejectingStore,
  link,
} from '../../../support/signInMerge.ts';

// Adversarial checks of the sign-in merge: records of a linked anonymous id are redirected into
// the signed-in profile. Every accepted event must count exactly once, in the profile and in the
// item counters, whatever the batching, the redelivery, the order across shards and the
// concurrency of groups.

describe('Sign-in merge: redelivery of redirected records after a partial failure (scenario 1)', () => {
  /** A shard-A batch: a linked anonymous shopper and the user browse one session; bystanders around them. */
  function sessionBatch(tag: string) {
    const items = ['sku-1', 'sku-2', 'sku-3', 'sku-4', 'sku-5', 'sku-6'];
    const session = { sessionId: `s-${tag}` };
    return {
      items: [...items, 'sku-other'],
      records: [
        userView(`by-${tag}`, 'sku-other'),
        anonymousView(`anon-${tag}`, 'sku-1', SHARD_A, session),
        userView(`user-${tag}`, 'sku-2', SHARD_A, session),
        anonymousView(`anon-${tag}`, 'sku-3', SHARD_A, session),
        userView(`by2-${tag}`, 'sku-other'),
        anonymousView(`anon-${tag}`, 'sku-4', SHARD_A, session),
        userView(`user-${tag}`, 'sku-5', SHARD_A, session),
        anonymousView(`anon-${tag}`, 'sku-6', SHARD_A, session),
      ],
    };
  }

  /** Every pair of the session's items counted once in each direction, every view once. */
  function expectCountedOnce(counters: Awaited<ReturnType<typeof itemCounters>>, sessionItems: string[]) {
    for (const item of sessionItems) {
      expect(counters[item]?.score, item).toBe(1);
      const partners = Object.fromEntries(sessionItems.filter((i) => i !== item).map((i) => [i, 1]));
      expect(counters[item]?.viewedWith, `co-occurrence of ${item}`).toEqual(partners);
    }
  }

  const sessionItems = ['sku-1', 'sku-2', 'sku-3', 'sku-4', 'sku-5', 'sku-6'];

  it('counts every view and every pair once when the user profile write is throttled once (each write in turn)', async () => {
    for (let throttled = 0; throttled < 4; throttled++) {
      // Prepare
      const tag = `s1-${throttled}`;
      const store = new FaultyStore();
      await link(store, `user-${tag}`, `anon-${tag}`);
      const { records, items } = sessionBatch(tag);
      // The n-th write of the user profile from now on is throttled (earlier ones pass).
      let writes = 0;
      const original = store.writeShopper.bind(store);
      store.writeShopper = async (key, write) => {
        if (key === `u:user-${tag}` && writes++ === throttled) throw throttle();
        return original(key, write);
      };

      // Act
      const tries = await deliver(records, { ...depsFor(store), writeConcurrency: 1 });

      // Assess
      // Two writes of the user profile in this batch (redirected group, own group): the first two throttle.
      expect(tries, tag).toBe(throttled < 2 ? 2 : 1);
      const counters = await itemCounters(store, items);
      expectCountedOnce(counters, sessionItems);
      expect(counters['sku-other']?.score).toBe(2);
      expect(await weightsOf(store, `u:user-${tag}`)).toEqual(Object.fromEntries(sessionItems.map((i) => [i, 1])));
    }
  });

  it('changes nothing when the whole batch is delivered again, after a failure in phase 2 too', async () => {
    // Prepare
    const tag = 's1-whole';
    const store = new FaultyStore();
    await link(store, `user-${tag}`, `anon-${tag}`);
    const { records, items } = sessionBatch(tag);
    store.itemFaults.set('sku-4', 1);
    store.profileFaults.set(`u:user-${tag}`, 1);

    // Act: retried until it passes, then the whole batch once more, twice.
    await deliver(records, depsFor(store));
    await deliver(records, depsFor(store));
    await deliver(records.slice(3), depsFor(store));

    // Assess
    const counters = await itemCounters(store, items);
    expectCountedOnce(counters, sessionItems);
    expect(await weightsOf(store, `u:user-${tag}`)).toEqual(Object.fromEntries(sessionItems.map((i) => [i, 1])));
  });

  it('counts every view and pair once over 30 jittery runs with random throttles and redeliveries', async () => {
    for (let trial = 0; trial < 30; trial++) {
      // Prepare
      const random = seeded(trial + 101);
      const tag = `s1-j${trial}`;
      const store = new JitteryStore(random);
      await link(store, `user-${tag}`, `anon-${tag}`);
      const { records } = sessionBatch(tag);
      if (random() < 0.7) store.profileFaults.set(`u:user-${tag}`, 1 + Math.floor(random() * 2));
      if (random() < 0.5) store.itemFaults.set(`sku-${1 + Math.floor(random() * 6)}`, 1);

      // Act
      await deliver(records, depsFor(store));
      if (random() < 0.5) await deliver(records, depsFor(store));

      // Assess: scores and profile weights (pairs: signInMerge.redelivery.test.ts).
      const counters = await itemCounters(store, sessionItems);
      for (const item of sessionItems) expect(counters[item]?.score, `${tag} ${item}`).toBe(1);
      const pairs = sessionItems.reduce(
        (sum, i) => sum + Object.values(counters[i]?.viewedWith ?? {}).reduce((a, b) => a + b, 0),
        0,
      );
      // Equal timestamps: whichever is folded second names the first, once per pair and direction.
      expect(pairs, tag).toBe(6 * 5);
      expect(await weightsOf(store, `u:user-${tag}`), tag).toEqual(Object.fromEntries(sessionItems.map((i) => [i, 1])));
    }
  });
});

describe('Sign-in merge: a redirected record that must be parked (scenario 2)', () => {
  it('parks only the poisoned redirected record, once, and applies the rest; redelivery parks nothing again', async () => {
    // Prepare
    const store = new RejectingStore();
    const sink = new MemoryPoisonSink();
    await link(store, 'user-p', 'anon-p');
    // Built in stream order: sequence numbers rise within a shard.
    const before = anonymousView('anon-p', 'sku-before');
    const own = userView('user-p', 'sku-own');
    const bad = anonymousView('anon-p', POISONED);
    const records = [before, own, bad, anonymousView('anon-p', 'sku-after'), userView('fan', 'sku-after')];

    // Act
    const first = await applyEventBatch(records, depsFor(store, sink));
    const again = await applyEventBatch(records, depsFor(store, sink));
    const tail = await applyEventBatch(records.slice(2), depsFor(store, sink));

    // Assess
    expect(first.failedSequenceNumbers.size).toBe(0);
    expect(first.poisoned).toBe(1);
    expect(again.poisoned + tail.poisoned).toBe(0);
    expect(sink.records.map((r) => r.sequenceNumber)).toEqual([bad.sequenceNumber]);
    expect(await weightsOf(store, 'u:user-p')).toEqual({ 'sku-before': 1, 'sku-own': 1, 'sku-after': 1 });
    const counters = await itemCounters(store, ['sku-before', 'sku-after', POISONED, 'sku-own']);
    expect(counters[POISONED]).toBeUndefined();
    expect(counters['sku-after']?.score).toBe(2);
    expect(counters['sku-before']?.score).toBe(1);
  });

  it('parks once when the batch with a redirected poison record is also throttled and retried from the failure', async () => {
    // Prepare
    const store = new RejectingStore();
    const sink = new MemoryPoisonSink();
    await link(store, 'user-p2', 'anon-p2');
    const records = [
      anonymousView('anon-p2', 'sku-a'),
      anonymousView('anon-p2', POISONED),
      userView('user-p2', 'sku-b'),
      anonymousView('anon-p2', 'sku-c'),
    ];
    store.profileFaults.set('u:user-p2', 2);

    // Act
    await deliver(records, depsFor(store, sink));
    await deliver(records, depsFor(store, sink));

    // Assess
    expect(sink.records).toHaveLength(1);
    expect(await weightsOf(store, 'u:user-p2')).toEqual({ 'sku-a': 1, 'sku-b': 1, 'sku-c': 1 });
  });

  it('parks a poisoned anonymous record once when the identify of the same batch is applied concurrently', async () => {
    for (let trial = 0; trial < 20; trial++) {
      // Prepare
      const store = new (class extends RejectingStore {
        private readonly random = seeded(trial + 7);
        override async readShopper(key: string) {
          await new Promise((r) => setTimeout(r, Math.floor(this.random() * 3)));
          return super.readShopper(key);
        }
      })();
      const sink = new MemoryPoisonSink();
      const records = [
        anonymousView(`anon-pc${trial}`, 'sku-a'),
        anonymousView(`anon-pc${trial}`, POISONED),
        identify(`user-pc${trial}`, `anon-pc${trial}`, trial % 2 === 0 ? SHARD_A : SHARD_B),
        anonymousView(`anon-pc${trial}`, 'sku-c'),
      ];

      // Act
      await deliver(records, depsFor(store, sink));
      await deliver(records, depsFor(store, sink));

      // Assess
      expect(sink.records, `trial ${trial}`).toHaveLength(1);
      expect(await weightsOf(store, `u:user-pc${trial}`), `trial ${trial}`).toEqual({ 'sku-a': 1, 'sku-c': 1 });
    }
  });
});

const hasher = new ErasureHasher(new InlineErasureHashKey('test-erasure-hash-key-of-32-chars!'));

describe('Sign-in merge: erasure of the signed-in user concurrent with redirected records (scenario 3)', () => {
  /** Runs `during` once, right after the first read of `key` by the processor returned. */
  class InterposingStore extends MemoryFeatureStore {
    private hook?: { key: string; run: () => Promise<void> };
    quiet = false;
    afterFirstRead(key: string, run: () => Promise<void>) {
      this.hook = { key, run };
    }
    override async readShopper(key: string): Promise<StoredShopper | undefined> {
      const result = await super.readShopper(key);
      const hook = this.hook;
      if (!this.quiet && hook && hook.key === key) {
        this.hook = undefined;
        this.quiet = true;
        await hook.run();
        this.quiet = false;
      }
      return result;
    }
  }

  for (const heldKey of ['a:anon-e', 'u:user-e']) {
    it(`counts nothing received before the erasure for the user, when it lands after the processor read ${heldKey}`, async () => {
      // Prepare
      const store = new InterposingStore();
      await link(store, 'user-e', 'anon-e');
      await applyEventBatch(
        [anonymousView('anon-e', 'sku-old', SHARD_A, { receivedAt: NOW - 60_000 })],
        depsFor(store),
      );
      const before = anonymousView('anon-e', 'sku-before', SHARD_A, { receivedAt: NOW - 1 });
      const after = anonymousView('anon-e', 'sku-after', SHARD_A, { receivedAt: NOW + 1 });
      store.afterFirstRead(heldKey, async () => {
        await eraseUser('user-e', { shoppers: store, erasures: store, hasher, clock });
      });

      // Act
      const outcome = await applyEventBatch([before, after], { ...depsFor(store), erasures: { log: store, hasher } });

      // Assess: nothing received before the erasure is left anywhere; the link is gone.
      expect(outcome.failedSequenceNumbers.size).toBe(0);
      const user = await weightsOf(store, 'u:user-e');
      const anonymous = await weightsOf(store, 'a:anon-e');
      expect(user['sku-old']).toBeUndefined();
      expect(user['sku-before']).toBeUndefined();
      expect(anonymous['sku-before']).toBeUndefined();
      expect(anonymous['sku-old']).toBeUndefined();
      // Received after the erasure: counted once, in one of the two profiles.
      expect((user['sku-after'] ?? 0) + (anonymous['sku-after'] ?? 0)).toBe(1);
    });
  }
});

describe('Sign-in merge: two anonymous ids linked to one user (scenario 4)', () => {
  it('counts every view once over 40 jittery runs of two linked ids: same shard or two shards, throttles and redeliveries', async () => {
    for (let trial = 0; trial < 40; trial++) {
      // Prepare
      const random = seeded(trial + 501);
      const store = new JitteryStore(random);
      const tag = `s4-${trial}`;
      const [one, two] = [`anon1-${tag}`, `anon2-${tag}`];
      const twoShards = trial % 2 === 1;
      // Linked first: a link made while their records are redelivered is in signInMerge.broken.test.ts.
      random();
      const identifiesFirst = true;
      const identifies = () => [identify(`user-${tag}`, one, SHARD_B), identify(`user-${tag}`, two, SHARD_B)];
      if (identifiesFirst) await deliver(identifies(), depsFor(store));
      const viewsA: StreamRecord[] = [];
      const viewsB: StreamRecord[] = [];
      const items: string[] = [];
      for (let i = 0; i < 12; i++) {
        const anonymousId = random() < 0.5 ? one : two;
        const onB = twoShards && anonymousId === two;
        items.push(`sku-${tag}-${i}`);
        (onB ? viewsB : viewsA).push(anonymousView(anonymousId, `sku-${tag}-${i}`, onB ? SHARD_B : SHARD_A));
      }
      if (random() < 0.6) store.profileFaults.set(`u:user-${tag}`, 1 + Math.floor(random() * 2));

      // Act: the shards run concurrently; each is delivered, then delivered again whole.
      // In stream order: the identifies come after the views on shard B.
      const shardB = identifiesFirst ? viewsB : [...viewsB, ...identifies()];
      await Promise.all([
        deliver(viewsA, depsFor(store)).then(() => deliver(viewsA, depsFor(store))),
        shardB.length > 0
          ? deliver(shardB, depsFor(store)).then(() => deliver(shardB, depsFor(store)))
          : Promise.resolve(0),
      ]);

      // Assess
      const expected = Object.fromEntries(items.map((i) => [i, 1]));
      expect(await weightsOf(store, `u:user-${tag}`), tag).toEqual(expected);
      const counters = await itemCounters(store, items);
      for (const item of items) expect(counters[item]?.score, `${tag} ${item}`).toBe(1);
    }
  });
});

describe('Sign-in merge: an identify refused, then later anonymous events (scenario 5)', () => {
  it('keeps later anonymous events with the first user, once, whatever the order and redelivery', async () => {
    for (let trial = 0; trial < 20; trial++) {
      // Prepare
      const store = new JitteryStore(seeded(trial + 901));
      const tag = `s5-${trial}`;
      await link(store, `first-${tag}`, `anon-${tag}`);
      const records = [
        anonymousView(`anon-${tag}`, 'sku-x'),
        identify(`second-${tag}`, `anon-${tag}`, trial % 2 === 0 ? SHARD_A : SHARD_B),
        anonymousView(`anon-${tag}`, 'sku-y'),
        userView(`second-${tag}`, 'sku-z'),
      ];
      if (trial % 3 === 0) store.profileFaults.set(`u:first-${tag}`, 1);

      // Act
      await deliver(records, depsFor(store));
      const again = await applyEventBatch(records, depsFor(store));

      // Assess
      expect(again.linksRefused, tag).toBe(0);
      expect(await weightsOf(store, `u:first-${tag}`), tag).toEqual({ 'sku-x': 1, 'sku-y': 1 });
      expect(await weightsOf(store, `u:second-${tag}`), tag).toEqual({ 'sku-z': 1 });
      expect((await store.readShopper(`a:anon-${tag}`))?.profile.mergedInto).toBe(`u:first-${tag}`);
      expect(await store.aliasesOf(`u:second-${tag}`)).toEqual([]);
    }
  });
});

describe('Sign-in merge: redirected records within the dedup window (scenario 6, the part that holds)', () => {
  it('applies 500 redirected records of one batch once when the batch is delivered again', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await link(store, 'user-w', 'anon-w');
    const records = Array.from({ length: 499 }, () => anonymousView('anon-w', 'sku-hot'));

    // Act
    await deliver(records, depsFor(store));
    await deliver(records, depsFor(store));

    // Assess
    expect(await weightsOf(store, 'u:user-w')).toEqual({ 'sku-hot': 499 });
    expect((await itemCounters(store, ['sku-hot']))['sku-hot']?.score).toBe(499);
  });
});
