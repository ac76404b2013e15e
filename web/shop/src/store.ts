/**
 * What the shop itself keeps in localStorage, under `shop.` keys (the SDK's are `reco.`): the cart, the shopper's
 * consent choice, and the products lately viewed (only with consent: it is personal data).
 */

export interface CartLine {
  readonly itemId: string;
  readonly quantity: number;
}

export type ConsentChoice = 'granted' | 'refused';

const KEYS = { cart: 'shop.cart', consent: 'shop.consent', recent: 'shop.recent' } as const;
const MAX_RECENT = 8;
const MAX_QUANTITY = 99;

function read<T>(key: string, fallback: T, valid: (value: unknown) => value is T): T {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(key) ?? 'null');
    return valid(value) ? value : fallback;
  } catch {
    return fallback;
  }
}

function write(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or blocked: the shop still works for this page.
  }
}

const isLines = (value: unknown): value is CartLine[] =>
  Array.isArray(value) &&
  value.every(
    (line: { itemId?: unknown; quantity?: unknown }) =>
      typeof line?.itemId === 'string' && Number.isInteger(line.quantity),
  );
const isIds = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((id) => typeof id === 'string');
const isChoice = (value: unknown): value is ConsentChoice | null =>
  value === null || value === 'granted' || value === 'refused';

const listeners: (() => void)[] = [];

export const cart = {
  lines: (): CartLine[] => read(KEYS.cart, [], isLines),
  count: (): number => cart.lines().reduce((sum, line) => sum + line.quantity, 0),
  set(itemId: string, quantity: number): void {
    const lines = cart.lines().filter((line) => line.itemId !== itemId);
    const clamped = Math.min(MAX_QUANTITY, Math.max(0, Math.round(quantity)));
    const at = cart.lines().findIndex((line) => line.itemId === itemId);
    if (clamped > 0) lines.splice(at < 0 ? lines.length : at, 0, { itemId, quantity: clamped });
    write(KEYS.cart, lines);
    listeners.forEach((listener) => listener());
  },
  add(itemId: string, quantity: number): void {
    const current = cart.lines().find((line) => line.itemId === itemId)?.quantity ?? 0;
    cart.set(itemId, current + quantity);
  },
  clear(): void {
    write(KEYS.cart, []);
    listeners.forEach((listener) => listener());
  },
  onChange(listener: () => void): void {
    listeners.push(listener);
  },
};

export const consentChoice = {
  get: (): ConsentChoice | null => read(KEYS.consent, null, isChoice),
  set: (choice: ConsentChoice): void => write(KEYS.consent, choice),
};

export const recentlyViewed = {
  ids: (): string[] => read(KEYS.recent, [], isIds),
  add(itemId: string): void {
    write(KEYS.recent, [itemId, ...recentlyViewed.ids().filter((id) => id !== itemId)].slice(0, MAX_RECENT));
  },
  clear(): void {
    try {
      localStorage.removeItem(KEYS.recent);
    } catch {
      // Blocked storage holds nothing to clear.
    }
  },
};
