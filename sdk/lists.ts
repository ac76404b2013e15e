import { safeGet, safeSet, type RecoStorage } from './storage.ts';

/** The API counts events toward a served list for 24 hours (`featureLimits.attributionWindowSeconds`). */
const WINDOW_MS = 24 * 60 * 60 * 1000;
/** Items remembered: a few pages of rails. */
const MAX_ITEMS = 200;
const KEY = 'reco.lists';

export interface ListMemory {
  remember(recommendationId: string, itemIds: readonly string[], now: number, store: boolean): void;
  /** The list that showed the item within the attribution window, newest first. */
  recall(itemId: string, now: number): string | undefined;
  save(): void;
  clear(): void;
}

/**
 * Which list showed each item lately, so a later event on the item (the click, the product page's view, the
 * add-to-cart, the purchase) carries that list's `recommendationId` without the shop passing it. The newest list
 * showing an item wins. Stored (with consent), as the next event on an item is usually on the next page.
 */
export function listMemory(storage: RecoStorage): ListMemory {
  let items = new Map<string, [recommendationId: string, at: number]>();
  try {
    // `recall` checks what it returns: a damaged entry is only never found.
    items = new Map(JSON.parse(safeGet(storage, KEY) ?? '[]'));
  } catch {
    // A damaged value is forgotten.
  }
  const save = () => safeSet(storage, KEY, JSON.stringify([...items]));
  return {
    remember(recommendationId, itemIds, now, store) {
      for (const itemId of itemIds) {
        items.delete(itemId);
        items.set(itemId, [recommendationId, now]);
      }
      // Oldest first: a Map iterates in insertion order.
      for (const itemId of items.keys()) if (items.size > MAX_ITEMS) items.delete(itemId);
      if (store) save();
    },
    recall(itemId, now) {
      const [recommendationId, at] = items.get(itemId) ?? [];
      return typeof recommendationId === 'string' && now - Number(at) <= WINDOW_MS ? recommendationId : undefined;
    },
    save,
    clear() {
      items.clear();
      safeSet(storage, KEY, null);
    },
  };
}
