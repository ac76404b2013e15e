import { describe, expect, it } from 'vitest';
import { MemoryEventStream } from '#shared/adapters/memoryEventStream.ts';
import { eventStreamContract, streamEvent, type EventStreamFaults } from '../../../contract/eventStream.contract.ts';

/** A memory stream refusing as `faults` say; it makes one attempt per event and call. */
function memoryStream(faults?: EventStreamFaults): MemoryEventStream {
  const attempts = new Map<string, number>();
  return new MemoryEventStream({
    refuse: (event) => {
      const attempt = (attempts.get(event.eventId) ?? 0) + 1;
      attempts.set(event.eventId, attempt);
      return faults?.refuse(event.eventId, attempt) ? 'ProvisionedThroughputExceededException: refused' : undefined;
    },
  });
}

eventStreamContract(
  'memory',
  async (faults) => {
    const stream = memoryStream(faults);
    return {
      stream,
      readBack: async () => stream.records.map(({ partitionKey, event }) => ({ partitionKey, event })),
    };
  },
  { unavailable: async () => new MemoryEventStream({ refuse: () => 'ResourceNotFoundException: no stream' }) },
);

describe('Class: MemoryEventStream', () => {
  describe('Method: putEvents', () => {
    it('returns records with increasing sequence numbers, unchanged by later edits of the events sent', async () => {
      // Prepare
      const stream = new MemoryEventStream();
      const event = streamEvent('e1', { userId: 'u1' });

      // Act
      await stream.putEvents([event, streamEvent('e2', { userId: 'u1' })]);
      (event as { itemId?: string }).itemId = 'changed';

      // Assess
      expect(stream.records.map((r) => [r.sequenceNumber, r.event.eventId, r.event.itemId])).toEqual([
        ['1', 'e1', 'sku-0'],
        ['2', 'e2', 'sku-0'],
      ]);
    });
  });
});
