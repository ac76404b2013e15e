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
}
