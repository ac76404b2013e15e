import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ParkedMessage, ParkedRecords, PoisonRecord, PoisonSink } from '#shared/ports/index.ts';

/**
 * The local stack's on-failure destination, one JSON line per poison record: there is no SQS
 * stand-in, and a file is what a developer reads. A replay (`npm run replay:parked -- --file`)
 * reads it back and removes what it replayed. Never bundled into a function.
 */
export class FilePoisonSink implements PoisonSink, ParkedRecords {
  constructor(private readonly path: string) {}

  async send(records: readonly PoisonRecord[]): Promise<void> {
    if (records.length === 0) return;
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  /** Every line, as one page; a line's handle is its number. */
  async *read(): AsyncIterable<readonly ParkedMessage[]> {
    const page = (await this.lines()).flatMap((body, i) => (body === '' ? [] : [{ handle: String(i), body }]));
    if (page.length > 0) yield page;
  }

  /**
   * Rewrites the file without the removed lines (those still holding what was read: the sink
   * only appends), through a temporary file, so a reader never sees half of it.
   */
  async remove(messages: readonly ParkedMessage[]): Promise<void> {
    const removed = new Map(messages.map((message) => [Number(message.handle), message.body]));
    const kept = (await this.lines()).filter((line, i) => line !== '' && removed.get(i) !== line);
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, kept.map((line) => `${line}\n`).join(''));
    await rename(temporary, this.path);
  }

  private async lines(): Promise<string[]> {
    try {
      return (await readFile(this.path, 'utf8')).split('\n');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}
