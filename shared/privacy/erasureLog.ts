import type { ErasureLog } from '../ports/index.ts';
import type { ErasureHasher } from './erasureHash.ts';

/**
 * Replaces the erasure log's legacy entries (raw shopper keys, from before the log held keyed
 * hashes) by their hashes, each hash recorded before its raw entry is deleted. Returns how many
 * it replaced; idempotent, so an interrupted run is finished by the next.
 */
export async function hashLegacyErasures(log: ErasureLog, hasher: ErasureHasher): Promise<number> {
  const legacy = await log.legacyErasures();
  for (const [shopperKey, erasedAt] of legacy) {
    const keyHash = await hasher.hash(shopperKey);
    const recorded = await log.erasedAt(keyHash);
    // A later erasure of the same key keeps its own, later time.
    if (recorded === undefined || recorded < erasedAt) await log.recordErasure(keyHash, erasedAt);
    await log.deleteLegacyErasure(shopperKey);
  }
  return legacy.size;
}

/**
 * Every erased shopper as the training export needs them: keyed hash → erasure time, legacy
 * entries hashed too (they are left in place; the privacy function replaces them). Readers: the
 * privacy function, the processor (one hash at a time) and the training export job.
 */
export async function erasedShopperHashes(
  log: Pick<ErasureLog, 'erasedShoppers' | 'legacyErasures'>,
  hasher: ErasureHasher,
): Promise<ReadonlyMap<string, number>> {
  const [erased, legacy] = await Promise.all([log.erasedShoppers(), log.legacyErasures()]);
  const all = new Map(erased);
  for (const [shopperKey, erasedAt] of legacy) {
    const keyHash = await hasher.hash(shopperKey);
    all.set(keyHash, Math.max(erasedAt, all.get(keyHash) ?? erasedAt));
  }
  return all;
}
