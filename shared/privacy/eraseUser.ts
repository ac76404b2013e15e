import { ttls } from '../config/index.ts';
import { erasedProfile } from '../features/profile.ts';
import type { Clock, ErasureLog, ShopperStore } from '../ports/index.ts';

export interface ErasureDeps {
  readonly shoppers: ShopperStore;
  readonly erasures: ErasureLog;
  readonly clock: Clock;
}

export interface ErasureResult {
  readonly userId: string;
  /** ISO 8601. */
  readonly erasedAt: string;
  /** Shopper keys whose profile was erased: the user, an anonymous id of that name, merged aliases. */
  readonly profilesErased: readonly string[];
  /** Recorded (per erased shopper key) so training exports leave this person out. */
  readonly excludedFromTraining: true;
}

class ErasureConflictError extends Error {
  constructor(shopperKey: string) {
    super(`profile ${shopperKey} kept changing during erasure; retry the request`);
    this.name = 'ErasureConflictError';
  }
}

const MAX_ATTEMPTS = 8;

/**
 * Replaces a profile with an erasure tombstone: no personal data, only the erasure time, so
 * events already in the stream (received before it) do not bring the data back.
 * Returns whether there was a profile to erase.
 */
async function eraseProfile(
  shoppers: ShopperStore,
  key: string,
  erasedAt: number,
): Promise<{ existed: boolean; aliases: readonly string[] }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await shoppers.readShopper(key);
    const written = await shoppers.writeShopper(key, {
      profile: erasedProfile(erasedAt),
      expectedVersion: stored?.featureVersion ?? 0,
      // The tombstone only has to outlive the stream's retention; personal-data TTL is plenty.
      expiresAt: Math.floor(erasedAt / 1000) + ttls.userFeaturesSeconds,
    });
    if (written) return { existed: stored !== undefined, aliases: stored?.profile.aliases ?? [] };
  }
  throw new ErasureConflictError(key);
}

/**
 * `DELETE /v1/users/{userId}` (GDPR Art. 17): erases the user's profile, any anonymous history
 * merged into it, and an anonymous profile of the same id; records the erasure for training.
 */
export async function eraseUser(userId: string, deps: ErasureDeps): Promise<ErasureResult> {
  const erasedAt = deps.clock.now();
  const erased: string[] = [];
  // Merged anonymous ids are logged even when their profile has expired: their events still sit
  // in the data lake, and the log is what keeps them out of training.
  const aliasesSeen: string[] = [];
  const pending = [`u:${userId}`, `a:${userId}`];
  const visited = new Set<string>();
  while (pending.length > 0) {
    const key = pending.shift() as string;
    if (visited.has(key)) continue;
    visited.add(key);
    // Only the signed-in key gets a tombstone when nothing is stored: it is the one events use.
    if (!key.startsWith('u:') && (await deps.shoppers.readShopper(key)) === undefined) continue;
    const { existed, aliases } = await eraseProfile(deps.shoppers, key, erasedAt);
    if (existed) erased.push(key);
    aliasesSeen.push(...aliases);
    pending.push(...aliases);
  }
  // Every erased key is logged, so training exports also drop the merged anonymous histories.
  for (const key of new Set([`u:${userId}`, ...erased, ...aliasesSeen]))
    await deps.erasures.recordErasure(key, erasedAt);
  return { userId, erasedAt: new Date(erasedAt).toISOString(), profilesErased: erased, excludedFromTraining: true };
}
