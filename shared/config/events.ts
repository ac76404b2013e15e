/** The storefront event types, and what each is worth to popularity and affinity. */

/** Storefront event types, in the shop's language. */
export const EVENT_TYPES = [
  'view',
  'click',
  'add_to_cart',
  'remove_from_cart',
  'purchase',
  'search',
  'identify',
  'page_view',
  'impression',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Event types that are about one catalogue item and therefore require `itemId`: the shopper acted on it. They are the
 * ones that feed features and training. `page_view` (an item optional) and `impression` (items shown, never acted on)
 * are not among them, so profiles, item activity and the training exports leave them out.
 */
export const ITEM_EVENT_TYPES = ['view', 'click', 'add_to_cart', 'remove_from_cart', 'purchase'] as const;
export type ItemEventType = (typeof ITEM_EVENT_TYPES)[number];

/**
 * Weight each event type adds to an item's popularity and to a shopper's affinity.
 * view < click < add_to_cart < purchase; negative signals subtract.
 */
export const eventWeights: Readonly<Record<EventType, number>> = {
  view: 1,
  click: 2,
  add_to_cart: 4,
  remove_from_cart: -2,
  purchase: 8,
  search: 0,
  identify: 0,
  /** A page view says where the shopper is, not what they like. */
  page_view: 0,
  /** Shown is not chosen: impressions only count in attribution (the denominator of click-through). */
  impression: 0,
};
