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
  FaultyStore,
  JitteryStore,
  seeded,
  RejectingStore,
  link,
} from '../../../support/signInMerge.ts';

// The sign-in merge under redelivery: records of a linked anonymous id are redirected into the
// signed-in profile; a redelivery recognises them by the anonymous id's own high-water mark (and,
// until that lands, by record id). Every accepted event counts once, in the profile and in the item
// counters, whatever the batching, the redelivery, the order across shards and erasures between.

describe('Jittery: two anonymous ids, their links made while their records are redelivered (scenario 4)', () => {
  it('counts every view once over 40 jittery runs: same shard or two shards, throttles and redeliveries', async () => {
    for (let trial = 0; trial < 40; trial++) {
      // Prepare
      const random = seeded(trial + 501);
      const store = new JitteryStore(random);
      const tag = `s4-${trial}`;
      const [one, two] = [`anon1-${tag}`, `anon2-${tag}`];
      const twoShards = trial % 2 === 1;
      const identifiesFirst = random() < 0.5;
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

describe('anonymous records applied before the link, redelivered while the link is claimed but not absorbed', () => {
  it('counts each anonymous view once in the user profile', async () => {
    // Prepare: shard A holds a bystander and two anonymous views; shard B the identify, later.
    const store = new FaultyStore();
    const shardA = [
      userView('bystander', 'sku-x'),
      anonymousView('anon-b1', 'sku-1'),
      anonymousView('anon-b1', 'sku-2'),
    ];
    const shardB = [identify('user-b1', 'anon-b1', SHARD_B)];
    // 1. Shard A: the bystander's write is throttled; the anonymous views land on a:anon-b1, but
    //    they follow the failed record, so Lambda will deliver them again.
    store.profileFaults.set('u:bystander', 1);
    const first = await applyEventBatch(shardA, depsFor(store));
    expect(first.failedSequenceNumbers.has(shardA[1]!.sequenceNumber)).toBe(true);
    // 2. Shard B: the identify claims a:anon-b1 (mergedInto set, history kept until absorbed), and
    //    the user's profile write is throttled: the link waits for Lambda's retry.
    store.profileFaults.set('u:user-b1', 1);
    expect((await applyEventBatch(shardB, depsFor(store))).failedSequenceNumbers.size).toBe(1);

    // Act: Lambda retries shard A, then shard B.
    await deliver(shardA, depsFor(store));
    await deliver(shardB, depsFor(store));

    // Assess: the retry of shard A finds them under the anonymous id's own mark, so only the
    // link's history brings them.
    expect.soft(await weightsOf(store, 'u:user-b1')).toEqual({ 'sku-1': 1, 'sku-2': 1 });
    expect((await itemCounters(store, ['sku-1']))['sku-1']?.score).toBe(1);
  });

  it('counts each anonymous view once when the redelivery races the identify (no throttle on the user)', async () => {
    // Prepare: the identify group is paused right after its claim of the anonymous id (at its
    // alias write, before its user write), and the retried shard-A batch runs in that gap.
    let duringClaim: (() => Promise<unknown>) | undefined;
    const store = new (class extends FaultyStore {
      override async putAlias(userKey: string, aliasKey: string, expiresAt: number): Promise<void> {
        const run = duringClaim;
        duringClaim = undefined;
        if (run) await run();
        return super.putAlias(userKey, aliasKey, expiresAt);
      }
    })();
    const shardA = [userView('bystander-r', 'sku-x'), anonymousView('anon-b1r', 'sku-1r')];
    const shardB = [identify('user-b1r', 'anon-b1r', SHARD_B)];
    store.profileFaults.set('u:bystander-r', 1);
    await applyEventBatch(shardA, depsFor(store));
    duringClaim = () => deliver(shardA, depsFor(store));

    // Act
    await deliver(shardB, depsFor(store));

    // Assess: the retried view is a replay (the anonymous mark), so the history the identify
    // absorbs is the only place it comes from.
    expect(await weightsOf(store, 'u:user-b1r')).toEqual({ 'sku-1r': 1 });
  });
});

describe('a Lambda redelivery of redirected records beyond the 500-event window (scenario 6)', () => {
  it('applies 600 redirected records of one batch once when the batch is delivered again', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await link(store, 'user-w6', 'anon-w6');
    const records = Array.from({ length: 600 }, () => anonymousView('anon-w6', 'sku-hot'));
    await deliver(records, depsFor(store));
    expect(await weightsOf(store, 'u:user-w6')).toEqual({ 'sku-hot': 600 });

    // Act: Lambda delivers the same records again (not a client retry: the same record ids).
    await deliver(records, depsFor(store));

    // Assess: beyond the profile's 500 remembered event ids, the anonymous mark still knows them.
    expect(await weightsOf(store, 'u:user-w6')).toEqual({ 'sku-hot': 600 });
    expect((await itemCounters(store, ['sku-hot']))['sku-hot']?.score).toBe(600);
  });

  it("applies 5 redirected records once when the user's own 500 events on another shard pass while their batch waits for a retry", async () => {
    // Prepare: shard A's batch fails at a bystander before the anonymous views (they are applied
    // in phase 1 but Lambda will deliver them again); meanwhile shard B carries on with the user's
    // own 500 views, which push the redirected record ids out of the user's seen events.
    const store = new FaultyStore();
    await link(store, 'user-w5', 'anon-w5');
    const shardA = [
      userView('bystander-w5', 'sku-by'),
      ...Array.from({ length: 5 }, (_, i) => anonymousView('anon-w5', `sku-anon-${i}`)),
    ];
    store.profileFaults.set('u:bystander-w5', 1);
    await applyEventBatch(shardA, depsFor(store));
    await deliver(
      Array.from({ length: 500 }, () => userView('user-w5', 'sku-own', SHARD_B)),
      depsFor(store),
    );

    // Act: Lambda retries shard A from the bystander.
    await deliver(shardA, depsFor(store));

    // Assess: the user's 500 own events since do not push the redirected records out of reach.
    const weights = await weightsOf(store, 'u:user-w5');
    expect(Array.from({ length: 5 }, (_, i) => weights[`sku-anon-${i}`])).toEqual([1, 1, 1, 1, 1]);
  });

  it('parks a redirected poison record once when a redelivery finds it beyond the window', async () => {
    // Prepare
    const store = new RejectingStore();
    const sink = new MemoryPoisonSink();
    await link(store, 'user-wp', 'anon-wp');
    const records = [
      anonymousView('anon-wp', POISONED),
      ...Array.from({ length: 500 }, () => anonymousView('anon-wp', 'sku-fine')),
    ];
    await deliver(records, depsFor(store, sink));

    // Act
    await deliver(records, depsFor(store, sink));

    // Assess
    expect(sink.records).toHaveLength(1);
  });
});

const hasherB = new ErasureHasher(new InlineErasureHashKey('test-erasure-hash-key-of-32-chars!'));

describe('erasure of the user while a redirected record is in flight (scenario 3)', () => {
  it('leaves no alias item linking the erased user to the anonymous id', async () => {
    // Prepare: the redirected group reads the anonymous profile (still linked), then the erasure
    // runs to its end, then the group goes on.
    let erase: (() => Promise<void>) | undefined;
    const store = new (class extends MemoryFeatureStore {
      override async readShopper(key: string): Promise<StoredShopper | undefined> {
        const result = await super.readShopper(key);
        if (key === 'a:anon-e3' && erase) {
          const run = erase;
          erase = undefined;
          await run();
        }
        return result;
      }
    })();
    await link(store, 'user-e3', 'anon-e3');
    erase = async () => {
      await eraseUser('user-e3', { shoppers: store, erasures: store, hasher: hasherB, clock });
    };

    // Act
    const outcome = await applyEventBatch([anonymousView('anon-e3', 'sku-after', SHARD_A, { receivedAt: NOW + 1 })], {
      ...depsFor(store),
      erasures: { log: store, hasher: hasherB },
    });

    // Assess: the link read before the erasure is not followed (it is older than the erasure):
    // no alias comes back, and the event counts for the anonymous id.
    expect(outcome.failedSequenceNumbers.size).toBe(0);
    expect({
      aliases: await store.aliasesOf('u:user-e3'),
      user: await weightsOf(store, 'u:user-e3'),
      anonymous: await weightsOf(store, 'a:anon-e3'),
    }).toEqual({ aliases: [], user: {}, anonymous: { 'sku-after': 1 } });
  });
});

describe('co-occurrence of a session split by sign-in depends on the order of the shards', () => {
  for (const order of ['anonymous shard first', 'user shard first']) {
    it(`counts the pair (anonymous view, later user view) of one session once: ${order}`, async () => {
      // Prepare: one session: an anonymous view at t-2s on shard A; the identify and a signed-in
      // view at t on shard B (different partition keys, so different shards).
      const store = new MemoryFeatureStore();
      const session = { sessionId: `s-b4-${order.length}` };
      const tag = `b4-${order.length}`;
      const shardA = [anonymousView(`anon-${tag}`, `a-${tag}`, SHARD_A, { ...session, timestamp: NOW - 2000 })];
      const shardB = [
        identify(`user-${tag}`, `anon-${tag}`, SHARD_B),
        userView(`user-${tag}`, `b-${tag}`, SHARD_B, session),
      ];

      // Act
      if (order === 'anonymous shard first') {
        await deliver(shardA, depsFor(store));
        await deliver(shardB, depsFor(store));
      } else {
        await deliver(shardB, depsFor(store));
        await deliver(shardA, depsFor(store));
      }

      // Assess: whichever is folded second names the pair, whatever the timestamps.
      const counters = await itemCounters(store, [`a-${tag}`, `b-${tag}`]);
      expect(counters[`a-${tag}`]?.viewedWith).toEqual({ [`b-${tag}`]: 1 });
      expect(counters[`b-${tag}`]?.viewedWith).toEqual({ [`a-${tag}`]: 1 });
    });
  }
});

describe('a retried record whose stored partners were dropped recomputes them from the profile as it is now', () => {
  it('counts a co-occurrence pair once when a redirected view is retried after 100 newer events of the user', async () => {
    // Prepare: one session, same instant: the anonymous view of sku-a (shard A, behind a
    // throttled bystander, so Lambda delivers it again) and the user's own view of sku-b (shard
    // B, later), then 100 more of the user's own events, so sku-a's seen entry loses its partners.
    const store = new FaultyStore();
    await link(store, 'user-b5', 'anon-b5');
    const session = { sessionId: 's-b5' };
    const shardA = [userView('bystander-b5', 'sku-by'), anonymousView('anon-b5', 'a-b5', SHARD_A, session)];
    store.profileFaults.set('u:bystander-b5', 1);
    await applyEventBatch(shardA, depsFor(store));
    await deliver([userView('user-b5', 'b-b5', SHARD_B, session)], depsFor(store));
    await deliver(
      Array.from({ length: 100 }, () => userView('user-b5', 'sku-own-b5', SHARD_B)),
      depsFor(store),
    );

    // Act: Lambda retries shard A.
    await deliver(shardA, depsFor(store));

    // Assess: sku-b named the pair when it was folded; the replay of sku-a adds none.
    const counters = await itemCounters(store, ['a-b5', 'b-b5']);
    expect(counters['a-b5']?.viewedWith).toEqual({ 'b-b5': 1 });
    expect(counters['b-b5']?.viewedWith).toEqual({ 'a-b5': 1 });
  });

  it("counts a co-occurrence pair once when the user's own batch is retried with 100 later events of theirs (not redirected)", async () => {
    // Prepare
    const store = new FaultyStore();
    const session = { sessionId: 's-b5o' };
    const batch = [
      userView('bystander-b5o', 'sku-by'),
      userView('user-b5o', 'a-b5o', SHARD_A, session),
      userView('user-b5o', 'b-b5o', SHARD_A, session),
      ...Array.from({ length: 100 }, () => userView('user-b5o', 'sku-own-b5o')),
    ];
    store.profileFaults.set('u:bystander-b5o', 1);

    // Act: the first delivery applies the user's records, the retry replays them all.
    await deliver(batch, depsFor(store));

    // Assess: the partners of a whole retried batch are kept, so the replay counts the pair once.
    const counters = await itemCounters(store, ['a-b5o', 'b-b5o']);
    expect(counters['a-b5o']?.viewedWith).toEqual({ 'b-b5o': 1 });
    expect(counters['b-b5o']?.viewedWith).toEqual({ 'a-b5o': 1 });
  });
});
