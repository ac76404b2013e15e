/**
 * JSON Lines (one JSON value per line) for the CLI's request and response files: streamed, so a
 * batch of a million ranking requests never has to fit in memory as one document.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { DatasetError } from './dataset.ts';
import { openText } from './csv.ts';

/** One parsed line and its 1-based line number. */
export interface JsonLine<T> {
  readonly line: number;
  readonly value: T;
}

/** What a validator returns for a value it rejects: the reason, for the error message. */
export interface Invalid {
  readonly invalid: string;
}

export function isInvalid(value: unknown): value is Invalid {
  return typeof value === 'object' && value !== null && typeof (value as Partial<Invalid>).invalid === 'string';
}

export interface JsonLinesOptions {
  /** Read from this stream instead of opening `file` (which then only names the source in errors). */
  readonly input?: Readable;
  /**
   * Accept lines that are not JSON (not starting with `{`, `[` or `"`) as plain strings, so a
   * list of ids can be one per line.
   */
  readonly plainText?: boolean;
}

async function inputOf(file: string): Promise<Readable> {
  try {
    return await openText(file);
  } catch (error) {
    throw new DatasetError(file, 'unreadable', `cannot read the file (${(error as Error).message})`);
  }
}

/**
 * Yields each non-blank line of a JSONL file (plain or gzip), checked by `validate`, which
 * returns the typed value or `{ invalid: reason }`. Throws `DatasetError` with the line.
 */
export async function* readJsonLines<T>(
  file: string,
  validate: (value: unknown) => T | Invalid,
  options: JsonLinesOptions = {},
): AsyncGenerator<JsonLine<T>> {
  const input = options.input ?? (await inputOf(file));
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  for await (const raw of lines) {
    lineNumber++;
    const text = lineNumber === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (text.trim() === '') continue;
    let parsed: unknown;
    const first = text.trimStart()[0];
    if (options.plainText === true && first !== '{' && first !== '[' && first !== '"') {
      parsed = text.trim();
    } else {
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new DatasetError(file, 'json', `not valid JSON (${(error as Error).message})`, { line: lineNumber });
      }
    }
    const value = validate(parsed);
    if (isInvalid(value)) throw new DatasetError(file, 'json', value.invalid, { line: lineNumber });
    yield { line: lineNumber, value };
  }
}

/** Writes one value as a line, waiting for the stream to drain so large outputs stay lean. */
export async function writeJsonLine(output: Writable, value: unknown): Promise<void> {
  if (!output.write(`${JSON.stringify(value)}\n`)) await once(output, 'drain');
}
