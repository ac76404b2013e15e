import type {
  LakeEvent,
  LakeReader,
  LakeReadStats,
  NewDataCount,
  NewDataCounter,
  TimeRange,
} from '../training/ports.ts';

/** Events per batch the memory lake gives, as a chunk of a lake object would. */
const BATCH = 1_000;

/** A lake in memory (tests, benchmarks): the events as added, counted exactly. */
export class MemoryLake implements LakeReader, NewDataCounter {
  private readonly stored: LakeEvent[] = [];

  add(...events: readonly LakeEvent[]): this {
    this.stored.push(...events);
    return this;
  }

  async *events(range: TimeRange, _stats: LakeReadStats): AsyncGenerator<LakeEvent[]> {
    const inRange = this.stored.filter((event) => event.receivedAt >= range.from && event.receivedAt < range.to);
    for (let start = 0; start < inRange.length; start += BATCH) yield inRange.slice(start, start + BATCH);
  }

  async countEvents(range: TimeRange): Promise<NewDataCount> {
    const events = this.stored.filter((event) => event.receivedAt >= range.from && event.receivedAt < range.to).length;
    return { events, estimated: false };
  }
}
