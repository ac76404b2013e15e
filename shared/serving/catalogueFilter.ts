import { isDeleted, type CatalogueEntry } from '../catalogue/item.ts';
import type { ListOptions } from './params.ts';

/** Whether the options filter on a field only a catalogue entry has. */
export function filtersCatalogue(options: Partial<ListOptions>): boolean {
  return (
    options.category !== undefined ||
    options.inStockOnly === true ||
    options.minPrice !== undefined ||
    options.maxPrice !== undefined
  );
}

/**
 * Whether an item may be served by its live entry, for every kind of list:
 * - a tombstone: never, the shop deleted the item; nor an item marked `recommendable: false`;
 * - an item: when it passes the filters as it reads now (category, stock, price);
 * - no entry: the live catalogue never had the item (a shop may load only part of its catalogue).
 *   Served, unless a filter needs a catalogue field.
 */
export function servable(entry: CatalogueEntry | undefined, options: Partial<ListOptions>): boolean {
  if (entry === undefined) return !filtersCatalogue(options);
  if (isDeleted(entry) || entry.recommendable === false) return false;
  if (options.category !== undefined && !entry.categories.includes(options.category)) return false;
  if (options.inStockOnly && entry.inStock === false) return false;
  if (options.minPrice !== undefined && (entry.price === undefined || entry.price < options.minPrice)) return false;
  if (options.maxPrice !== undefined && (entry.price === undefined || entry.price > options.maxPrice)) return false;
  return true;
}
