import type { ParkedMessage, ParkedRecords, PoisonRecord, PoisonSink } from '../ports/index.ts';

/** Keeps poison records in memory, and reads them back for a replay (tests and benchmarks). */
export class MemoryPoisonSink implements PoisonSink, ParkedRecords {
  readonly records: PoisonRecord[] = [];
  readonly #handles = new Map<string, PoisonRecord>();
  #next = 0;

  async send(records: readonly PoisonRecord[]): Promise<void> {
    this.records.push(...records);
  }

  async *read(): AsyncIterable<readonly ParkedMessage[]> {
    const page = this.records.map((record) => {
      const handle = String((this.#next += 1));
      this.#handles.set(handle, record);
      return { handle, body: JSON.stringify(record) };
    });
    if (page.length > 0) yield page;
  }

  async remove(messages: readonly ParkedMessage[]): Promise<void> {
    const removed = new Set(messages.map((message) => this.#handles.get(message.handle)));
    const kept = this.records.filter((record) => !removed.has(record));
    this.records.splice(0, this.records.length, ...kept);
  }
}
