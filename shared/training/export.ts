import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { apiLimits, ITEM_EVENT_TYPES } from '../config/index.ts';
import type { CatalogueSource } from '../catalogue/catalogueIndex.ts';
import { isDeleted, type CatalogueItem } from '../catalogue/item.ts';
import { emptyReadStats } from '../lake/lakeLines.ts';
import type { ShopperKeyHash } from '../privacy/erasureHash.ts';
import { IdTable, InteractionTable } from './aggregate.ts';
import { CsvFile, csvField } from './csvFile.ts';
import { MAX_TIMESTAMP } from '../recommender/io/dataset.ts';
import { ExportError } from './errors.ts';
import { EVENT_COUNT_COLUMN, type DataWindow } from './pipeline.ts';
import type { LakeEvent, LakeReader, LakeReadStats } from './ports.ts';

/** The dataset's files under the output folder, as the training job's channels read them. */
export const exportFiles = {
  interactions: 'interactions/interactions.csv',
  items: 'items/items.csv',
  holdout: 'holdout/holdout.csv',
  noLiveModel: 'no-live-model/NONE',
  summary: 'export.json',
} as const;

/** Bad lake lines tolerated, as a fraction of the lines read; more means something is wrong upstream. */
export const MAX_INVALID_LINE_FRACTION = 0.01;

export interface ExportDeps {
  readonly lake: LakeReader;
  readonly catalogue: CatalogueSource;
  /** The erasure log: keyed hash → erasure time (`erasedShopperHashes`). */
  readonly erased: ReadonlyMap<string, number>;
  /** The same keyed hash (`ErasureHasher.hashFunction`). */
  readonly hash: ShopperKeyHash;
}

export interface ExportSummary {
  readonly window: DataWindow;
  /** Lake events received in the window. */
  readonly eventsRead: number;
  readonly invalidLines: number;
  readonly invalidExamples: readonly string[];
  readonly notItemEvents: number;
  readonly erasedSkipped: number;
  readonly deletedItemSkipped: number;
  /** Events in the interactions file (before the holdout) and rows in the holdout file. */
  readonly eventsWritten: number;
  /** Rows of the interactions file: (shopper, item, event type) pairs. */
  readonly pairs: number;
  readonly shoppers: number;
  readonly holdoutRows: number;
  /** Holdout events of items never listed (`recommendable: false`): no model could hit them. */
  readonly holdoutNotRecommendableSkipped: number;
  /** Rows of the items file, and how many of them are `recommendable: false`. */
  readonly items: number;
  readonly notRecommendableItems: number;
  readonly deletedItems: number;
  /** The live catalogue was empty: the items file lists the interactions' items by id only. */
  readonly itemsFromInteractions: boolean;
  /** Memory of the aggregation at its end (columns and index), bytes. */
  readonly aggregationBytes: number;
  readonly seconds: number;
}

const CATEGORY_COLUMNS = Array.from({ length: apiLimits.maxCategoriesPerItem }, (_, i) => `CATEGORY_L${i + 1}`);
const ITEM_HEADER = ['ITEM_ID', 'TITLE', 'DESCRIPTION', ...CATEGORY_COLUMNS, 'PRICE', 'IN_STOCK'];
const ITEM_TAIL = ['CREATION_TIMESTAMP', 'RECOMMENDABLE'];
const INTERACTION_HEADER = ['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_TYPE', 'EVENT_VALUE'];
const typeNumber = new Map<string, number>(ITEM_EVENT_TYPES.map((type, index) => [type, index]));

function itemRow(item: CatalogueItem): string {
  const text = (value: string | undefined) => (value === undefined ? '' : csvField(value));
  const categories = CATEGORY_COLUMNS.map((_, i) => text(item.categories[i]));
  return [
    csvField(item.itemId),
    text(item.title),
    text(item.description),
    ...categories,
    item.price ?? '',
    item.inStock ?? '',
    item.creationTimestamp ?? '',
    item.recommendable === false ? 'false' : '',
  ].join(',');
}

/** The live catalogue → the items file; the ids the lake's events must be checked against. */
async function exportItems(catalogue: CatalogueSource, outputDir: string) {
  const file = await CsvFile.create(join(outputDir, exportFiles.items), [...ITEM_HEADER, ...ITEM_TAIL]);
  const deleted = new Set<string>();
  const notRecommendable = new Set<string>();
  for await (const entry of catalogue.listCatalogue()) {
    if (isDeleted(entry)) {
      deleted.add(entry.itemId);
      continue;
    }
    if (entry.recommendable === false) notRecommendable.add(entry.itemId);
    file.line(itemRow(entry));
    if (file.full) await file.flush();
  }
  await file.close();
  return { deleted, notRecommendable, items: file.lines };
}

/**
 * A window of the lake → a training dataset in `outputDir` ({@link exportFiles}): interactions of
 * [from, holdoutFrom) aggregated to one row per shopper, item and event type (`TIMESTAMP` the
 * latest, `EVENT_VALUE` the summed quantity, {@link EVENT_COUNT_COLUMN} the events); the holdout
 * [holdoutFrom, to) as plain rows; the items of the live catalogue. Events of erased shoppers and
 * of deleted items are left out of both; `recommendable: false` items stay in the interactions
 * (what shoppers did with them says something about the shoppers) and out of the holdout.
 * Events belong to the window by `receivedAt`, the server's clock.
 */
/**
 * The event's own time in epoch seconds, as training reads it. Ingest keeps a client's clock
 * within minutes of the server's, but the lake is outside data: a time the dataset reader would
 * reject (before 1970, after 2100) falls back to the receive time.
 */
function secondsOf(event: { readonly timestamp: number; readonly receivedAt: number }): number {
  const seconds = Math.floor(event.timestamp / 1000);
  return seconds >= 0 && seconds <= MAX_TIMESTAMP ? seconds : Math.floor(event.receivedAt / 1000);
}

export async function exportDataset(
  request: { readonly window: DataWindow; readonly outputDir: string },
  deps: ExportDeps,
): Promise<ExportSummary> {
  const started = performance.now();
  const { window, outputDir } = request;
  const [from, holdoutFrom, to] = [window.from, window.holdoutFrom, window.to].map((iso) => Date.parse(iso)) as [
    number,
    number,
    number,
  ];
  if (!(from <= holdoutFrom && holdoutFrom <= to)) {
    throw new ExportError('invalid_window', `the window ${JSON.stringify(window)} is not from ≤ holdoutFrom ≤ to`);
  }
  const catalogue = await exportItems(deps.catalogue, outputDir);
  const holdout = await CsvFile.create(join(outputDir, exportFiles.holdout), INTERACTION_HEADER);
  const users = new IdTable();
  const items = new IdTable();
  const table = new InteractionTable();
  const stats = emptyReadStats();
  const counts = { eventsRead: 0, notItemEvents: 0, erasedSkipped: 0, deletedItemSkipped: 0, trained: 0 };
  let holdoutNotRecommendableSkipped = 0;
  const checkErasure = deps.erased.size > 0;
  for await (const batch of deps.lake.events({ from, to }, stats)) {
    counts.eventsRead += batch.length;
    for (const event of batch) {
      const type = typeNumber.get(event.type);
      const itemId = event.itemId;
      if (type === undefined || itemId === undefined) {
        counts.notItemEvents += 1;
      } else if (catalogue.deleted.has(itemId)) {
        counts.deletedItemSkipped += 1;
      } else if (checkErasure && erasedEvent(event, deps)) {
        counts.erasedSkipped += 1;
      } else if (event.receivedAt < holdoutFrom) {
        const user = users.intern((event.userId ?? event.anonymousId) as string);
        table.add({ user, item: items.intern(itemId), type, seconds: secondsOf(event), quantity: event.quantity });
        counts.trained += 1;
      } else if (catalogue.notRecommendable.has(itemId)) {
        holdoutNotRecommendableSkipped += 1;
      } else {
        const user = csvField((event.userId ?? event.anonymousId) as string);
        holdout.line(`${user},${csvField(itemId)},${secondsOf(event)},${event.type},${event.quantity ?? ''}`);
      }
    }
    if (holdout.full) await holdout.flush();
  }
  await holdout.close();
  checkInvalidLines(stats, counts.eventsRead);
  await writeInteractions(join(outputDir, exportFiles.interactions), { table, users, items });
  const itemsFromInteractions = catalogue.items === 0;
  if (itemsFromInteractions) await writeItemIds(join(outputDir, exportFiles.items), items);
  await writeText(
    join(outputDir, exportFiles.noLiveModel),
    'no live model: the training job scores the candidate only\n',
  );
  const { trained, ...eventCounts } = counts;
  const summary: ExportSummary = {
    window,
    ...eventCounts,
    invalidLines: stats.invalidLines,
    invalidExamples: stats.examples,
    eventsWritten: trained + holdout.lines,
    pairs: table.size,
    shoppers: users.size,
    holdoutRows: holdout.lines,
    holdoutNotRecommendableSkipped,
    items: itemsFromInteractions ? items.size : catalogue.items,
    notRecommendableItems: catalogue.notRecommendable.size,
    deletedItems: catalogue.deleted.size,
    itemsFromInteractions,
    aggregationBytes: table.bytes,
    seconds: Math.round(performance.now() - started) / 1000,
  };
  await writeText(join(outputDir, exportFiles.summary), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/** `isErased` without its per-call array: the export asks it for every event. */
function erasedEvent(event: LakeEvent, deps: ExportDeps): boolean {
  const { erased, hash } = deps;
  const byKey = erased.get(hash(event.userId === undefined ? `a:${event.anonymousId}` : `u:${event.userId}`));
  if (byKey !== undefined && event.receivedAt <= byKey) return true;
  if (event.userId === undefined || event.anonymousId === undefined) return false;
  const byAnonymousId = erased.get(hash(`a:${event.anonymousId}`));
  return byAnonymousId !== undefined && event.receivedAt <= byAnonymousId;
}

function checkInvalidLines(stats: LakeReadStats, eventsRead: number): void {
  const lines = stats.invalidLines + eventsRead;
  if (stats.invalidLines > 0 && stats.invalidLines > lines * MAX_INVALID_LINE_FRACTION) {
    throw new ExportError(
      'invalid_lake_lines',
      `${stats.invalidLines} of ${lines} lake lines are not events (more than ${MAX_INVALID_LINE_FRACTION * 100} %); ` +
        `first: ${stats.examples.join('; ')}`,
    );
  }
}

async function writeInteractions(
  path: string,
  aggregation: { readonly table: InteractionTable; readonly users: IdTable; readonly items: IdTable },
): Promise<void> {
  const { table, users, items } = aggregation;
  const file = await CsvFile.create(path, [...INTERACTION_HEADER, EVENT_COUNT_COLUMN]);
  for (const entry of table.entries()) {
    file.line(
      `${csvField(users.name(entry.user))},${csvField(items.name(entry.item))},${entry.latest},` +
        `${ITEM_EVENT_TYPES[entry.type]},${entry.quantity ?? ''},${entry.count}`,
    );
    if (file.full) await file.flush();
  }
  await file.close();
}

/** Items by id only, so the items channel is never empty when the shop keeps no catalogue here. */
async function writeItemIds(path: string, items: IdTable): Promise<void> {
  const file = await CsvFile.create(path, ['ITEM_ID']);
  for (let item = 0; item < items.size; item++) {
    file.line(csvField(items.name(item)));
    if (file.full) await file.flush();
  }
  await file.close();
}

async function writeText(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}
