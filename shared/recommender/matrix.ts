/**
 * From interactions to the sparse shopper × item confidence matrix every collaborative model
 * trains on: id maps, event-type weights, quantity, time decay and duplicate aggregation, in CSR
 * (shopper → items) and CSC (item → shoppers) form with Float32 values.
 */
import { eventWeights, ITEM_EVENT_TYPES } from '../config/index.ts';
import type { ParameterName } from './hyperparameters.ts';
import type { Hyperparameters, Interaction, RecentInteraction } from './model.ts';

/** The event type whose positive total marks an item as bought (for `excludePurchased`). */
export const PURCHASE_EVENT = 'purchase';

/**
 * Default weight per event type: the storefront's item events weigh what they weigh for live
 * features (`eventWeights` in the config), so training and serving agree. `remove_from_cart`
 * cancels half of an `add_to_cart`. Pairs whose total ends at or below zero are dropped.
 */
export const DEFAULT_EVENT_WEIGHTS: Readonly<Record<string, number>> = {
  ...Object.fromEntries(ITEM_EVENT_TYPES.map((type) => [type, eventWeights[type]])),
  // Not a storefront event (training data has it, e.g. cancelled invoices): it undoes a purchase.
  return: -eventWeights.purchase,
};

/** Names of the weighting hyperparameters every trainer accepts, besides `weight.<eventType>`. */
export const WEIGHTING_PARAMS = {
  /** Half-life of an event's weight in days; 0 turns decay off. */
  decayHalfLifeDays: 'decay.halfLifeDays',
  /** What an event's age is measured from: {@link DecayReference}. */
  decayReference: 'decay.reference',
  /** Scale an event by 1 + ln(quantity). */
  eventValueLog: 'eventValue.log',
} as const;
export type WeightingParamName = ParameterName<typeof WEIGHTING_PARAMS>;

const EVENT_WEIGHT_PREFIX = 'weight.';
/** The hyperparameter holding one event type's weight. */
export type EventWeightParamName = `${typeof EVENT_WEIGHT_PREFIX}${string}`;

/** `weight.<eventType>`: the hyperparameter holding that event type's weight. */
export function eventWeightParam(eventType: string): EventWeightParamName {
  return `${EVENT_WEIGHT_PREFIX}${eventType}`;
}

/**
 * The weighting hyperparameters every trainer accepts: `weight.<eventType>` per event type,
 * `decay.halfLifeDays` (0 turns decay off) and `eventValue.log` (scale by 1 + ln(quantity)).
 */
export const WEIGHTING_DEFAULTS: Hyperparameters = {
  ...Object.fromEntries(
    Object.entries(DEFAULT_EVENT_WEIGHTS).map(([type, weight]) => [eventWeightParam(type), weight]),
  ),
  [WEIGHTING_PARAMS.decayHalfLifeDays]: 60,
  [WEIGHTING_PARAMS.decayReference]: 'user',
  [WEIGHTING_PARAMS.eventValueLog]: true,
};

/** What an event's age is measured from: the shopper's own newest event, or the newest event of the data. */
export type DecayReference = 'user' | 'global';

/** How much one event counts; built from hyperparameters, used at training and request time. */
export class EventWeighting {
  readonly #weights: ReadonlyMap<string, number>;
  readonly #halfLifeSeconds: number;
  readonly #useEventValue: boolean;
  /** Training ages are measured from the shopper's newest event (`user`) or the data's newest (`global`). */
  readonly reference: DecayReference;
  readonly #unknown = new Map<string, number>();

  /**
   * @param hyperparameters `weight.<eventType>` (defaults in {@link DEFAULT_EVENT_WEIGHTS}),
   *   `decay.halfLifeDays` (@default 60; 0 = no decay), `eventValue.log` (@default true).
   */
  constructor(hyperparameters: Hyperparameters = {}) {
    const weights = new Map(Object.entries(DEFAULT_EVENT_WEIGHTS));
    for (const [key, value] of Object.entries(hyperparameters)) {
      if (key.startsWith(EVENT_WEIGHT_PREFIX) && typeof value === 'number') {
        weights.set(key.slice(EVENT_WEIGHT_PREFIX.length), value);
      }
    }
    this.#weights = weights;
    const halfLifeDays =
      hyperparameters[WEIGHTING_PARAMS.decayHalfLifeDays] ?? WEIGHTING_DEFAULTS[WEIGHTING_PARAMS.decayHalfLifeDays];
    this.#halfLifeSeconds = typeof halfLifeDays === 'number' && halfLifeDays > 0 ? halfLifeDays * 86_400 : 0;
    this.#useEventValue = (hyperparameters[WEIGHTING_PARAMS.eventValueLog] ?? true) !== false;
    // Artifacts written before `decay.reference` existed decayed from the newest event of the data.
    const reference = hyperparameters[WEIGHTING_PARAMS.decayReference] ?? 'global';
    if (reference !== 'user' && reference !== 'global') {
      throw new Error(
        `${WEIGHTING_PARAMS.decayReference} must be "user" or "global", got ${JSON.stringify(reference)}`,
      );
    }
    this.reference = reference;
  }

  /**
   * Weight of an event type; a type without a weight counts 1 and is counted in
   * {@link unknownTypes}, which {@link buildInteractionMatrix} reports in one warning.
   */
  typeWeight(eventType: string | undefined): number {
    if (eventType === undefined) return 1;
    const weight = this.#weights.get(eventType);
    if (weight !== undefined) return weight;
    this.#unknown.set(eventType, (this.#unknown.get(eventType) ?? 0) + 1);
    return 1;
  }

  /** Event types met without a weight, with how many rows had each. */
  get unknownTypes(): ReadonlyMap<string, number> {
    return this.#unknown;
  }

  /**
   * Weight of one event: type weight × (1 + ln(eventValue)) for values above 1 (a quantity of 10
   * counts 3.3 times, not 10, so one bulk order cannot outweigh a shopper's whole history) ×
   * 2^(−age / half-life), age measured from `newestTimestamp`.
   */
  eventWeight(
    eventType: string | undefined,
    eventValue: number | undefined,
    timestamp: number | undefined,
    newestTimestamp: number,
  ): number {
    let weight = this.typeWeight(eventType);
    if (this.#useEventValue && eventValue !== undefined && Number.isFinite(eventValue) && eventValue > 1) {
      weight *= 1 + Math.log(eventValue);
    }
    if (this.#halfLifeSeconds > 0 && timestamp !== undefined && Number.isFinite(timestamp)) {
      const age = Math.max(0, newestTimestamp - timestamp);
      weight *= Math.pow(2, -age / this.#halfLifeSeconds);
    }
    return weight;
  }

  /**
   * Weight of one training row: its `eventCount` events (1 when absent), each of the row's mean
   * quantity (`eventValue` sums them) and aged from the row's timestamp, the latest event's. A
   * row of n identical events weighs what the n rows do; events of one row that were spread over
   * time count at the latest one's age. `now` undefined: no decay.
   */
  rowWeight(interaction: Interaction, now: number | undefined): number {
    const count = interaction.eventCount ?? 1;
    const value = interaction.eventValue === undefined ? undefined : interaction.eventValue / count;
    const timestamp = now === undefined ? undefined : interaction.timestamp;
    return count * this.eventWeight(interaction.eventType, value, timestamp, now ?? 0);
  }

  /** Weight of a live interaction: its explicit `weight` wins, else type and decay from the newest one. */
  recentWeight(recent: RecentInteraction, newestTimestamp: number): number {
    if (recent.weight !== undefined) return recent.weight;
    return this.eventWeight(recent.eventType, undefined, recent.timestamp, newestTimestamp);
  }
}

/** A compressed sparse matrix: row r holds `indices[pointers[r] .. pointers[r+1])` with `values`. */
export interface SparseRows {
  readonly pointers: Uint32Array;
  readonly indices: Uint32Array;
  readonly values: Float32Array;
}

/** The confidence matrix with both orientations and its id maps. */
export interface InteractionMatrix {
  readonly userIds: readonly string[];
  readonly itemIds: readonly string[];
  readonly userIndex: ReadonlyMap<string, number>;
  readonly itemIndex: ReadonlyMap<string, number>;
  /** Shopper → items, columns sorted ascending within each row. */
  readonly byUser: SparseRows;
  /** Item → shoppers (the transpose), rows sorted ascending within each column. */
  readonly byItem: SparseRows;
  /** Shopper → items they bought (positive net purchase weight); values are the purchase weight. */
  readonly purchases: SparseRows;
  /** Epoch seconds of the newest interaction: "now" for decay. */
  readonly newestTimestamp: number;
}

export interface MatrixOptions {
  /** Item ids known up front (the catalogue), indexed first and in this order; others follow. */
  readonly itemIds?: readonly string[];
}

/** Id → index map that appends unseen ids, in order of first appearance (deterministic). */
function indexer(initial: readonly string[] = []): {
  ids: string[];
  index: Map<string, number>;
  of(id: string): number;
} {
  const ids: string[] = [];
  const index = new Map<string, number>();
  const of = (id: string): number => {
    let i = index.get(id);
    if (i === undefined) {
      i = ids.length;
      index.set(id, i);
      ids.push(id);
    }
    return i;
  };
  for (const id of initial) of(id);
  return { ids, index, of };
}

/**
 * Sorts (row, column, value) triples into CSR with duplicates summed, then drops entries whose
 * total is not positive (a returned purchase, a view cancelled by nothing else).
 */
export function compressRows(
  rows: number,
  rowOf: Uint32Array,
  columnOf: Uint32Array,
  valueOf: Float64Array,
  count: number,
): SparseRows {
  const counts = new Uint32Array(rows + 1);
  for (let n = 0; n < count; n++) counts[(rowOf[n] as number) + 1]!++;
  for (let r = 0; r < rows; r++) counts[r + 1]! += counts[r]!;
  const order = new Uint32Array(count);
  const cursor = counts.slice(0, rows);
  for (let n = 0; n < count; n++) order[cursor[rowOf[n] as number]!++] = n;

  const pointers = new Uint32Array(rows + 1);
  const indices = new Uint32Array(count);
  const values = new Float32Array(count);
  let out = 0;
  const sums = new Map<number, number>();
  for (let r = 0; r < rows; r++) {
    sums.clear();
    for (let p = counts[r] as number; p < (counts[r + 1] as number); p++) {
      const n = order[p] as number;
      const column = columnOf[n] as number;
      sums.set(column, (sums.get(column) ?? 0) + (valueOf[n] as number));
    }
    const columns = [...sums.keys()].sort((a, b) => a - b);
    for (const column of columns) {
      const total = sums.get(column) as number;
      if (total > 0) {
        indices[out] = column;
        values[out] = total;
        out++;
      }
    }
    pointers[r + 1] = out;
  }
  return { pointers, indices: indices.slice(0, out), values: values.slice(0, out) };
}

/** The transpose of a CSR matrix with `columns` columns (rows stay sorted because rows are visited in order). */
export function transpose(matrix: SparseRows, columns: number): SparseRows {
  const { pointers, indices, values } = matrix;
  const rows = pointers.length - 1;
  const tPointers = new Uint32Array(columns + 1);
  for (let p = 0; p < indices.length; p++) tPointers[(indices[p] as number) + 1]!++;
  for (let c = 0; c < columns; c++) tPointers[c + 1]! += tPointers[c]!;
  const cursor = tPointers.slice(0, columns);
  const tIndices = new Uint32Array(indices.length);
  const tValues = new Float32Array(indices.length);
  for (let r = 0; r < rows; r++) {
    for (let p = pointers[r] as number; p < (pointers[r + 1] as number); p++) {
      const at = cursor[indices[p] as number]!++;
      tIndices[at] = r;
      tValues[at] = values[p] as number;
    }
  }
  return { pointers: tPointers, indices: tIndices, values: tValues };
}

/** Newest timestamp of the interactions (0 when there are none). */
export function newestTimestampOf(interactions: readonly Interaction[]): number {
  let newest = Number.NEGATIVE_INFINITY;
  for (const interaction of interactions) if (interaction.timestamp > newest) newest = interaction.timestamp;
  return Number.isFinite(newest) ? newest : 0;
}

/**
 * Builds the confidence matrix: each (shopper, item) value is the sum of its events' weights
 * (see {@link EventWeighting.eventWeight}); non-positive totals are dropped, so a shopper who
 * bought and returned an item keeps only the views.
 */
/** Warnings already given in this process: tuning builds many matrices from the same data. */
const warnedUnknownTypes = new Set<string>();

/**
 * One line naming every event type without a weight, how many rows had each, and that each
 * row of them weighs 1; undefined when there is none.
 */
export function unknownTypesWarning(unknown: ReadonlyMap<string, number>): string | undefined {
  if (unknown.size === 0) return undefined;
  const types = [...unknown.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const listed = types.map(([type, events]) => `"${type}" (${events.toLocaleString('en-US')} rows)`).join(', ');
  const [first] = types[0] as [string, number];
  return (
    `recommender: ${types.length} event type${types.length === 1 ? '' : 's'} without a weight, each weighted 1: ` +
    `${listed}; set ${eventWeightParam(first)}=<weight> (and likewise for the others) to change`
  );
}

export function buildInteractionMatrix(
  interactions: readonly Interaction[],
  weighting: EventWeighting,
  options: MatrixOptions = {},
): InteractionMatrix {
  const users = indexer();
  const items = indexer(options.itemIds);
  const newest = newestTimestampOf(interactions);
  const count = interactions.length;
  // Per-shopper "now" for `decay.reference: user`: ages count from the shopper's own newest event,
  // so a shopper last active years ago keeps a full-strength history and their latest taste leads.
  const userOf = new Uint32Array(count);
  const userNewest: number[] = [];
  for (let n = 0; n < count; n++) {
    const interaction = interactions[n] as Interaction;
    const u = users.of(interaction.userId);
    userOf[n] = u;
    const previous = userNewest[u];
    if (previous === undefined || interaction.timestamp > previous) userNewest[u] = interaction.timestamp;
  }
  const perUser = weighting.reference === 'user';
  const rowOf = new Uint32Array(count);
  const columnOf = new Uint32Array(count);
  const valueOf = new Float64Array(count);
  const purchaseRow: number[] = [];
  const purchaseColumn: number[] = [];
  const purchaseValue: number[] = [];
  for (let n = 0; n < count; n++) {
    const interaction = interactions[n] as Interaction;
    const u = userOf[n] as number;
    const i = items.of(interaction.itemId);
    const now = perUser ? (userNewest[u] as number) : newest;
    const weight = weighting.rowWeight(interaction, now);
    rowOf[n] = u;
    columnOf[n] = i;
    valueOf[n] = weight;
    // Purchases and returns net out per pair, so a returned item is no longer "bought".
    if (interaction.eventType === PURCHASE_EVENT || interaction.eventType === 'return') {
      const events = interaction.eventCount ?? 1;
      purchaseRow.push(u);
      purchaseColumn.push(i);
      purchaseValue.push(interaction.eventType === PURCHASE_EVENT ? events : -events);
    }
  }
  const byUser = compressRows(users.ids.length, rowOf, columnOf, valueOf, count);
  const purchases = compressRows(
    users.ids.length,
    Uint32Array.from(purchaseRow),
    Uint32Array.from(purchaseColumn),
    Float64Array.from(purchaseValue),
    purchaseRow.length,
  );
  const warning = unknownTypesWarning(weighting.unknownTypes);
  const key = [...weighting.unknownTypes.keys()].sort().join('\n');
  if (warning !== undefined && !warnedUnknownTypes.has(key)) {
    warnedUnknownTypes.add(key);
    console.warn(warning);
  }
  return {
    userIds: users.ids,
    itemIds: items.ids,
    userIndex: users.index,
    itemIndex: items.index,
    byUser,
    byItem: transpose(byUser, items.ids.length),
    purchases,
    newestTimestamp: newest,
  };
}

/** Column sums (total confidence per item): the popularity signal and the cold-item test. */
export function columnTotals(byItem: SparseRows): Float32Array {
  const items = byItem.pointers.length - 1;
  const totals = new Float32Array(items);
  for (let i = 0; i < items; i++) {
    let sum = 0;
    for (let p = byItem.pointers[i] as number; p < (byItem.pointers[i + 1] as number); p++)
      sum += byItem.values[p] as number;
    totals[i] = sum;
  }
  return totals;
}
