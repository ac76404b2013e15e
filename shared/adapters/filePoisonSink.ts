import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { fileURLToPath } from 'node:url';
import type { PoisonRecord, PoisonSink } from '../ports/index.ts';
import { SqsPoisonSink } from './sqsPoisonSink.ts';

/** The local stack's on-failure destination: one JSON line per poison record. */
export class FilePoisonSink implements PoisonSink {
  constructor(private readonly path: string) {}

  async send(records: readonly PoisonRecord[]): Promise<void> {
    if (records.length === 0) return;
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}

/** Keeps poison records in memory (tests). */
export class MemoryPoisonSink implements PoisonSink {
  readonly records: PoisonRecord[] = [];
  async send(records: readonly PoisonRecord[]): Promise<void> {
    this.records.push(...records);
  }
}

/**
 * Picks the sink for a queue URL: `file:` URLs (the local stack) append to a file, anything
 * else is an SQS queue URL. The handler code stays identical in AWS and locally.
 */
export function poisonSinkFor(queueUrl: string, sqsClient: () => SQSClient): PoisonSink {
  if (queueUrl.startsWith('file:')) return new FilePoisonSink(fileURLToPath(queueUrl));
  return new SqsPoisonSink(sqsClient(), queueUrl);
}
