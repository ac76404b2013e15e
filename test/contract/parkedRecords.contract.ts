import { beforeEach, describe, expect, it } from 'vitest';
import type { ParkedMessage, ParkedRecords, PoisonRecord, PoisonSink } from '#shared/ports/index.ts';
import { poisonRecord } from './poisonSink.contract.ts';

/** A destination as the processor writes it (the sink) and a replay reads it back. */
export interface ParkedRecordsUnderTest {
  readonly sink: PoisonSink;
  readonly parked: ParkedRecords;
  /** Lets a message read and not removed be read again (SQS: its visibility timeout passes). */
  readonly timePasses?: () => void;
}

async function readAll(parked: ParkedRecords): Promise<ParkedMessage[]> {
  const messages: ParkedMessage[] = [];
  for await (const page of parked.read()) messages.push(...page);
  return messages;
}

const recordsOf = (messages: readonly ParkedMessage[]): PoisonRecord[] =>
  messages.map((message) => JSON.parse(message.body) as PoisonRecord);

/**
 * What every ParkedRecords adapter must do, run against the in-memory and file sinks and the SQS
 * reader on a mocked client that keeps what the SQS sink sent: a replay reads back every record
 * the sink parked, whole, and what it removes is gone for the next replay.
 */
export function parkedRecordsContract(name: string, create: () => Promise<ParkedRecordsUnderTest>): void {
  describe(`Contract: ParkedRecords (${name})`, () => {
    let underTest: ParkedRecordsUnderTest;
    beforeEach(async () => {
      underTest = await create();
    });

    describe('Method: read', () => {
      it('returns nothing when nothing was parked', async () => {
        // Act
        const messages = await readAll(underTest.parked);

        // Assess
        expect(messages).toEqual([]);
      });

      it('returns every record the sink parked, whole, each once', async () => {
        // Prepare
        const records = Array.from({ length: 25 }, (_, i) =>
          poisonRecord(i, { reason: 'item_rejected', message: 'profile u:é "x"\n' }),
        );
        await underTest.sink.send(records);

        // Act
        const messages = await readAll(underTest.parked);

        // Assess
        const bySequence = (a: PoisonRecord, b: PoisonRecord) => a.sequenceNumber.localeCompare(b.sequenceNumber);
        expect(recordsOf(messages).sort(bySequence)).toEqual([...records].sort(bySequence));
        expect(new Set(messages.map((message) => message.handle)).size).toBe(records.length);
      });
    });

    describe('Method: remove', () => {
      it('returns with the removed records gone from the next read, and the others kept', async () => {
        // Prepare
        const records = [poisonRecord(1), poisonRecord(2), poisonRecord(3)];
        await underTest.sink.send(records);
        const read = await readAll(underTest.parked);
        const second = read.find((message) => recordsOf([message])[0]?.sequenceNumber === records[1]?.sequenceNumber);

        // Act
        await underTest.parked.remove(read.filter((message) => message !== second));
        underTest.timePasses?.();
        const left = await readAll(underTest.parked);

        // Assess
        expect(recordsOf(left)).toEqual([records[1]]);
      });
    });
  });
}
