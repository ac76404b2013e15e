/**
 * The lake window a model's data came from (`ModelManifest.window`): trained on
 * `[from, holdoutFrom)`, scored on `[holdoutFrom, to)`. Windows come from hyperparameters and from
 * the manifest of a model read back from S3, so every value is checked before it is trusted.
 */
import type { DataWindow } from '../training/pipeline.ts';
import type { Interaction } from './model.ts';

export type { DataWindow };

/** Why a window was refused. */
export type DataWindowProblem = 'incomplete' | 'not-an-instant' | 'out-of-order';

export class DataWindowError extends Error {
  override readonly name = 'DataWindowError';
  readonly reason: DataWindowProblem;

  constructor(reason: DataWindowProblem, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** ISO 8601 with a date, a time and a zone (`Z` or an offset): an instant, not a local time. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function instant(name: string, value: unknown): number {
  const text = typeof value === 'string' ? value.trim() : undefined;
  const ms = text !== undefined && ISO_INSTANT.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new DataWindowError(
      'not-an-instant',
      `${name}: expected an ISO 8601 instant such as 2025-06-01T00:00:00Z, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/** The three bounds under the names their source uses (`windowFrom`, `window.from`, ...). */
export interface WindowFields {
  readonly from: { readonly name: string; readonly value: unknown };
  readonly holdoutFrom: { readonly name: string; readonly value: unknown };
  readonly to: { readonly name: string; readonly value: unknown };
}

/**
 * The window the three fields describe, normalised to `toISOString()`; undefined when none is
 * set. Only some of them, a value that is not an instant, or bounds out of order are errors
 * naming the field.
 */
export function parseDataWindow(fields: WindowFields): DataWindow | undefined {
  const entries = [fields.from, fields.holdoutFrom, fields.to];
  const present = entries.filter((field) => field.value !== undefined);
  if (present.length === 0) return undefined;
  if (present.length < entries.length) {
    const missing = entries.filter((field) => field.value === undefined).map((field) => field.name);
    throw new DataWindowError(
      'incomplete',
      `a data window needs all of ${entries.map((field) => field.name).join(', ')}; missing ${missing.join(', ')}`,
    );
  }
  const from = instant(fields.from.name, fields.from.value);
  const holdoutFrom = instant(fields.holdoutFrom.name, fields.holdoutFrom.value);
  const to = instant(fields.to.name, fields.to.value);
  if (!(from <= holdoutFrom && holdoutFrom <= to)) {
    throw new DataWindowError(
      'out-of-order',
      `${fields.from.name} ≤ ${fields.holdoutFrom.name} ≤ ${fields.to.name} does not hold: ` +
        `${new Date(from).toISOString()}, ${new Date(holdoutFrom).toISOString()}, ${new Date(to).toISOString()}`,
    );
  }
  return {
    from: new Date(from).toISOString(),
    holdoutFrom: new Date(holdoutFrom).toISOString(),
    to: new Date(to).toISOString(),
  };
}

/**
 * Whether an interaction falls in the part of `window` its model trained on, `[from, holdoutFrom)`
 * widened to whole seconds because exports floor event times to seconds: an interaction of a
 * boundary's own second counts as seen, so a gate errs towards leaving it out.
 */
export function inTrainedPart(window: DataWindow): (interaction: Interaction) => boolean {
  const from = Math.floor(Date.parse(window.from) / 1000);
  const to = Math.ceil(Date.parse(window.holdoutFrom) / 1000);
  return (interaction) => interaction.timestamp >= from && interaction.timestamp < to;
}

/**
 * Rows stamped in the window's holdout: their second starts at or after `holdoutFrom` (an event
 * before it floors to a second that starts before it). In training data that is clock skew or a
 * window that does not match the data.
 */
export function rowsInHoldout(interactions: readonly Interaction[], window: DataWindow): number {
  const holdoutMs = Date.parse(window.holdoutFrom);
  let count = 0;
  for (const interaction of interactions) if (interaction.timestamp * 1000 >= holdoutMs) count++;
  return count;
}
