/** Small DOM helpers: every value put into HTML goes through {@link esc}. */

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const esc = (value: string | number): string => String(value).replace(/[&<>"']/g, (c) => entities[c] ?? c);

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** An element from HTML made with {@link esc}. */
export function fragment(html: string): DocumentFragment {
  const template = document.createElement('template');
  template.innerHTML = html;
  return template.content;
}

const formats = new Map<string, Intl.NumberFormat>();

export function money(amount: number | null, currency: string): string {
  if (amount === null) return '';
  let format = formats.get(currency);
  if (format === undefined) {
    format = new Intl.NumberFormat('en-IE', { style: 'currency', currency });
    formats.set(currency, format);
  }
  return format.format(amount);
}

/** `bed-and-bath` → `Bed and bath`. */
export const label = (slug: string): string => {
  const words = slug.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** Category names in a fixed order, so each gets its own colour (see {@link hueOf}). */
let palette: readonly string[] = [];

export function setPalette(categories: readonly string[]): void {
  palette = [...categories].sort();
}

/**
 * The colour of a category's product art, one of the stylesheet's 12 hues: neighbours in the sorted category list
 * are five hues apart, so few categories share one; a category the list lacks gets one from its name.
 */
export function hueOf(category: string): number {
  const at = palette.indexOf(category);
  if (at >= 0) return (at * 5) % 12;
  let hash = 0;
  for (let i = 0; i < category.length; i++) hash = (hash * 31 + category.charCodeAt(i)) >>> 0;
  return hash % 12;
}
