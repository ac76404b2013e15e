import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, type SendMessageBatchResult, type SQSClient } from '@aws-sdk/client-sqs';
import type { PoisonRecord, PoisonSink } from '../ports/index.ts';

/** Entries SQS takes in one SendMessageBatch call. */
const MAX_MESSAGES_PER_CALL = 10;

/**
 * SQS's largest message and largest SendMessageBatch payload (the sum of the bodies), in bytes:
 * 1 MiB, which is also the MaximumMessageSize of a queue created without one, as the stack's
 * failure queue is.
 */
export const SQS_MAX_PAYLOAD_BYTES = 1_048_576;

/**
 * Characters SQS refuses in a message body (`InvalidMessageContents`): anything outside
 * `#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF`.
 */
const NOT_SQS_TEXT = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** A poison record as parked when even alone it is larger than a message may be. */
export interface TruncatedPoisonRecord extends PoisonRecord {
  /** Set when `data` holds only the start of the record's data. */
  readonly dataTruncated?: true;
  /** Characters of the record's base64 `data` before it was cut. */
  readonly dataLength?: number;
  /** Set when `message` holds only the start of the reason's message. */
  readonly messageTruncated?: true;
}

export interface SqsPoisonSinkOptions {
  /**
   * Largest message, and largest batch of messages, in UTF-8 bytes. Set it to the queue's
   * MaximumMessageSize when that is below SQS's maximum.
   *
   * @default 1_048_576 ({@link SQS_MAX_PAYLOAD_BYTES})
   */
  readonly maxPayloadBytes?: number;
  /**
   * Sends of a message SQS lists in `Failed[]` without blaming the sender, the first included.
   * A sender fault is never retried: the same message would be refused again.
   *
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * Wait before the first retry of a batch's failed entries, doubled for each further retry.
   *
   * @default 100
   */
  readonly retryDelayMs?: number;
}

/** Some poison records were not parked after every batch was tried; the processor retries the batch. */
export class PoisonRecordsNotParkedError extends Error {
  constructor(
    readonly failed: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PoisonRecordsNotParkedError';
  }
}

/**
 * The record as a message body SQS takes: JSON with every character SQS refuses written as a
 * `\uXXXX` escape. `JSON.stringify` escapes control characters and lone surrogates itself; what
 * is left (U+FFFE, U+FFFF) only ever stands inside a JSON string, where the escape parses back
 * to the same character.
 *
 * @example
 * JSON.parse(messageBodyOf(record)); // deep-equals record
 */
export function messageBodyOf(record: object): string {
  return JSON.stringify(record).replace(
    NOT_SQS_TEXT,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

interface Message {
  readonly body: string;
  readonly bytes: number;
}

interface Failure {
  readonly message: string;
  readonly cause?: unknown;
}

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * Parks poison records on the processor's on-failure queue, one message per record holding the
 * record and its reason as JSON. Every batch is sent even when one fails, so one refused record
 * does not keep the others out of the queue; `send` rejects at the end when any was not parked.
 *
 * @example
 * const sink = new SqsPoisonSink(new SQSClient({}), queueUrl);
 * await sink.send([{ shardId, sequenceNumber, reason: 'invalid_json', message, data }]);
 */
export class SqsPoisonSink implements PoisonSink {
  private readonly maxPayloadBytes: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    options: SqsPoisonSinkOptions = {},
  ) {
    this.maxPayloadBytes = options.maxPayloadBytes ?? SQS_MAX_PAYLOAD_BYTES;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 100;
  }

  async send(records: readonly PoisonRecord[]): Promise<void> {
    const failures: Failure[] = [];
    for (const chunk of this.chunks(records.map((record) => this.messageOf(record)))) {
      failures.push(...(await this.sendChunk(chunk)));
    }
    const first = failures[0];
    if (first) {
      const parked = records.length - failures.length;
      throw new PoisonRecordsNotParkedError(
        failures.length,
        `poison queue refused ${failures.length} message(s): ${first.message}; ${parked} of ${records.length} parked`,
        { cause: first.cause },
      );
    }
  }

  /** The record's message, its `data` (then `message`) cut to fit when the whole is too large. */
  private messageOf(record: PoisonRecord): Message {
    const body = messageBodyOf(record);
    const bytes = byteLength(body);
    if (bytes <= this.maxPayloadBytes) return { body, bytes };
    // Parking the metadata with part of the data beats parking nothing: the record is still in
    // the stream for the retention period, and the sequence number finds it there.
    let parked: TruncatedPoisonRecord = { ...record, data: '', dataTruncated: true, dataLength: record.data.length };
    if (byteLength(messageBodyOf(parked)) > this.maxPayloadBytes) {
      parked = { ...parked, messageTruncated: true };
      parked = { ...parked, message: this.longestPrefix(parked, 'message', record.message) };
    }
    const data = this.longestPrefix(parked, 'data', record.data);
    // Whole base64 quanta only, so what is kept still decodes to the start of the record.
    parked = { ...parked, data: data.slice(0, data.length - (data.length % 4)) };
    const truncated = messageBodyOf(parked);
    return { body: truncated, bytes: byteLength(truncated) };
  }

  /** The longest start of `value` that, set as `field` of `record`, keeps the message within the limit. */
  private longestPrefix(record: TruncatedPoisonRecord, field: 'data' | 'message', value: string): string {
    // Never end on half a surrogate pair: escaped, it would make a longer prefix the smaller one.
    const prefix = (length: number): string =>
      /[\uD800-\uDBFF]$/.test(value.slice(0, length)) ? value.slice(0, length - 1) : value.slice(0, length);
    const fits = (length: number): boolean =>
      byteLength(messageBodyOf({ ...record, [field]: prefix(length) })) <= this.maxPayloadBytes;
    // Binary search: a character may take one to six bytes of the body, so no count is exact.
    let low = 0;
    let high = value.length;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (fits(middle)) low = middle;
      else high = middle - 1;
    }
    return prefix(low);
  }

  /** Batches of at most 10 messages and {@link maxPayloadBytes} bytes, in the order given. */
  private *chunks(messages: readonly Message[]): Generator<Message[]> {
    let chunk: Message[] = [];
    let bytes = 0;
    for (const message of messages) {
      if (
        chunk.length === MAX_MESSAGES_PER_CALL ||
        (chunk.length > 0 && bytes + message.bytes > this.maxPayloadBytes)
      ) {
        yield chunk;
        chunk = [];
        bytes = 0;
      }
      chunk.push(message);
      bytes += message.bytes;
    }
    if (chunk.length > 0) yield chunk;
  }

  /** Sends one batch, resending the entries SQS failed without a sender fault; returns what stayed out. */
  private async sendChunk(chunk: readonly Message[]): Promise<Failure[]> {
    const failures: Failure[] = [];
    let pending = chunk.map((message, i) => ({ id: String(i), message }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      let result: SendMessageBatchResult;
      try {
        result = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: pending.map(({ id, message }) => ({ Id: id, MessageBody: message.body })),
          }),
        );
      } catch (error) {
        // The SDK has already retried throttling and transient faults of the call itself.
        const message = error instanceof Error ? error.message : String(error);
        return [...failures, ...pending.map(() => ({ message, cause: error }))];
      }
      const byId = new Map(pending.map((entry) => [entry.id, entry]));
      const retry: typeof pending = [];
      for (const failed of result.Failed ?? []) {
        const entry = failed.Id === undefined ? undefined : byId.get(failed.Id);
        if (!entry) continue;
        if (!failed.SenderFault && attempt < this.maxAttempts) {
          retry.push(entry);
        } else {
          failures.push({ message: `${failed.Message ?? ''} (${failed.Code ?? 'unknown'})` });
        }
      }
      pending = retry;
      if (pending.length > 0) await sleep(this.retryDelayMs * 2 ** (attempt - 1));
    }
    return failures;
  }
}
