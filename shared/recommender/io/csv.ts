/**
 * Streaming RFC 4180 CSV records from a file, plain or gzip-compressed.
 *
 * Why hand-written rather than csv-parse: keeping a quote inside an unquoted field as text
 * (`12" RULER`, common in product titles) needs csv-parse's `relax_quotes`, and with it text after
 * a closing quote (`"i1"x`) parses like an escaped quote instead of being reported; without it,
 * such records are dropped and the lines after them misread. It also reads the largest data set
 * several times slower. Quoted fields may hold commas, doubled quotes and line breaks; a record
 * that spans several physical lines is reported with the line it started on, so error messages
 * point where an editor would show the problem.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** The first two bytes of every gzip member (RFC 1952). */
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** One CSV record and the 1-based physical line it starts on. */
export interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
}

/** A record the tokenizer could not split; the caller decides whether to throw or skip. */
export interface CsvSyntaxProblem {
  readonly line: number;
  readonly reason: 'unterminated-quote' | 'stray-quote';
  readonly message: string;
}

/** Whether the file is gzip-compressed: by its magic bytes, whatever its name. */
export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(2);
    const { bytesRead } = await handle.read(buffer, 0, 2, 0);
    return bytesRead === 2 && buffer[0] === GZIP_MAGIC[0] && buffer[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

/** The file's text as a stream, decompressed when it is gzip (by magic bytes or a `.gz` name). */
export async function openText(path: string): Promise<Readable> {
  const gzip = (await isGzipFile(path)) || path.endsWith('.gz');
  const raw = createReadStream(path);
  if (!gzip) return raw;
  const gunzip = createGunzip();
  // A read error of the file must surface from the decompressed stream the caller reads.
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
}

/**
 * Splits one physical line into fields when it holds no quote, the common case, without the
 * character loop below.
 */
function splitPlain(line: string): string[] {
  return line.split(',');
}

/**
 * Yields the records of a CSV text stream. Empty lines between records are skipped (a trailing
 * newline is not an empty record). Syntax problems are yielded as `CsvSyntaxProblem` so the
 * caller can count them under `skipInvalid`; after an unterminated quote nothing can follow.
 */
export async function* csvRecords(input: Readable): AsyncGenerator<CsvRecord | CsvSyntaxProblem> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  // State of a quoted field that continues on the next physical line.
  let pending: { fields: string[]; field: string; startLine: number } | undefined;
  for await (const rawLine of lines) {
    lineNumber++;
    let line = rawLine;
    if (lineNumber === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (pending === undefined) {
      if (line === '') continue;
      if (!line.includes('"')) {
        yield { line: lineNumber, fields: splitPlain(line) };
        continue;
      }
    }
    const fields = pending?.fields ?? [];
    let field = pending === undefined ? '' : `${pending.field}\n`;
    let inQuotes = pending !== undefined;
    const startLine = pending?.startLine ?? lineNumber;
    let fieldStart = pending === undefined;
    let problem: CsvSyntaxProblem | undefined;
    for (let i = 0; i < line.length; i++) {
      const char = line[i] as string;
      if (inQuotes) {
        if (char === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i++;
          } else {
            inQuotes = false;
            const next = line[i + 1];
            if (next !== undefined && next !== ',') {
              problem = {
                line: startLine,
                reason: 'stray-quote',
                message: `unexpected character after closing quote at column ${i + 2}`,
              };
              break;
            }
          }
        } else {
          field += char;
        }
      } else if (char === ',') {
        fields.push(field);
        field = '';
        fieldStart = true;
      } else if (char === '"' && fieldStart && field === '') {
        inQuotes = true;
        fieldStart = false;
      } else {
        // A quote inside an unquoted field (`12" RULER`) is kept as text, as most CSV writers expect.
        field += char;
        fieldStart = false;
      }
    }
    if (problem !== undefined) {
      pending = undefined;
      yield problem;
      continue;
    }
    if (inQuotes) {
      pending = { fields, field, startLine };
      continue;
    }
    pending = undefined;
    fields.push(field);
    yield { line: startLine, fields };
  }
  if (pending !== undefined) {
    yield {
      line: pending.startLine,
      reason: 'unterminated-quote',
      message: 'quoted field is never closed before the end of the file',
    };
  }
}

/** Type guard separating problems from records. */
export function isCsvProblem(value: CsvRecord | CsvSyntaxProblem): value is CsvSyntaxProblem {
  return 'reason' in value;
}

/** Quotes a field when it needs it (comma, quote, line break), per RFC 4180. */
export function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line (without the line break). */
export function csvLine(values: readonly (string | number | boolean | undefined)[]): string {
  return values.map(csvField).join(',');
}
