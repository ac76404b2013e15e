import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ParkedMessage, ParkedRecords } from '../ports/index.ts';

export interface SqsParkedRecordsOptions {
  /**
   * How long a message read stays hidden from other readers, in seconds: longer than a replay
   * run, so a run reads each message once. @default 900
   */
  readonly visibilityTimeoutSeconds?: number;
  /** Long-poll wait of each read; an empty read ends the run. @default 1 */
  readonly waitTimeSeconds?: number;
}

/** Some replayed messages could not be deleted; they become visible again, and replaying them again is harmless. */
export class ParkedMessagesNotRemovedError extends Error {
  constructor(
    readonly failed: number,
    message: string,
  ) {
    super(message);
    this.name = 'ParkedMessagesNotRemovedError';
  }
}

/**
 * The processor's on-failure queue read back for a replay: pages of up to 10 messages until a
 * read finds none. Messages not removed (not replayable) become visible again after the
 * visibility timeout, for the next run or an operator.
 */
export class SqsParkedRecords implements ParkedRecords {
  private readonly visibilityTimeoutSeconds: number;
  private readonly waitTimeSeconds: number;

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    options: SqsParkedRecordsOptions = {},
  ) {
    this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 900;
    this.waitTimeSeconds = options.waitTimeSeconds ?? 1;
  }

  async *read(): AsyncIterable<readonly ParkedMessage[]> {
    for (;;) {
      const { Messages } = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: this.visibilityTimeoutSeconds,
          WaitTimeSeconds: this.waitTimeSeconds,
        }),
      );
      const page = (Messages ?? []).flatMap((message) =>
        message.ReceiptHandle === undefined ? [] : [{ handle: message.ReceiptHandle, body: message.Body ?? '' }],
      );
      if (page.length === 0) return;
      yield page;
    }
  }

  async remove(messages: readonly ParkedMessage[]): Promise<void> {
    const failures: string[] = [];
    for (let start = 0; start < messages.length; start += 10) {
      const chunk = messages.slice(start, start + 10);
      const { Failed } = await this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((message, i) => ({ Id: String(i), ReceiptHandle: message.handle })),
        }),
      );
      for (const failed of Failed ?? []) failures.push(`${failed.Code ?? 'unknown'}: ${failed.Message ?? ''}`);
    }
    if (failures.length > 0) {
      throw new ParkedMessagesNotRemovedError(
        failures.length,
        `${failures.length} replayed message(s) were not deleted (${failures[0]}); they will be read again`,
      );
    }
  }
}
