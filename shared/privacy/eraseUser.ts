import { randomUUID } from 'node:crypto';
import { ttls } from '../config/index.ts';
import { ApiError } from '../errors.ts';
import { erasedProfile } from '../features/profile.ts';
import type { AliasStore, Clock, ErasureAudit, ErasureLog, ShopperStore } from '../ports/index.ts';
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
 * again. Returns whether there was a profile, and the aliases a legacy profile lists.
 */
async function eraseProfile(
  shoppers: ShopperStore,
  key: string,
  erasedAt: number,
): Promise<{ existed: boolean; legacyAliases: readonly string[] }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await shoppers.readShopper(key);
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
 * `DELETE /v1/users/{userId}` (GDPR Art. 17): erases the user's profile, every anonymous history
 * linked to it (alias items, and the lists of profiles written before them), the alias items, and
 * an anonymous profile of the same id; records each erased key's keyed hash for training and an
 * audit record of what was removed.
 */
export async function eraseUser(userId: string, deps: ErasureDeps): Promise<ErasureResult> {
  const erasedAt = deps.clock.now();
  const erasureId = (deps.newId ?? randomUUID)();
  await hashLegacyErasures(deps.erasures, deps.hasher);
  const userKey = `u:${userId}`;
  const erased: string[] = [];
  // Linked anonymous ids are logged even when their profile has expired: their events still sit
  // in the data lake, and the log is what keeps them out of training.
  const linked = new Set<string>();
  const visited = new Set<string>();
  let itemsRemoved = 0;
  const pending = [userKey, `a:${userId}`];
  for (let round = 0; pending.length > 0; round++) {
    while (pending.length > 0) {
      const key = pending.shift() as string;
      const aliases = await deps.shoppers.aliasesOf(key);
      itemsRemoved += await deps.shoppers.deleteAliases(key, aliases);
      for (const alias of aliases) linked.add(alias);
      pending.push(...aliases);
      if (visited.has(key)) continue;
      visited.add(key);
      // Only the signed-in key gets a tombstone when nothing is stored: it is the one events use.
      if (key !== userKey && (await deps.shoppers.readShopper(key)) === undefined) continue;
      const { existed, legacyAliases } = await eraseProfile(deps.shoppers, key, erasedAt);
      if (existed) {
        erased.push(key);
        itemsRemoved += 1;
      }
      for (const alias of legacyAliases) linked.add(alias);
      pending.push(...legacyAliases);
    }
    // An identify in flight may have linked an alias after the user's aliases were read.
    if (round < LATE_ALIAS_ROUNDS && (await deps.shoppers.aliasesOf(userKey)).length > 0) pending.push(userKey);
  }
  // Every erased key is logged, so training exports also drop the linked anonymous histories.
  const keyHashes: string[] = [];
  for (const key of new Set([userKey, ...erased, ...linked])) {
    const keyHash = await deps.hasher.hash(key);
    await deps.erasures.recordErasure(keyHash, erasedAt);
    keyHashes.push(keyHash);
  }
  await deps.erasures.recordAudit({
    erasureId,
    erasedAt,
    keyHashes,
    itemsRemoved,
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
