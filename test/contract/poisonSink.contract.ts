import { beforeEach, describe, expect, it } from 'vitest';
import type { PoisonRecord, PoisonSink } from '#shared/ports/index.ts';

/** A sink and a way to read back what its destination holds. */
export interface PoisonSinkUnderTest {
  readonly sink: PoisonSink;
  /** Every record the destination holds, in the order it took them. */
  readBack(): Promise<PoisonRecord[]>;
}

export interface PoisonSinkContractOptions {
  /** A sink whose destination refuses every record; without it, that case is not run. */
  readonly refusing?: () => Promise<PoisonSink>;
}

/** A poison record as `applyEventBatch` builds one: the record's data in base64. */
export const poisonRecord = (n: number, overrides: Partial<PoisonRecord> = {}): PoisonRecord => ({
  shardId: 'shardId-000000000001',
  sequenceNumber: String(49_650_000_000_000_000_000n + BigInt(n)),
  reason: n % 2 === 0 ? 'invalid_json' : 'invalid_event',
  message: `record ${n} is not an event`,
  data: Buffer.from(`{"n": ${n}, "broken"`).toString('base64'),
  ...overrides,
});

/**
 * What every PoisonSink must do, run against the in-memory sink, the file sink (unit) and the
 * SQS sink on a mocked client that enforces SQS's batch rules. The processor counts a record as
 * handled once `send` resolves, so a record `send` resolved for must be readable at the
 * destination, whole; when it cannot be parked, `send` must reject so the batch is retried.
 */
export function poisonSinkContract(
  name: string,
  create: () => Promise<PoisonSinkUnderTest>,
  options: PoisonSinkContractOptions = {},
): void {
  describe(`Contract: PoisonSink (${name})`, () => {
    let underTest: PoisonSinkUnderTest;
    beforeEach(async () => {
      underTest = await create();
    });

    describe('Method: send', () => {
      it('returns for no records and parks nothing', async () => {
        // Act
        await underTest.sink.send([]);

        // Assess
        expect(await underTest.readBack()).toEqual([]);
      });

      it('returns once every record is parked as sent, in order', async () => {
        // Prepare
        const records = [poisonRecord(1), poisonRecord(2), poisonRecord(3)];

        // Act
        await underTest.sink.send(records);

        // Assess
        expect(await underTest.readBack()).toEqual(records);
      });

      it('returns with the records of a later send after those of an earlier one', async () => {
        // Prepare
        const first = [poisonRecord(1)];
        const second = [poisonRecord(2), poisonRecord(3)];

        // Act
        await underTest.sink.send(first);
        await underTest.sink.send(second);

        // Assess
        expect(await underTest.readBack()).toEqual([...first, ...second]);
      });

      it('returns with a batch of 25, more than one destination call takes, all parked in order', async () => {
        // Prepare
        const records = Array.from({ length: 25 }, (_, i) => poisonRecord(i));

        // Act
        await underTest.sink.send(records);

        // Assess
        expect(await underTest.readBack()).toEqual(records);
      });

      it('returns with unicode, quotes, newlines and an event-sized payload kept unchanged', async () => {
        // Prepare: the largest event ingest takes is 8 KiB; its base64 is a third larger.
        const records = [
          poisonRecord(1, { message: 'Unexpected token \'é\', "Crème ✓\n\t\\"" is not valid JSON' }),
          poisonRecord(2, { data: Buffer.from('x'.repeat(8 * 1024)).toString('base64') }),
          poisonRecord(3, { reason: 'invalid_event', message: 'properties.😀: too long' }),
        ];

        // Act
        await underTest.sink.send(records);

        // Assess
        expect(await underTest.readBack()).toEqual(records);
      });

      it('returns with ten event-sized records parked, a full destination call of the largest events', async () => {
        // Prepare
        const records = Array.from({ length: 10 }, (_, i) =>
          poisonRecord(i, { data: Buffer.from('y'.repeat(8 * 1024)).toString('base64') }),
        );

        // Act
        await underTest.sink.send(records);

        // Assess
        expect(await underTest.readBack()).toEqual(records);
      });

      it('returns with messages holding U+FFFF, U+FFFE and lone surrogates kept unchanged', async () => {
        // Prepare: V8 quotes the record's text in a JSON parse error, which becomes the message.
        const records = [
          poisonRecord(1, { message: `record data is not JSON: Unexpected token '\uFFFF'` }),
          poisonRecord(2, { message: 'Unexpected token \uFFFE, then \uD83D and \uDE00 alone' }),
        ];

        // Act
        await underTest.sink.send(records);

        // Assess
        expect(await underTest.readBack()).toEqual(records);
      });

      it('returns with ten 200 KiB records, more bytes than one destination call takes, all parked', async () => {
        // Prepare: a record not written by ingest (which caps events at 8 KiB) can be up to 1 MiB.
        const records = Array.from({ length: 10 }, (_, i) =>
          poisonRecord(i, { data: Buffer.from('z'.repeat(150 * 1024)).toString('base64') }),
        );

        // Act
        await underTest.sink.send(records);

        // Assess
        expect(await underTest.readBack()).toEqual(records);
      });

      if (options.refusing) {
        const refusing = options.refusing;
        it('rejects when the destination refuses the records, so the batch is retried', async () => {
          // Prepare
          const sink = await refusing();

          // Act
          const attempt = sink.send([poisonRecord(1)]);

          // Assess
          await expect(attempt).rejects.toThrow();
        });
      }
    });
  });
}
