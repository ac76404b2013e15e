import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';

/** Text buffered before a write: few, large writes. */
const FLUSH_CHARS = 1 << 20;

/** A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180), as the dataset reader expects. */
export const csvField = (value: string): string => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** A file written line by line, in large buffered writes that wait for the disk when it falls behind. */
export class CsvFile {
  private buffer = '';
  lines = 0;

  private constructor(private readonly stream: WriteStream) {}

  /** Creates (or replaces) `path`, its folder too, and writes the header line. */
  static async create(path: string, header: readonly string[]): Promise<CsvFile> {
    await mkdir(dirname(path), { recursive: true });
    const stream = createWriteStream(path);
    await once(stream, 'open');
    const file = new CsvFile(stream);
    file.buffer = `${header.join(',')}\n`;
    return file;
  }

  /** Adds one line of already-quoted fields; {@link flush} writes them out. */
  line(text: string): void {
    this.buffer += `${text}\n`;
    this.lines += 1;
  }

  /** Whether the buffer is large enough to write out (checked without an await per line). */
  get full(): boolean {
    return this.buffer.length >= FLUSH_CHARS;
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }

  async flush(): Promise<void> {
    if (this.buffer === '') return;
    const text = this.buffer;
    this.buffer = '';
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }
}
