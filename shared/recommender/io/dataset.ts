/**
 * Reads training data in the Amazon Personalize CSV schemas: interactions
 * (`USER_ID,ITEM_ID,TIMESTAMP[,EVENT_TYPE][,EVENT_VALUE][,EVENT_COUNT]`) and items
 * (`ITEM_ID[,TITLE][,DESCRIPTION][,CATEGORY_L1…CATEGORY_Ln][,PRICE][,IN_STOCK][,CREATION_TIMESTAMP][,RECOMMENDABLE]`).
 * `RECOMMENDABLE` (true/false, any case; empty means true) is ours, not Personalize's: `false` marks an
 * item the shop never wants recommended, such as postage or a fee. `EVENT_COUNT` is ours too: a
 * positive integer n makes the row stand for n events of its type (the training export's
 * aggregated rows, `TIMESTAMP` the latest event's and `EVENT_VALUE` the events' summed quantity).
 *
 * Columns are found by header name (case-insensitive, any order); other columns are ignored, as
 * Personalize allows extra metadata fields. Every problem is a `DatasetError` naming the file,
 * line and field, because a shop exporting its own data needs to know exactly what to fix. With
 * `skipInvalid`, bad lines are counted per reason instead, while problems that make the whole file
 * unusable (missing columns, no rows) still throw.
 */
import { stat } from 'node:fs/promises';
import { EVENT_COUNT_COLUMN } from '../../training/pipeline.ts';
import type { CatalogueItem, Interaction, TrainingData } from '../model.ts';
import { csvRecords, isCsvProblem, openText } from './csv.ts';

/** Why a line was rejected; the keys of `ReadReport.skipped`. */
export type InvalidReason =
  | 'column-count'
  | 'unterminated-quote'
  | 'stray-quote'
  | 'empty-id'
  | 'timestamp'
  | 'number'
  | 'boolean'
  | 'event-count';

/** A problem in a data file; `line` and `field` are set when the problem has a place. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  readonly file: string;
  readonly line: number | undefined;
  readonly field: string | undefined;
  readonly reason: InvalidReason | 'missing-column' | 'duplicate-column' | 'empty-file' | 'unreadable' | 'json';

  constructor(
    file: string,
    reason: DatasetError['reason'],
    detail: string,
    place: { line?: number; field?: string } = {},
  ) {
    const where = [file, place.line === undefined ? undefined : `line ${place.line}`].filter(Boolean).join(':');
    const field = place.field === undefined ? '' : ` ${place.field}:`;
    super(`${where}:${field} ${detail}`);
    this.file = file;
    this.line = place.line;
    this.field = place.field;
    this.reason = reason;
  }
}

export interface ReadOptions {
  /** Count and skip bad lines instead of throwing on the first one. */
  readonly skipInvalid?: boolean;
  /** How many skipped-line messages to keep as examples (default 5). */
  readonly maxExamples?: number;
}

/** What reading a file found, besides its rows. */
export interface ReadReport {
  readonly file: string;
  /** Data lines read (records after the header), valid or not. */
  readonly lines: number;
  /** Rows kept. */
  readonly rows: number;
  /** Skipped lines per reason (only with `skipInvalid`). */
  readonly skipped: Partial<Record<InvalidReason, number>>;
  /** The first few skipped-line messages, for the user to look at. */
  readonly examples: readonly string[];
}

export interface InteractionsResult {
  readonly interactions: Interaction[];
  readonly report: ReadReport;
}

export interface CatalogueResult {
  readonly catalogue: CatalogueItem[];
  readonly report: ReadReport;
}

/** Latest accepted timestamp: 2100-01-01T00:00:00Z. Later values are almost always milliseconds. */
export const MAX_TIMESTAMP = 4_102_444_800;

export const INTERACTION_COLUMNS = [
  'USER_ID',
  'ITEM_ID',
  'TIMESTAMP',
  'EVENT_TYPE',
  'EVENT_VALUE',
  EVENT_COUNT_COLUMN,
] as const;
export const ITEM_COLUMNS = [
  'ITEM_ID',
  'TITLE',
  'DESCRIPTION',
  'CATEGORY_L1',
  'PRICE',
  'IN_STOCK',
  'CREATION_TIMESTAMP',
  'RECOMMENDABLE',
] as const;

/** Edit distance, to suggest the column a misspelt header probably meant. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] as number;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, (previous[j - 1] as number) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length] as number;
}

/** The candidate closest to `name`, if it is close enough to be a plausible typo. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const wanted = name.toUpperCase();
  // `USER` or `userid` for `USER_ID`: the same letters without separators, or a clear abbreviation.
  const bare = (text: string): string => text.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const abbreviation = candidates.find(
    (candidate) => bare(name).length >= 3 && (bare(candidate) === bare(name) || bare(candidate).startsWith(bare(name))),
  );
  if (abbreviation !== undefined) return abbreviation;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, candidate.toUpperCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Header name → column index, upper-cased; throws on duplicates. */
function headerIndex(file: string, header: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  header.forEach((raw, i) => {
    const name = raw.trim().toUpperCase();
    if (index.has(name)) {
      throw new DatasetError(file, 'duplicate-column', `column ${name} appears twice in the header`, {
        line: 1,
        field: name,
      });
    }
    index.set(name, i);
  });
  return index;
}

/** Throws naming the missing column and the header column that looks like a typo of it. */
function requireColumns(
  file: string,
  index: Map<string, number>,
  required: readonly string[],
  known: readonly string[],
): void {
  const present = [...index.keys()];
  for (const column of required) {
    if (index.has(column)) continue;
    // Only a column that is not itself a valid name can be the misspelt one.
    const unknown = present.filter((name) => !known.includes(name));
    const typo = unknown.find((name) => closestName(name, [column]) !== undefined);
    const hint =
      typo === undefined
        ? `; the header has ${present.join(', ') || 'no columns'}`
        : `; did you mean ${column} instead of ${typo}?`;
    throw new DatasetError(file, 'missing-column', `missing required column ${column}${hint}`, {
      line: 1,
      field: column,
    });
  }
}

/** Throws `DatasetError` for a zero-byte file before any parsing. */
async function requireNonEmpty(file: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    throw new DatasetError(file, 'unreadable', `cannot read the file (${(error as Error).message})`);
  }
  if (size === 0) throw new DatasetError(file, 'empty-file', 'the file is empty (zero bytes); expected a header line');
}

/** Parses a strict non-negative integer of epoch seconds. */
function parseTimestamp(text: string): number | string {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) {
    return trimmed === ''
      ? 'is empty; expected epoch seconds'
      : `"${trimmed}" is not an integer number of epoch seconds`;
  }
  const value = Number(trimmed);
  if (value > MAX_TIMESTAMP) {
    const hint = value > 1e11 ? ' (milliseconds? divide by 1000)' : '';
    return `${trimmed} is out of range (0 to ${MAX_TIMESTAMP} epoch seconds)${hint}`;
  }
  return value;
}

/** Parses the events a row stands for: a positive integer, nothing else (not empty, not 2.5, not 0). */
function parseEventCount(text: string): number | string {
  const trimmed = text.trim();
  if (trimmed === '') return 'is empty; expected the number of events the row stands for (a positive integer)';
  const value = Number(trimmed);
  if (!/^[1-9]\d*$/.test(trimmed) || !Number.isSafeInteger(value)) {
    return `"${trimmed}" is not a positive integer (the number of events the row stands for)`;
  }
  return value;
}

/** Parses a finite number; empty text means absent. */
function parseNumber(text: string): number | undefined | string {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : `"${trimmed}" is not a number`;
}

function parseBoolean(text: string): boolean | undefined | string {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '') return undefined;
  if (trimmed === 'true' || trimmed === '1' || trimmed === 'yes') return true;
  if (trimmed === 'false' || trimmed === '0' || trimmed === 'no') return false;
  return `"${text.trim()}" is not a boolean (true/false)`;
}

/** Collects skipped lines, or throws the first problem when not skipping. */
class LineProblems {
  readonly skipped: Partial<Record<InvalidReason, number>> = {};
  readonly examples: string[] = [];
  /** Data lines (records after the header) seen, valid or not. */
  lines = 0;
  constructor(
    private readonly file: string,
    private readonly options: ReadOptions,
  ) {}

  report(reason: InvalidReason, line: number, detail: string, field?: string): void {
    const error = new DatasetError(this.file, reason, detail, field === undefined ? { line } : { line, field });
    if (this.options.skipInvalid !== true) throw error;
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
    if (this.examples.length < (this.options.maxExamples ?? 5)) this.examples.push(error.message);
  }
}

/** Stream failures (a `.gz` file that is not gzip, a truncated archive, I/O) as `DatasetError`s naming the file. */
async function* readable<T>(file: string, source: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    throw new DatasetError(file, 'unreadable', `cannot read the file (${(error as Error).message})`);
  }
}

/**
 * Streams a CSV file: header first, then each well-formed record with the right number of
 * columns. Syntax problems and wrong column counts go to `problems`.
 */
async function* dataRecords(
  file: string,
  problems: LineProblems,
  onHeader: (header: string[]) => void,
): AsyncGenerator<{ line: number; fields: string[] }> {
  await requireNonEmpty(file);
  let header: string[] | undefined;
  for await (const record of readable(file, csvRecords(await openText(file)))) {
    if (isCsvProblem(record)) {
      if (header === undefined) {
        throw new DatasetError(file, record.reason, `header: ${record.message}`, { line: record.line });
      }
      problems.lines++;
      problems.report(record.reason, record.line, record.message);
      continue;
    }
    if (header === undefined) {
      header = record.fields;
      onHeader(header);
      continue;
    }
    problems.lines++;
    if (record.fields.length !== header.length) {
      problems.report(
        'column-count',
        record.line,
        `expected ${header.length} columns (${header.join(',')}), found ${record.fields.length}`,
      );
      continue;
    }
    yield record;
  }
  if (header === undefined) {
    throw new DatasetError(file, 'empty-file', 'the file has no header line (only blank lines)');
  }
}

/**
 * Why interning: a million rows repeat a few thousand user and item ids; sharing one string per
 * id keeps memory proportional to the ids, not the rows.
 */
class Interner {
  readonly #strings = new Map<string, string>();
  get(value: string): string {
    const known = this.#strings.get(value);
    if (known !== undefined) return known;
    this.#strings.set(value, value);
    return value;
  }
}

/** Reads an interactions CSV (plain or gzip). */
export async function readInteractions(file: string, options: ReadOptions = {}): Promise<InteractionsResult> {
  const problems = new LineProblems(file, options);
  const interactions: Interaction[] = [];
  const ids = new Interner();
  let columns = { user: 0, item: 1, timestamp: 2, eventType: -1, eventValue: -1, eventCount: -1 };
  const records = dataRecords(file, problems, (header) => {
    const index = headerIndex(file, header);
    requireColumns(file, index, ['USER_ID', 'ITEM_ID', 'TIMESTAMP'], INTERACTION_COLUMNS);
    columns = {
      user: index.get('USER_ID') as number,
      item: index.get('ITEM_ID') as number,
      timestamp: index.get('TIMESTAMP') as number,
      eventType: index.get('EVENT_TYPE') ?? -1,
      eventValue: index.get('EVENT_VALUE') ?? -1,
      eventCount: index.get(EVENT_COUNT_COLUMN) ?? -1,
    };
  });
  for await (const { line, fields } of records) {
    const userId = (fields[columns.user] as string).trim();
    const itemId = (fields[columns.item] as string).trim();
    if (userId === '') {
      problems.report('empty-id', line, 'is empty', 'USER_ID');
      continue;
    }
    if (itemId === '') {
      problems.report('empty-id', line, 'is empty', 'ITEM_ID');
      continue;
    }
    const timestamp = parseTimestamp(fields[columns.timestamp] as string);
    if (typeof timestamp === 'string') {
      problems.report('timestamp', line, timestamp, 'TIMESTAMP');
      continue;
    }
    const eventType = columns.eventType < 0 ? '' : (fields[columns.eventType] as string).trim();
    const eventValue = columns.eventValue < 0 ? undefined : parseNumber(fields[columns.eventValue] as string);
    if (typeof eventValue === 'string') {
      problems.report('number', line, eventValue, 'EVENT_VALUE');
      continue;
    }
    const eventCount = columns.eventCount < 0 ? 1 : parseEventCount(fields[columns.eventCount] as string);
    if (typeof eventCount === 'string') {
      problems.report('event-count', line, eventCount, EVENT_COUNT_COLUMN);
      continue;
    }
    const interaction: { -readonly [K in keyof Interaction]: Interaction[K] } = {
      userId: ids.get(userId),
      itemId: ids.get(itemId),
      timestamp,
    };
    if (eventType !== '') interaction.eventType = ids.get(eventType);
    if (eventValue !== undefined) interaction.eventValue = eventValue;
    // One event is what a row without the column means, so only counts above it are kept.
    if (eventCount > 1) interaction.eventCount = eventCount;
    interactions.push(interaction);
  }
  if (problems.lines === 0) {
    throw new DatasetError(file, 'empty-file', 'the file has a header but no interactions');
  }
  if (interactions.length === 0) {
    throw new DatasetError(
      file,
      'empty-file',
      `every one of the ${problems.lines} lines is invalid: ${problems.examples[0] ?? ''}`,
    );
  }
  return {
    interactions,
    report: {
      file,
      lines: problems.lines,
      rows: interactions.length,
      skipped: problems.skipped,
      examples: problems.examples,
    },
  };
}

/** `CATEGORY_L1`, `CATEGORY_L2`, ... present in the header, in level order. */
function categoryColumns(index: Map<string, number>): number[] {
  const levels: { level: number; column: number }[] = [];
  for (const [name, column] of index) {
    const match = /^CATEGORY_L(\d+)$/.exec(name);
    if (match !== null) levels.push({ level: Number(match[1]), column });
  }
  // A single `CATEGORY` column is taken as the top level.
  const single = index.get('CATEGORY');
  if (single !== undefined && levels.length === 0) levels.push({ level: 1, column: single });
  return levels.sort((a, b) => a.level - b.level).map((l) => l.column);
}

/** Reads an items (catalogue) CSV (plain or gzip). */
export async function readCatalogue(file: string, options: ReadOptions = {}): Promise<CatalogueResult> {
  const problems = new LineProblems(file, options);
  const catalogue: CatalogueItem[] = [];
  const strings = new Interner();
  let columns = {
    item: 0,
    title: -1,
    description: -1,
    price: -1,
    inStock: -1,
    created: -1,
    recommendable: -1,
    categories: [] as number[],
  };
  const records = dataRecords(file, problems, (header) => {
    const index = headerIndex(file, header);
    requireColumns(file, index, ['ITEM_ID'], ITEM_COLUMNS);
    columns = {
      item: index.get('ITEM_ID') as number,
      title: index.get('TITLE') ?? -1,
      description: index.get('DESCRIPTION') ?? -1,
      price: index.get('PRICE') ?? -1,
      inStock: index.get('IN_STOCK') ?? -1,
      created: index.get('CREATION_TIMESTAMP') ?? -1,
      recommendable: index.get('RECOMMENDABLE') ?? -1,
      categories: categoryColumns(index),
    };
  });
  const text = (fields: string[], column: number): string => (column < 0 ? '' : (fields[column] as string).trim());
  for await (const { line, fields } of records) {
    const itemId = text(fields, columns.item);
    if (itemId === '') {
      problems.report('empty-id', line, 'is empty', 'ITEM_ID');
      continue;
    }
    const price = columns.price < 0 ? undefined : parseNumber(fields[columns.price] as string);
    if (typeof price === 'string') {
      problems.report('number', line, price, 'PRICE');
      continue;
    }
    const inStock = columns.inStock < 0 ? undefined : parseBoolean(fields[columns.inStock] as string);
    if (typeof inStock === 'string') {
      problems.report('boolean', line, inStock, 'IN_STOCK');
      continue;
    }
    const recommendable = columns.recommendable < 0 ? undefined : parseBoolean(fields[columns.recommendable] as string);
    if (typeof recommendable === 'string') {
      problems.report('boolean', line, recommendable, 'RECOMMENDABLE');
      continue;
    }
    const createdText = text(fields, columns.created);
    const created = createdText === '' ? undefined : parseTimestamp(createdText);
    if (typeof created === 'string') {
      problems.report('timestamp', line, created, 'CREATION_TIMESTAMP');
      continue;
    }
    const entry: { -readonly [K in keyof CatalogueItem]: CatalogueItem[K] } = {
      itemId,
      categories: columns.categories.map((column) => strings.get(text(fields, column))).filter((c) => c !== ''),
    };
    const title = text(fields, columns.title);
    if (title !== '') entry.title = title;
    const description = text(fields, columns.description);
    if (description !== '') entry.description = description;
    if (price !== undefined) entry.price = price;
    if (inStock !== undefined) entry.inStock = inStock;
    if (created !== undefined) entry.creationTimestamp = created;
    // Only `false` is kept: an item is recommendable unless the shop says otherwise.
    if (recommendable === false) entry.recommendable = false;
    catalogue.push(entry);
  }
  if (problems.lines === 0) throw new DatasetError(file, 'empty-file', 'the file has a header but no items');
  if (catalogue.length === 0) {
    throw new DatasetError(
      file,
      'empty-file',
      `every one of the ${problems.lines} lines is invalid: ${problems.examples[0] ?? ''}`,
    );
  }
  return {
    catalogue,
    report: {
      file,
      lines: problems.lines,
      rows: catalogue.length,
      skipped: problems.skipped,
      examples: problems.examples,
    },
  };
}

export interface DatasetFiles {
  readonly interactions: string;
  readonly items?: string;
}

/** Interactions and optional catalogue as `TrainingData`, with one report per file read. */
export async function readTrainingData(
  files: DatasetFiles,
  options: ReadOptions = {},
): Promise<{ data: TrainingData; reports: ReadReport[] }> {
  const { interactions, report } = await readInteractions(files.interactions, options);
  if (files.items === undefined) return { data: { interactions, catalogue: [] }, reports: [report] };
  const items = await readCatalogue(files.items, options);
  return { data: { interactions, catalogue: items.catalogue }, reports: [report, items.report] };
}

/** `interactions.csv.gz: 10 lines skipped (column-count 3, timestamp 7)`, or undefined when none. */
export function describeSkipped(report: ReadReport): string | undefined {
  const entries = Object.entries(report.skipped);
  if (entries.length === 0) return undefined;
  const total = entries.reduce((sum, [, count]) => sum + (count ?? 0), 0);
  const parts = entries.map(([reason, count]) => `${reason} ${count}`).join(', ');
  return `${report.file}: ${total} of ${report.lines} lines skipped (${parts})`;
}
