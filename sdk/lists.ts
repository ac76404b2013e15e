import { safeGet, safeSet, type RecoStorage } from './storage.ts';

/** The API counts events toward a served list for 24 hours (`featureLimits.attributionWindowSeconds`). */
const WINDOW_MS = 24 * 60 * 60 * 1000;
/** Items remembered: a few pages of rails. */
const MAX_ITEMS = 200;
const KEY = 'reco.lists';

/**
 * Which list showed each item lately, so a later event on the item (the click, the product page's view, the
 * add-to-cart, the purchase) carries that list's `recommendationId` without the shop passing it. The newest list
 * showing an item wins. Stored (with consent), as the next event on an item is usually on the next page.
 */
export class ListMemory {
  #items = new Map<string, [recommendationId: string, at: number]>();
  readonly #storage: RecoStorage;

  constructor(storage: RecoStorage) {
    this.#storage = storage;
    try {
      // `recall` checks what it returns: a damaged entry is only never found.
      this.#items = new Map(JSON.parse(safeGet(storage, KEY) ?? '[]'));
    } catch {
      // A damaged value is forgotten.
    }
  }

  remember(recommendationId: string, itemIds: readonly string[], now: number, store: boolean): void {
    for (const itemId of itemIds) {
      this.#items.delete(itemId);
      this.#items.set(itemId, [recommendationId, now]);
    }
    for (const itemId of this.#items.keys()) {
      if (this.#items.size <= MAX_ITEMS) break;
      this.#items.delete(itemId);
    }
    if (store) this.save();
  }

  recall(itemId: string, now: number): string | undefined {
    const [recommendationId, at] = this.#items.get(itemId) ?? [];
    return typeof recommendationId === 'string' && now - Number(at) <= WINDOW_MS ? recommendationId : undefined;
  }

  save(): void {
    safeSet(this.#storage, KEY, JSON.stringify([...this.#items]));
  }

  clear(): void {
    this.#items.clear();
    safeSet(this.#storage, KEY, null);
  }
}
