import { apiLimits } from '../config/index.ts';
import { fieldRejection, parseBatchBody, type FieldRejection } from '../http/requestBody.ts';
import type { CatalogueItem, CatalogueStore, Clock } from '../ports/index.ts';
import { catalogueItemSchema } from './schema.ts';

export interface RejectedItem extends Omit<FieldRejection, 'reason'> {
  readonly index: number;
  readonly itemId?: string;
  readonly reason: FieldRejection['reason'] | 'too_deep' | 'not_an_object' | 'duplicate_in_batch';
}

export interface UpsertItemsResult {
  readonly upserted: number;
  readonly rejected: readonly RejectedItem[];
}

export interface CatalogueDeps {
  readonly catalogue: CatalogueStore;
  readonly clock: Clock;
}

/**
 * `PUT /v1/items`: validates each item on its own and upserts the valid ones (the whole item is
 * replaced). The catalogue feeds category affinities, filters and cold-start recommendations.
 */
export async function upsertItems(body: string | null | undefined, deps: CatalogueDeps): Promise<UpsertItemsResult> {
  const entries = parseBatchBody(body, 'items', apiLimits.maxItemsPerRequest);
  const updatedAt = deps.clock.now();
  const rejected: RejectedItem[] = [];
  const valid = new Map<string, CatalogueItem>();
  entries.forEach((entry, index) => {
    const raw = entry.raw;
    const ownId =
      typeof raw === 'object' && raw !== null && Object.hasOwn(raw, 'itemId')
        ? (raw as { itemId?: unknown }).itemId
        : undefined;
    const itemId = typeof ownId === 'string' ? ownId : undefined;
    if (!entry.ok) {
      const { reason, field, message } = entry;
      rejected.push({ index, itemId, reason, field, message });
      return;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      rejected.push({ index, reason: 'not_an_object', message: 'each item must be a JSON object' });
      return;
    }
    const parsed = catalogueItemSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const rejection = issue
        ? fieldRejection(raw as Record<string, unknown>, issue)
        : ({ reason: 'invalid_field', message: 'invalid item' } as const);
      rejected.push({ index, itemId, ...rejection });
      return;
    }
    if (valid.has(parsed.data.itemId)) {
      rejected.push({
        index,
        itemId,
        reason: 'duplicate_in_batch',
        field: 'itemId',
        message: 'itemId already appears earlier in this request',
      });
      return;
    }
    valid.set(parsed.data.itemId, { ...parsed.data, updatedAt });
  });
  if (valid.size > 0) await deps.catalogue.putItems([...valid.values()]);
  return { upserted: valid.size, rejected };
}

/** What `DELETE /v1/items/{itemId}` answers. */
export interface DeleteItemResult {
  readonly itemId: string;
  readonly deleted: true;
  /** Whether the item was live before this delete: `false` for an unknown or already deleted id. */
  readonly wasLive: boolean;
}

/**
 * `DELETE /v1/items/{itemId}`: the item's entry becomes a tombstone, so every list drops it, a
 * model's included, until the tombstone expires. An id the live catalogue never had gets one as
 * well, since a model trained on the shop's own files may know it; an existing tombstone is kept,
 * so a retried delete succeeds too.
 */
export async function deleteItem(itemId: string, deps: CatalogueDeps): Promise<DeleteItemResult> {
  const wasLive = await deps.catalogue.deleteItem(itemId, deps.clock.now());
  return { itemId, deleted: true, wasLive };
}
