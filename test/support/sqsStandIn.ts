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
 * URL, answering each entry's MD5 as SQS does (the SDK checks it). Anything else is refused.
 */
export async function startSqsStandIn(): Promise<SqsStandIn> {
  const queues = new Map<string, string[]>();
  let base = '';
  const standIn = await startAwsJsonStandIn('AmazonSQS', 'application/x-amz-json-1.0', {
    SendMessageBatch: (input) => {
      const queueUrl = String(input.QueueUrl);
      if (!queueUrl.startsWith(`${base}/`)) {
        throw new AwsJsonError('AWS.SimpleQueueService.NonExistentQueue', `no queue ${queueUrl}`);
      }
      const entries = input.Entries as { Id: string; MessageBody: string }[];
      const sent = queues.get(queueUrl) ?? [];
      queues.set(queueUrl, sent);
      return {
        Successful: entries.map((entry) => {
          sent.push(entry.MessageBody);
          return {
            Id: entry.Id,
            MessageId: randomUUID(),
            MD5OfMessageBody: createHash('md5').update(entry.MessageBody, 'utf8').digest('hex'),
          };
        }),
        Failed: [],
      };
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
