import { createHash, randomUUID } from 'node:crypto';
import { AwsJsonError, startAwsJsonStandIn } from './awsJsonStandIn.ts';

/** An SQS stand-in holding what was sent to each queue. */
export interface SqsStandIn {
  /** Where `AWS_ENDPOINT_URL_SQS` points. */
  readonly url: string;
  /** The URL of a queue on the stand-in: `<url>/<account>/<name>`. */
  queueUrl(account: string, name: string): string;
  /** Message bodies sent to the queue at `queueUrl`, in order. */
  messages(queueUrl: string): readonly string[];
  stop(): Promise<void>;
}

/**
 * SQS on loopback, over its JSON 1.0 protocol: `SendMessageBatch` to any queue under the stand-in's
 * URL, answering each entry's MD5 as SQS does (the SDK checks it); `ReceiveMessage` of what no read
 * has taken yet and `DeleteMessageBatch` by receipt handle, as the replay of parked records uses
 * them. Anything else is refused.
 */
export async function startSqsStandIn(): Promise<SqsStandIn> {
  const queues = new Map<string, string[]>();
  /** Per queue: messages not yet received, and those received and not yet deleted, by receipt handle. */
  const waiting = new Map<string, { id: string; body: string }[]>();
  const inFlight = new Map<string, Map<string, string>>();
  let base = '';
  const queueOf = (input: Record<string, unknown>): string => {
    const queueUrl = String(input.QueueUrl);
    if (!queueUrl.startsWith(`${base}/`)) {
      throw new AwsJsonError('AWS.SimpleQueueService.NonExistentQueue', `no queue ${queueUrl}`);
    }
    return queueUrl;
  };
  const md5 = (body: string) => createHash('md5').update(body, 'utf8').digest('hex');
  const standIn = await startAwsJsonStandIn('AmazonSQS', 'application/x-amz-json-1.0', {
    SendMessageBatch: (input) => {
      const queueUrl = queueOf(input);
      const entries = input.Entries as { Id: string; MessageBody: string }[];
      const sent = queues.get(queueUrl) ?? [];
      queues.set(queueUrl, sent);
      const pending = waiting.get(queueUrl) ?? [];
      waiting.set(queueUrl, pending);
      return {
        Successful: entries.map((entry) => {
          sent.push(entry.MessageBody);
          const id = randomUUID();
          pending.push({ id, body: entry.MessageBody });
          return { Id: entry.Id, MessageId: id, MD5OfMessageBody: md5(entry.MessageBody) };
        }),
        Failed: [],
      };
    },
    ReceiveMessage: (input) => {
      const queueUrl = queueOf(input);
      const taken = (waiting.get(queueUrl) ?? []).splice(0, Number(input.MaxNumberOfMessages ?? 1));
      const held = inFlight.get(queueUrl) ?? new Map<string, string>();
      inFlight.set(queueUrl, held);
      return {
        Messages: taken.map(({ id, body }) => {
          const receiptHandle = randomUUID();
          held.set(receiptHandle, id);
          return { MessageId: id, ReceiptHandle: receiptHandle, Body: body, MD5OfBody: md5(body) };
        }),
      };
    },
    DeleteMessageBatch: (input) => {
      const held = inFlight.get(queueOf(input)) ?? new Map<string, string>();
      const entries = input.Entries as { Id: string; ReceiptHandle: string }[];
      const successful = entries.filter((entry) => held.delete(entry.ReceiptHandle)).map((entry) => ({ Id: entry.Id }));
      const failed = entries
        .filter((entry) => !successful.some((done) => done.Id === entry.Id))
        .map((entry) => ({ Id: entry.Id, Code: 'ReceiptHandleIsInvalid', SenderFault: true }));
      return { Successful: successful, Failed: failed };
    },
  });
  base = standIn.url;
  return {
    url: standIn.url,
    queueUrl: (account, name) => `${standIn.url}/${account}/${name}`,
    messages: (queueUrl) => queues.get(queueUrl) ?? [],
    stop: standIn.stop,
  };
}
