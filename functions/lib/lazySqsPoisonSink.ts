import type { PoisonRecord, PoisonSink } from '#shared/ports/index.ts';

/**
 * The SQS poison sink, its module and client (the SQS client and its schemas) evaluated when a
 * record is first parked rather than at import. A poison record is rare, so most execution
 * environments of the processor never make that call and never pay for the client; the one that
 * does pays on its first park.
 *
 * @example
 * const sink = new LazySqsPoisonSink('https://sqs.eu-west-1.amazonaws.com/123456789012/poison');
 * await sink.send([record]); // loads the client, then sends
 */
export class LazySqsPoisonSink implements PoisonSink {
  #sink: Promise<PoisonSink> | undefined;

  constructor(private readonly queueUrl: string) {}

  async send(records: readonly PoisonRecord[]): Promise<void> {
    return (await this.#load()).send(records);
  }

  #load(): Promise<PoisonSink> {
    if (this.#sink === undefined) {
      const sink = Promise.all([import('#shared/adapters/sqsPoisonSink.ts'), import('./sqs.ts')]).then(
        ([{ SqsPoisonSink }, { sqs }]) => new SqsPoisonSink(sqs, this.queueUrl),
      );
      // A failed load is not kept: the next park tries again.
      sink.catch(() => {
        if (this.#sink === sink) this.#sink = undefined;
      });
      this.#sink = sink;
    }
    return this.#sink;
  }
}
