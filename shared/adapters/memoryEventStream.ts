import { shopperKey, type StreamEvent } from '../events/schema.ts';
import type { EventStream, PutEventsResult } from '../ports/index.ts';

/** One record as the stream holds it. */
export interface MemoryStreamRecord {
  /** The shopper key (`u:<userId>` or `a:<anonymousId>`), as Kinesis partitions by it. */
  readonly partitionKey: string;
  /** Increasing over the whole stream, as a shard's sequence numbers are. */
  readonly sequenceNumber: string;
  /** The event after a JSON round trip: what a stream consumer decodes. */
  readonly event: StreamEvent;
}

export interface MemoryEventStreamOptions {
  /**
   * Whether the stream refuses an event, and why (as Kinesis refuses a throttled record); the
   * event is then listed in `failed` and not kept. @default undefined (every event is taken)
   */
  readonly refuse?: (event: StreamEvent) => string | undefined;
}

/**
 * The event stream in memory, for tests and benchmarks: events are kept in the order they were
 * put, each serialised as the Kinesis adapter serialises it.
 *
 * @example
 * const stream = new MemoryEventStream();
 * await stream.putEvents(events);
 * stream.records.map((record) => record.event.eventId);
 */
export class MemoryEventStream implements EventStream {
  readonly records: MemoryStreamRecord[] = [];
  readonly #refuse: MemoryEventStreamOptions['refuse'];
  #sequence = 0;

  constructor(options: MemoryEventStreamOptions = {}) {
    this.#refuse = options.refuse;
  }

  async putEvents(events: readonly StreamEvent[]): Promise<PutEventsResult> {
    const failed: { index: number; message: string }[] = [];
    events.forEach((event, index) => {
      const refused = this.#refuse?.(event);
      if (refused !== undefined) {
        failed.push({ index, message: refused });
        return;
      }
      this.#sequence += 1;
      this.records.push({
        partitionKey: shopperKey(event),
        sequenceNumber: String(this.#sequence),
        event: JSON.parse(JSON.stringify(event)) as StreamEvent,
      });
    });
    return { failed };
  }
}
