/** DynamoDB's largest item, 400 KB, in bytes. */
export const DYNAMO_MAX_ITEM_BYTES = 409_600;

/** An item's size as DynamoDB counts it, or the path of the first value it cannot take. */
export type ItemMeasure = { readonly bytes: number } | { readonly invalidAt: string; readonly problem: string };

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

/** 1 byte per two significant digits, plus one; one more for the sign, and one spare for rounding. */
function numberBytes(value: number): number {
  const exponential = Math.abs(value).toExponential();
  const digits = exponential.slice(0, exponential.indexOf('e')).replace('.', '').length;
  return 2 + Math.ceil(digits / 2) + (value < 0 ? 1 : 0);
}

type Walk = { bytes: number } | { invalidAt: string; problem: string };

function walk(value: unknown, path: string): Walk {
  if (typeof value === 'string') return { bytes: utf8(value) };
  if (typeof value === 'number') {
    return Number.isFinite(value) ? { bytes: numberBytes(value) } : { invalidAt: path, problem: `${value}` };
  }
  if (typeof value === 'boolean' || value === null) return { bytes: 1 };
  if (value instanceof Uint8Array) return { bytes: value.byteLength };
  if (Array.isArray(value)) {
    let bytes = 3;
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      if (element === undefined) continue;
      const size = walk(element, `${path}[${i}]`);
      if (!('bytes' in size)) return size;
      bytes += 1 + size.bytes;
    }
    return { bytes };
  }
  if (value instanceof Map) return mapBytes(value.entries(), path);
  if (typeof value === 'object') {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return { invalidAt: path, problem: 'a class instance' };
    // The document client takes an object whose `constructor` is not Object for a class instance,
    // and writes `__proto__` into a plain object, which drops it: outside names go in lists.
    for (const name of ['constructor', '__proto__']) {
      if (Object.hasOwn(value, name)) return { invalidAt: `${path}.${name}`, problem: 'a map key it cannot marshal' };
    }
    return mapBytes(Object.entries(value), path);
  }
  return { invalidAt: path, problem: `a ${typeof value}` };
}

function mapBytes(entries: Iterable<[unknown, unknown]>, path: string): Walk {
  let bytes = 3;
  for (const [name, element] of entries) {
    if (element === undefined) continue;
    const size = walk(element, `${path}.${String(name)}`);
    if (!('bytes' in size)) return size;
    bytes += 1 + utf8(String(name)) + size.bytes;
  }
  return { bytes };
}

/**
 * The size DynamoDB counts for `item` as the document client writes it (undefined values
 * removed): UTF-8 bytes of every attribute name and string, about one byte per two significant
 * digits of a number, and 3 bytes per list or map plus 1 per element, map keys counted as names.
 * Values DynamoDB or the document client refuse (NaN, Infinity, functions, class instances, map
 * keys named `constructor` or `__proto__`) are reported instead of measured.
 */
export function measureItem(item: Readonly<Record<string, unknown>>): ItemMeasure {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    const size = walk(value, name);
    if (!('bytes' in size)) return size;
    bytes += utf8(name) + size.bytes;
  }
  return { bytes };
}
