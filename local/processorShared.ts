/** What the stack's thread and the processor's thread share: start data, messages, the counters' layout. */
import type { EventSourceMappingOptions, MappingStats } from './eventSourceMapping.ts';

export interface ProcessorWorkerData {
  /** The mapping's settings, but for its client and handler, which the thread builds itself. */
  readonly mapping: Omit<EventSourceMappingOptions, 'kinesis' | 'handler' | 'onProgress'>;
  readonly endpoints: { readonly dynamodbEndpoint: string; readonly kinesisEndpoint: string };
  /** Where the processor parks poison records. */
  readonly poisonPath: string;
  /** See `ProcessorMappingOptions.writeConcurrency`. */
  readonly writeConcurrency?: number;
  /** {@link STATS_FIELDS} and the idle flag, as float64s. */
  readonly stats: SharedArrayBuffer;
}

export type ProcessorThreadMessage =
  | { readonly kind: 'started' }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'resetMaxLag' }
  | { readonly kind: 'stop' }
  | { readonly kind: 'stopped' };

export const STATS_FIELDS = ['processed', 'invocations', 'retriedRecords', 'discarded', 'lagMs', 'maxLagMs'] as const;
const IDLE = STATS_FIELDS.length;

export const statsBuffer = () => new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT * (STATS_FIELDS.length + 1));

export function writeStats(buffer: SharedArrayBuffer, stats: Readonly<MappingStats>, idle: boolean): void {
  const view = new Float64Array(buffer);
  STATS_FIELDS.forEach((field, i) => (view[i] = stats[field]));
  view[IDLE] = idle ? 1 : 0;
}

export function readStats(buffer: SharedArrayBuffer): { stats: MappingStats; idle: boolean } {
  const view = new Float64Array(buffer);
  const stats = Object.fromEntries(STATS_FIELDS.map((field, i) => [field, view[i] ?? 0])) as unknown as MappingStats;
  return { stats, idle: view[IDLE] === 1 };
}
