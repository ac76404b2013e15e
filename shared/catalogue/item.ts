/**
 * A catalogue item, the one shape every part of the stack uses: what the shop sends
 * (`PUT /v1/items`) and the catalogue store keeps, what training reads (the Amazon Personalize
 * items schema), and what the traffic simulator generates. Fields that one of those sources lacks
 * are optional.
 */
export interface CatalogueItem {
  readonly itemId: string;
  readonly title?: string;
  readonly description?: string;
  /** Most general first: `['kitchen', 'knives']` (CATEGORY_L1, CATEGORY_L2, ... in training data). */
  readonly categories: readonly string[];
  readonly price?: number;
  /** ISO 4217 code of `price`, e.g. `EUR`. */
  readonly currency?: string;
  /** Always set by the live catalogue; training data may leave it out. */
  readonly inStock?: boolean;
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
  /** Epoch ms of the last upsert into the live catalogue. */
  readonly updatedAt?: number;
  /** Epoch seconds the item was first offered (Personalize `CREATION_TIMESTAMP`). */
  readonly creationTimestamp?: number;
  /**
   * `false` for what a shop never wants recommended (postage, fees, gift vouchers): never in a list
   * or a reason, in training or serving. @default true
   */
  readonly recommendable?: boolean;
}

/**
 * What `DELETE /v1/items/{itemId}` leaves of an item for `ttls.deletedItemSeconds`: a list reader
 * can tell an item the shop deleted (dropped from every list) from one the live catalogue never had
 * (served on the model's word). A later upsert of the same id replaces it.
 */
export interface DeletedItem {
  readonly itemId: string;
  readonly deleted: true;
  /** Epoch ms of the delete. */
  readonly deletedAt: number;
}

/** A live catalogue entry: the item, or the tombstone of a deleted one. */
export type CatalogueEntry = CatalogueItem | DeletedItem;

/** Whether an entry is a deleted item's tombstone. */
export const isDeleted = (entry: CatalogueEntry): entry is DeletedItem => 'deleted' in entry && entry.deleted;
