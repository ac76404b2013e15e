import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { PoisonRecord, PoisonSink } from '../ports/index.ts';

const MAX_MESSAGES_PER_CALL = 10;

/** Parks poison records on the processor's on-failure queue, with the reason in the body. */
export class SqsPoisonSink implements PoisonSink {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(records: readonly PoisonRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += MAX_MESSAGES_PER_CALL) {
      const chunk = records.slice(start, start + MAX_MESSAGES_PER_CALL);
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((record, i) => ({ Id: String(i), MessageBody: JSON.stringify(record) })),
        }),
      );
      if (result.Failed && result.Failed.length > 0) {
        throw new Error(`poison queue refused ${result.Failed.length} message(s): ${result.Failed[0]?.Message ?? ''}`);
      }
    }
  }
}
