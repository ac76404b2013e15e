import { createHmac } from 'node:crypto';
import { ApiError } from '../errors.ts';
import type { ErasureHashKey } from '../ports/index.ts';

/** Shortest erasure hash key accepted: 32 characters, 256 bits when they are random. */
export const MIN_ERASURE_HASH_KEY_CHARS = 32;

/**
 * An erasure hash key that is too short: a deployment fault, not the caller's, so a 500 whose
 * reason tells the operator what to fix.
 */
export class InvalidErasureHashKeyError extends ApiError {
  readonly status = 500;
  constructor(source: string, detail: string) {
    super('invalid_erasure_hash_key', `the erasure hash key from ${source} ${detail}`);
  }
}

/** Checks a key's length and returns it; `source` names where it came from in the error. */
export function checkErasureHashKey(key: string, source: string): string {
  if (key.length < MIN_ERASURE_HASH_KEY_CHARS) {
    throw new InvalidErasureHashKeyError(
      source,
      `has ${key.length} characters; it needs at least ${MIN_ERASURE_HASH_KEY_CHARS}`,
    );
  }
  return key;
}

/** A shopper key (`u:<userId>`, `a:<anonymousId>`) → its keyed hash, 64 hex digits. */
export type ShopperKeyHash = (shopperKey: string) => string;

/**
 * The keyed hash the erasure log stores instead of a shopper key: HMAC-SHA256 with the erasure
 * hash key, hex. Keyed, so nobody without the key can test whether an id is in the log (a plain
 * hash of a guessable id could be reversed by hashing candidates).
 */
export function erasureHash(key: string, shopperKey: string): string {
  return createHmac('sha256', key).update(shopperKey, 'utf8').digest('hex');
}

/**
 * Hashes shopper keys with the key from `source`, read once: the key is never rotated. A failed
 * read is not kept, so the next call reads again.
 */
export class ErasureHasher {
  private key: Promise<string> | undefined;

  constructor(private readonly source: ErasureHashKey) {}

  async hash(shopperKey: string): Promise<string> {
    return erasureHash(await this.keyOnce(), shopperKey);
  }

  /**
   * A synchronous hash function for hashing many keys (the training export), remembering up to
   * `memoEntries` results: a shopper's events come many times.
   */
  async hashFunction(memoEntries = 100_000): Promise<ShopperKeyHash> {
    const key = await this.keyOnce();
    const memo = new Map<string, string>();
    return (shopperKey) => {
      let hash = memo.get(shopperKey);
      if (hash === undefined) {
        hash = erasureHash(key, shopperKey);
        if (memo.size >= memoEntries) memo.clear();
        memo.set(shopperKey, hash);
      }
      return hash;
    };
  }

  private keyOnce(): Promise<string> {
    if (this.key === undefined) {
      const read = this.source.key();
      this.key = read;
      read.catch(() => {
        if (this.key === read) this.key = undefined;
      });
    }
    return this.key;
  }
}
