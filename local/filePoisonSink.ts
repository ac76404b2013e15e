import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PoisonRecord, PoisonSink } from '#shared/ports/index.ts';

/**
 * The local stack's on-failure destination, one JSON line per poison record: there is no SQS
 * stand-in, and a file is what a developer reads. Never bundled into a function.
 */
export class FilePoisonSink implements PoisonSink {
  constructor(private readonly path: string) {}

  async send(records: readonly PoisonRecord[]): Promise<void> {
    if (records.length === 0) return;
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}
