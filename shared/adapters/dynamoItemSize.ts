/** DynamoDB's largest item, 400 KB, in bytes. */
export const DYNAMO_MAX_ITEM_BYTES = 409_600;

/** An item's size as DynamoDB counts it, or the path of the first value it cannot take. */
export type ItemMeasure = { readonly bytes: number } | { readonly invalidAt: string; readonly problem: string };

/** UTF-8 bytes of `text`, as `Buffer.byteLength` counts them (a lone surrogate as U+FFFD), without a native call. */
function utf8(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      // A surrogate pair: two code units, four bytes.
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2;
        i += 1;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, i) => 10 ** i);

/** Significant digits of `value` (finite): integers without a string, the rest from its shortest form. */
function significantDigits(value: number): number {
  let magnitude = Math.abs(value);
  if (Number.isInteger(magnitude) && magnitude < 1e15) {
    if (magnitude === 0) return 1;
    // Trailing zeros are not significant: 1,790,000,000 has three digits.
    while (magnitude % 10 === 0) magnitude /= 10;
    let digits = 1;
    while (digits < 16 && magnitude >= (POWERS_OF_TEN[digits] as number)) digits += 1;
    return digits;
  }
  const exponential = magnitude.toExponential();
  return exponential.slice(0, exponential.indexOf('e')).replace('.', '').length;
}

/** 1 byte per two significant digits, plus one; one more for the sign, and one spare for rounding. */
const numberBytes = (value: number): number => 2 + Math.ceil(significantDigits(value) / 2) + (value < 0 ? 1 : 0);

/** Where the walk met a value DynamoDB cannot take: path parts added on the way back up. */
interface Invalid {
  readonly parts: string[];
  problem: string;
}

const INVALID = -1;

/**
 * Bytes of `value`, or {@link INVALID} with `invalid` filled in (a number, so the walk allocates
 * nothing). With `sizes`, objects and arrays measured before are not walked again.
 */
function walk(value: unknown, invalid: Invalid, sizes?: WeakMap<object, number>): number {
  if (sizes !== undefined && typeof value === 'object' && value !== null) {
    const known = sizes.get(value);
    if (known !== undefined) return known;
    const size = walkUncached(value, invalid, sizes);
    if (size !== INVALID) sizes.set(value, size);
    return size;
  }
  return walkUncached(value, invalid, sizes);
}

function walkUncached(value: unknown, invalid: Invalid, sizes: WeakMap<object, number> | undefined): number {
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return numberBytes(value);
    invalid.problem = `${value}`;
    return INVALID;
  }
  if (typeof value === 'boolean' || value === null) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) {
    let bytes = 3;
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      if (element === undefined) continue;
      const size = walk(element, invalid, sizes);
      if (size === INVALID) {
        invalid.parts.unshift(`[${i}]`);
        return INVALID;
      }
      bytes += 1 + size;
    }
    return bytes;
  }
  if (value instanceof Map) {
    let bytes = 3;
    for (const [name, element] of value as Map<unknown, unknown>) {
      if (element === undefined) continue;
      const size = walk(element, invalid, sizes);
      if (size === INVALID) {
        invalid.parts.unshift(`.${String(name)}`);
        return INVALID;
      }
      bytes += 1 + utf8(String(name)) + size;
    }
    return bytes;
  }
  if (typeof value === 'object') {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      invalid.problem = 'a class instance';
      return INVALID;
    }
    // The document client takes an object whose `constructor` is not Object for a class instance,
    // and writes `__proto__` into a plain object, which drops it: outside names go in lists.
    for (const name of ['constructor', '__proto__']) {
      if (Object.hasOwn(value, name)) {
        invalid.parts.unshift(`.${name}`);
        invalid.problem = 'a map key it cannot marshal';
        return INVALID;
      }
    }
    const record = value as Record<string, unknown>;
    let bytes = 3;
    for (const name of Object.keys(record)) {
      const element = record[name];
      if (element === undefined) continue;
      const size = walk(element, invalid, sizes);
      if (size === INVALID) {
        invalid.parts.unshift(`.${name}`);
        return INVALID;
      }
      bytes += 1 + utf8(name) + size;
    }
    return bytes;
  }
  invalid.problem = `a ${typeof value}`;
  return INVALID;
}

/**
 * The size DynamoDB counts for `item` as the document client writes it (undefined values
 * removed): UTF-8 bytes of every attribute name and string, about one byte per two significant
 * digits of a number, and 3 bytes per list or map plus 1 per element, map keys counted as names.
 * Values DynamoDB or the document client refuse (NaN, Infinity, functions, class instances, map
 * keys named `constructor` or `__proto__`) are reported instead of measured. `sizes` remembers
 * the size of every object and array measured, for a caller whose values never change once
 * built (the memory store's profiles): they are not walked again.
 */
export function measureItem(item: Readonly<Record<string, unknown>>, sizes?: WeakMap<object, number>): ItemMeasure {
  let bytes = 0;
  const invalid: Invalid = { parts: [], problem: '' };
  for (const name of Object.keys(item)) {
    const value = item[name];
    if (value === undefined) continue;
    const size = walk(value, invalid, sizes);
    if (size === INVALID) return { invalidAt: `${name}${invalid.parts.join('')}`, problem: invalid.problem };
    bytes += utf8(name) + size;
  }
  return { bytes };
}
