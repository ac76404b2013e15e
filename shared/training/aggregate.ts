/**
 * The export's aggregation: one entry per (shopper, item, event type, UTC day) with its event
 * count, latest timestamp and summed quantity. The day keeps a row's events within a day of its
 * timestamp, so the trainer's time decay weighs them within a day of right: per (shopper, item,
 * type) alone, top-10 lists kept 98 % and scores moved up to 11 %; with the day, 99.8 % and
 * under 1 % (test/unit/shared/recommender/io/eventCount.test.ts). Sized for a 90-day window of 900M events, so not a Map
 * of objects: V8 caps a Map at 2^24 entries (16.7M), and an object per entry costs ~100 bytes.
 * Ids are interned to numbers (sharded Maps, so no one Map reaches the cap); entries live in
 * columns of typed arrays, found through an open-addressing index of entry numbers.
 */

/** Entries per column chunk: columns grow by chunks, never by copying. */
const CHUNK_BITS = 20;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
/** Interner shards: 16 Maps hold 16 × 2^24 ids before one reaches V8's cap. */
const ID_SHARDS = 16;
/** Bit of the type byte saying some event of the entry carried a quantity. */
const HAS_QUANTITY = 0x80;
const MAX_UINT32 = 0xffffffff;
const DAY_SECONDS = 86_400;

/** Interns strings to dense numbers 0, 1, 2, …; gives the string of a number back. */
export class IdTable {
  private readonly shards = Array.from({ length: ID_SHARDS }, () => new Map<string, number>());
  private readonly names: string[][] = [];
  size = 0;

  /** The number of `id`, a new one the first time. */
  intern(id: string): number {
    // Length and two characters pick the shard: cheap, and spread enough for UUIDs and counters alike.
    const shard = this.shards[
      (id.length + id.charCodeAt(id.length - 1) * 7 + id.charCodeAt(id.length >> 1) * 3) & (ID_SHARDS - 1)
    ] as Map<string, number>;
    const known = shard.get(id);
    if (known !== undefined) return known;
    const index = this.size++;
    shard.set(id, index);
    if ((index & CHUNK_MASK) === 0) this.names.push([]);
    (this.names[index >>> CHUNK_BITS] as string[]).push(id);
    return index;
  }

  name(index: number): string {
    return (this.names[index >>> CHUNK_BITS] as string[])[index & CHUNK_MASK] as string;
  }
}

/** One aggregated entry, as the writer reads it back. */
export interface AggregatedInteraction {
  readonly user: number;
  readonly item: number;
  readonly type: number;
  readonly count: number;
  /** Epoch seconds of the latest event. */
  readonly latest: number;
  /** Summed quantity, or undefined when no event carried one. */
  readonly quantity: number | undefined;
}

const mix = (user: number, item: number, type: number, day: number): number => {
  let h =
    Math.imul(user ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(item + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(day, 31) ^ type;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
};

/** Entries of (user number, item number, type number, day) in insertion order, about 32 bytes each. */
export class InteractionTable {
  private users: Uint32Array[] = [];
  private items: Uint32Array[] = [];
  private types: Uint8Array[] = [];
  /** Days since the epoch (UTC) of the entry's events; up to year 2149, past the dataset reader's limit. */
  private days: Uint16Array[] = [];
  private counts: Uint32Array[] = [];
  private latest: Uint32Array[] = [];
  private quantities: Uint32Array[] = [];
  /** Entry number + 1 per slot, 0 for empty; kept at most 3/4 full. */
  private index = new Uint32Array(1 << 16);
  size = 0;

  /** Adds one event: `seconds` its timestamp, `quantity` its quantity if any. */
  add(event: {
    readonly user: number;
    readonly item: number;
    readonly type: number;
    readonly seconds: number;
    readonly quantity: number | undefined;
  }): void {
    const { user, item, type } = event;
    const day = Math.floor(event.seconds / DAY_SECONDS);
    const mask = this.index.length - 1;
    let slot = mix(user, item, type, day) & mask;
    for (;;) {
      const stored = this.index[slot] as number;
      if (stored === 0) break;
      const entry = stored - 1;
      const chunk = entry >>> CHUNK_BITS;
      const at = entry & CHUNK_MASK;
      const types = this.types[chunk] as Uint8Array;
      if (
        (this.users[chunk] as Uint32Array)[at] === user &&
        (this.items[chunk] as Uint32Array)[at] === item &&
        ((types[at] as number) & ~HAS_QUANTITY) === type &&
        (this.days[chunk] as Uint16Array)[at] === day
      ) {
        const counts = this.counts[chunk] as Uint32Array;
        counts[at] = Math.min(MAX_UINT32, (counts[at] as number) + 1);
        const latest = this.latest[chunk] as Uint32Array;
        if (event.seconds > (latest[at] as number)) latest[at] = event.seconds;
        if (event.quantity !== undefined) {
          const quantities = this.quantities[chunk] as Uint32Array;
          quantities[at] = Math.min(MAX_UINT32, (quantities[at] as number) + event.quantity);
          types[at] = (types[at] as number) | HAS_QUANTITY;
        }
        return;
      }
      slot = (slot + 1) & mask;
    }
    const entry = this.size++;
    const chunk = entry >>> CHUNK_BITS;
    const at = entry & CHUNK_MASK;
    if (at === 0) this.addChunk();
    (this.users[chunk] as Uint32Array)[at] = user;
    (this.items[chunk] as Uint32Array)[at] = item;
    (this.types[chunk] as Uint8Array)[at] = event.quantity === undefined ? type : type | HAS_QUANTITY;
    (this.days[chunk] as Uint16Array)[at] = day;
    (this.counts[chunk] as Uint32Array)[at] = 1;
    (this.latest[chunk] as Uint32Array)[at] = event.seconds;
    (this.quantities[chunk] as Uint32Array)[at] = event.quantity ?? 0;
    this.index[slot] = entry + 1;
    if (this.size * 4 > this.index.length * 3) this.grow();
  }

  /** Every entry, in the order they were first seen. */
  *entries(): Generator<AggregatedInteraction> {
    for (let entry = 0; entry < this.size; entry++) {
      const chunk = entry >>> CHUNK_BITS;
      const at = entry & CHUNK_MASK;
      const type = (this.types[chunk] as Uint8Array)[at] as number;
      yield {
        user: (this.users[chunk] as Uint32Array)[at] as number,
        item: (this.items[chunk] as Uint32Array)[at] as number,
        type: type & ~HAS_QUANTITY,
        count: (this.counts[chunk] as Uint32Array)[at] as number,
        latest: (this.latest[chunk] as Uint32Array)[at] as number,
        quantity: type & HAS_QUANTITY ? ((this.quantities[chunk] as Uint32Array)[at] as number) : undefined,
      };
    }
  }

  /** Bytes the table holds now (columns and index), for the export's summary. */
  get bytes(): number {
    return this.users.length * CHUNK * (4 + 4 + 1 + 2 + 4 + 4 + 4) + this.index.byteLength;
  }

  private addChunk(): void {
    this.users.push(new Uint32Array(CHUNK));
    this.items.push(new Uint32Array(CHUNK));
    this.types.push(new Uint8Array(CHUNK));
    this.days.push(new Uint16Array(CHUNK));
    this.counts.push(new Uint32Array(CHUNK));
    this.latest.push(new Uint32Array(CHUNK));
    this.quantities.push(new Uint32Array(CHUNK));
  }

  /** Doubles the index and places every entry again. */
  private grow(): void {
    const index = new Uint32Array(this.index.length * 2);
    const mask = index.length - 1;
    for (let entry = 0; entry < this.size; entry++) {
      const chunk = entry >>> CHUNK_BITS;
      const at = entry & CHUNK_MASK;
      let slot =
        mix(
          (this.users[chunk] as Uint32Array)[at] as number,
          (this.items[chunk] as Uint32Array)[at] as number,
          ((this.types[chunk] as Uint8Array)[at] as number) & ~HAS_QUANTITY,
          (this.days[chunk] as Uint16Array)[at] as number,
        ) & mask;
      while (index[slot] !== 0) slot = (slot + 1) & mask;
      index[slot] = entry + 1;
    }
    this.index = index;
  }
}
