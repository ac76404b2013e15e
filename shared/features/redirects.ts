import type { SeenEvent, StoredShopper } from '../ports/index.ts';
import type { FeatureDeps } from './deps.ts';
import { ShopperConflictError } from './errors.ts';
import { linkExpiry } from './identityLinks.ts';

const MAX_ATTEMPTS = 8;

/**
 * What a linked anonymous id's own profile knows of its records: the shard's high-water mark
 * (records applied there before the link, or redirected since) and the event ids it saw.
 */
export interface RedirectSource {
  readonly key: string;
  readonly mark: string | undefined;
  readonly seenEvents: readonly SeenEvent[];
}

/** Where a shopper's records of one shard apply, as read now. */
export interface Target {
  readonly key: string;
  readonly stored: StoredShopper | undefined;
  /** Set when the records are redirected from a linked anonymous id to the signed-in shopper. */
  readonly source?: RedirectSource;
}

/**
 * The profile the records of `key` apply to: their own, or the signed-in shopper's that an
 * `identify` linked them to. The alias item is written before the signed-in profile is read, so
 * an erasure of that shopper from then on finds and removes it. A link made before the shopper's
 * latest erasure was removed by it, even if `key`'s profile was read before: the records then
 * apply to `key`'s own profile, as it is after the erasure.
 */
export async function findTarget(deps: FeatureDeps, key: string, shardId: string): Promise<Target> {
  const own = await deps.shoppers.readShopper(key);
  const into = own?.profile.mergedInto;
  if (own === undefined || into === undefined) return { key, stored: own };
  await deps.shoppers.putAlias(into, key, linkExpiry(deps.clock));
  const stored = await deps.shoppers.readShopper(into);
  const erasedAt = stored?.profile.erasedAt;
  const linkedAt = own.profile.mergedAt;
  // Links made before `mergedAt` was recorded are taken as they read.
  if (erasedAt !== undefined && linkedAt !== undefined && linkedAt <= erasedAt) {
    await deps.shoppers.deleteAliases(into, [key]);
    return { key, stored: await deps.shoppers.readShopper(key) };
  }
  return { key: into, stored, source: { key, mark: own.marks[shardId], seenEvents: own.profile.seenEvents } };
}

/**
 * After records of `source` were applied to the signed-in profile: moves the anonymous profile's
 * own high-water mark for the shard up to them, so a redelivery knows them however many events
 * the signed-in shopper has had since. Until it lands, the signed-in profile's memory of their
 * record ids covers them.
 */
export async function advanceSourceMark(
  deps: FeatureDeps,
  source: RedirectSource,
  mark: { readonly shardId: string; readonly sequenceKey: string },
): Promise<void> {
  if (source.mark !== undefined && source.mark >= mark.sequenceKey) return;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await deps.shoppers.readShopper(source.key);
    if (stored === undefined || stored.profile.mergedInto === undefined) return;
    const current = stored.marks[mark.shardId];
    if (current !== undefined && current >= mark.sequenceKey) return;
    const written = await deps.shoppers.writeShopper(source.key, {
      profile: stored.profile,
      expectedVersion: stored.featureVersion,
      mark,
      expiresAt: linkExpiry(deps.clock),
    });
    if (written) return;
  }
  throw new ShopperConflictError(source.key);
}
