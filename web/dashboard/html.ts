/**
 * HTML built from templates whose every interpolated string is escaped: text from the stats API
 * (model versions, metric names, error messages) is hostile, and this is the one place it turns
 * into markup. Only {@link SafeHtml} made here is inserted as is.
 */

const SAFE = Symbol('safe-html');

/** Markup made by {@link html}: its strings are escaped already. */
export interface SafeHtml {
  readonly [SAFE]: true;
  readonly text: string;
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text as HTML text or as a quoted attribute value. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"'`]/g, (c) => ENTITIES[c] ?? c);

const isSafe = (value: unknown): value is SafeHtml =>
  typeof value === 'object' && value !== null && (value as Partial<SafeHtml>)[SAFE] === true;

type Part = SafeHtml | string | number | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined) return '';
  if (isSafe(part)) return part.text;
  if (Array.isArray(part)) return part.map((inner: Part) => render(inner)).join('');
  return escapeHtml(String(part));
}

/**
 * A template of trusted markup: strings, numbers and arrays of them interpolated into it are
 * escaped (attribute values must be quoted in the template), {@link SafeHtml} is kept.
 *
 * @example html`<td title="${version}">${version}</td>`
 */
export function html(strings: TemplateStringsArray, ...values: readonly Part[]): SafeHtml {
  let text = strings[0] ?? '';
  values.forEach((value, i) => {
    text += render(value) + (strings[i + 1] ?? '');
  });
  return { [SAFE]: true, text };
}
