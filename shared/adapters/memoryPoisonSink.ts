import type { PoisonRecord, PoisonSink } from '../ports/index.ts';

/** Keeps poison records in memory (tests and benchmarks). */
export class MemoryPoisonSink implements PoisonSink {
  readonly records: PoisonRecord[] = [];

  async send(records: readonly PoisonRecord[]): Promise<void> {
    this.records.push(...records);
  }
}
