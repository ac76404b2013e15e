import { randomUUID } from 'node:crypto';
import { ttls } from '../config/index.ts';
import { ApiError } from '../errors.ts';
import { linkExpiry } from '../features/identityLinks.ts';
import { erasedProfile } from '../features/profile.ts';
import type { AliasStore, Clock, ErasureAudit, ErasureLog, ShopperStore, StoredShopper } from '../ports/index.ts';
import type { ErasureHasher } from './erasureHash.ts';
import { hashLegacyErasures } from './erasureLog.ts';

export interface ErasureDeps {
  readonly shoppers: ShopperStore & AliasStore;
  readonly erasures: ErasureLog & ErasureAudit;
  readonly hasher: ErasureHasher;
  readonly clock: Clock;
  /** Makes the erasure's id, which names its audit record. @default crypto.randomUUID */
  readonly newId?: () => string;
}

export interface ErasureResult {
  readonly userId: string;
  /** Names the audit record of this erasure. */
  readonly erasureId: string;
  /** ISO 8601. */
  readonly erasedAt: string;
  /** Shopper keys whose profile was erased: the user, an anonymous id of that name, linked aliases. */
  readonly profilesErased: readonly string[];
  /** Recorded (per erased shopper key, as a keyed hash) so training exports leave this person out. */
  readonly excludedFromTraining: true;
}

/** A profile kept changing under the erasure (events still arriving): a 503, the request may be sent again. */
export class ErasureConflictError extends ApiError {
  readonly status = 503;
  constructor(shopperKey: string) {
    super('erasure_conflict', `profile ${shopperKey} kept changing during erasure; send the request again`);
  }
}

const MAX_ATTEMPTS = 8;
/** Rounds of looking again for aliases linked while the erasure ran (an `identify` in flight). */
const LATE_ALIAS_ROUNDS = 3;

/**
 * Replaces a profile with an erasure tombstone: no personal data and no link, only the erasure
 * time, so events already in the stream (received before it) do not bring the data back. The
 * write bumps the feature version, so every cached answer of the shopper has a key never asked
 * again. `stored` is the profile as just read (the first attempt's version); a lost race reads it
 * again. A profile written before aliases became items lists its own: they are written as alias
 * items first, since the tombstone drops the list and a retry after a later failure finds the
 * linked keys through the items alone. Returns whether there was a profile, and those aliases.
 */
async function eraseProfile(
  shoppers: ShopperStore & AliasStore,
  key: string,
  options: { readonly erasedAt: number; readonly linkExpiresAt: number; readonly stored: StoredShopper | undefined },
): Promise<{ existed: boolean; legacyAliases: readonly string[] }> {
  const { erasedAt, linkExpiresAt } = options;
  let stored = options.stored;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) stored = await shoppers.readShopper(key);
    const inline = stored?.profile.aliases ?? [];
    await settledInOrder(inline.map((alias) => shoppers.putAlias(key, alias, linkExpiresAt)));
    const written = await shoppers.writeShopper(key, {
      profile: erasedProfile(erasedAt),
      expectedVersion: stored?.featureVersion ?? 0,
      // The tombstone only has to outlive the stream's retention; personal-data TTL is plenty.
      expiresAt: Math.floor(erasedAt / 1000) + ttls.userFeaturesSeconds,
    });
    if (written) return { existed: stored !== undefined, legacyAliases: stored?.profile.aliases ?? [] };
  }
  throw new ErasureConflictError(key);
}

/**
 * The values of `promises`, once every one has settled; else the first error in their order. No
 * write of an erasure is left running after it answered, as with one write after another.
 */
async function settledInOrder<const T extends readonly unknown[]>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/** What erasing one shopper key found: its linked aliases, and whether a profile was erased. */
interface KeyErasure {
  readonly aliases: readonly string[];
  readonly erased: boolean;
  readonly legacyAliases: readonly string[];
}

/**
 * Erases the profile of `key` and reads its aliases. Both are read together: the tombstone write
 * is conditional on the version read, so a profile that changes in between is read again.
 */
async function eraseKey(
  shoppers: ShopperStore & AliasStore,
  key: string,
  options: { readonly erasedAt: number; readonly linkExpiresAt: number; readonly userKey: string },
): Promise<KeyErasure> {
  // Settled, not raced: a tombstone write must not run on after the erasure has failed.
  const [aliases, stored] = await settledInOrder([shoppers.aliasesOf(key), shoppers.readShopper(key)]);
  // Only the signed-in key gets a tombstone when nothing is stored: it is the one events use.
  const profile =
    key !== options.userKey && stored === undefined
      ? undefined
      : await eraseProfile(shoppers, key, { ...options, stored });
  return { aliases, erased: profile?.existed ?? false, legacyAliases: profile?.legacyAliases ?? [] };
}

/**
 * Erases the profiles of `userKey`, of the anonymous id of the same name and of every alias linked
 * to either (alias items, and the lists of profiles written before them), level by level, the keys
 * of one level together. The alias items found are returned, not deleted: they are how a retry
 * after a failure finds the linked keys again, so they go only once every key is erased and logged.
 */
async function eraseLinkedProfiles(
  shoppers: ShopperStore & AliasStore,
  userId: string,
  times: { readonly erasedAt: number; readonly linkExpiresAt: number },
): Promise<{ erased: string[]; linked: Set<string>; links: Map<string, Set<string>> }> {
  const userKey = `u:${userId}`;
  const erased: string[] = [];
  // Linked anonymous ids are logged even when their profile has expired: their events still sit
  // in the data lake, and the log is what keeps them out of training.
  const linked = new Set<string>();
  const visited = new Set<string>();
  const links = new Map<string, Set<string>>();
  const link = (key: string, aliases: readonly string[]) =>
    links.set(key, new Set([...(links.get(key) ?? []), ...aliases]));
  let pending = [userKey, `a:${userId}`];
  for (let round = 0; pending.length > 0; round++) {
    while (pending.length > 0) {
      const level = [...new Set(pending)].filter((key) => !visited.has(key));
      const found = await settledInOrder(level.map((key) => eraseKey(shoppers, key, { ...times, userKey })));
      pending = [];
      for (const [i, key] of level.entries()) {
        const { aliases, legacyAliases, erased: wasErased } = found[i] as KeyErasure;
        visited.add(key);
        if (aliases.length > 0 || legacyAliases.length > 0) link(key, [...aliases, ...legacyAliases]);
        if (wasErased) erased.push(key);
        for (const alias of [...aliases, ...legacyAliases]) linked.add(alias);
        pending.push(...aliases, ...legacyAliases);
      }
    }
    // An identify in flight may have linked an alias after the user's aliases were read.
    if (round >= LATE_ALIAS_ROUNDS) break;
    const late = (await shoppers.aliasesOf(userKey)).filter((alias) => !links.get(userKey)?.has(alias));
    if (late.length > 0) link(userKey, late);
    for (const alias of late) linked.add(alias);
    pending = late;
  }
  return { erased, linked, links };
}

/**
 * `DELETE /v1/users/{userId}` (GDPR Art. 17): erases the user's profile, every anonymous history
 * linked to it (alias items, and the lists of profiles written before them), the alias items, and
 * an anonymous profile of the same id; records each erased key's keyed hash for training and an
 * audit record of what was removed.
 */
export async function eraseUser(userId: string, deps: ErasureDeps): Promise<ErasureResult> {
  const erasedAt = deps.clock.now();
  const erasureId = (deps.newId ?? randomUUID)();
  const userKey = `u:${userId}`;
  // The log's legacy entries are hashed while the profiles are erased (neither reads the other's
  // items); both are done before this erasure's entries are written, so a legacy entry of one of
  // its keys cannot overwrite the later time. The user key's hash (the hash key's first read, in
  // AWS a Secrets Manager call) is taken meanwhile too. Each runs to its end before an error is thrown.
  const [legacy, profiles, userKeyHash] = await Promise.allSettled([
    hashLegacyErasures(deps.erasures, deps.hasher),
    eraseLinkedProfiles(deps.shoppers, userId, { erasedAt, linkExpiresAt: linkExpiry(deps.clock) }),
    deps.hasher.hash(userKey),
  ]);
  if (legacy.status === 'rejected') throw legacy.reason;
  if (profiles.status === 'rejected') throw profiles.reason;
  if (userKeyHash.status === 'rejected') throw userKeyHash.reason;
  const { erased, linked, links } = profiles.value;
  // Every erased key is logged, so training exports also drop the linked anonymous histories.
  const keyHashes = await settledInOrder(
    [...new Set([userKey, ...erased, ...linked])].map(async (key) => {
      const keyHash = key === userKey ? userKeyHash.value : await deps.hasher.hash(key);
      await deps.erasures.recordErasure(keyHash, erasedAt);
      return keyHash;
    }),
  );
  // The links go last: until every key they lead to is erased and logged, a retry needs them.
  const aliasItemsRemoved = await settledInOrder(
    [...links].map(([key, aliases]) => deps.shoppers.deleteAliases(key, [...aliases])),
  );
  await deps.erasures.recordAudit({
    erasureId,
    erasedAt,
    keyHashes,
    itemsRemoved: erased.length + aliasItemsRemoved.reduce((sum, n) => sum + n, 0),
    expiresAt: Math.floor(erasedAt / 1000) + ttls.erasureAuditSeconds,
  });
  return {
    userId,
    erasureId,
    erasedAt: new Date(erasedAt).toISOString(),
    profilesErased: erased,
    excludedFromTraining: true,
  };
}
