/**
 * The non-product overlay: a JSON list of item ids a shop never wants recommended (postage, fees,
 * adjustments, test codes, gift vouchers), each with a one-line reason, applied to training data
 * as `recommendable: false`. It exists for data the project may not edit (`../shared/data`); a
 * shop's own items CSV says the same with its `RECOMMENDABLE` column.
 *
 * Format: `{ "codes": [{ "itemId": "POST", "reason": "postage" }, ...] }`.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { CatalogueItem, TrainingData } from '../model.ts';
import { DatasetError } from './dataset.ts';

/** One code of the overlay. */
export interface NonProductCode {
  readonly itemId: string;
  readonly reason: string;
}

/** Reads and checks an overlay file; a `DatasetError` names the entry at fault. */
export async function readNonProductCodes(file: string): Promise<NonProductCode[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new DatasetError(file, 'json', `cannot read the non-product codes (${(error as Error).message})`);
  }
  const codes = (parsed as { codes?: unknown } | null)?.codes;
  if (!Array.isArray(codes)) throw new DatasetError(file, 'json', 'expected {"codes": [{"itemId", "reason"}, ...]}');
  return codes.map((entry: unknown, n) => {
    const { itemId, reason } = (entry ?? {}) as { itemId?: unknown; reason?: unknown };
    if (typeof itemId !== 'string' || itemId.trim() === '' || typeof reason !== 'string' || reason.trim() === '') {
      throw new DatasetError(file, 'json', `codes[${n}] needs a non-empty itemId and reason`, { field: `codes[${n}]` });
    }
    return { itemId: itemId.trim(), reason: reason.trim() };
  });
}

/**
 * `data` with every listed code marked `recommendable: false`. A code seen only in interactions
 * gets a catalogue entry of its own, so the flag reaches it; codes in neither are ignored (one
 * list serves several data sets). The interactions are kept: they still tell what else a shopper bought.
 */
export function markNonProducts(data: TrainingData, codes: readonly NonProductCode[]): TrainingData {
  const wanted = new Set(codes.map((c) => c.itemId));
  const catalogue: CatalogueItem[] = data.catalogue.map((item) =>
    wanted.has(item.itemId) ? { ...item, recommendable: false } : item,
  );
  const listed = new Set(data.catalogue.map((item) => item.itemId));
  for (const interaction of data.interactions) {
    const id = interaction.itemId;
    if (wanted.has(id) && !listed.has(id)) {
      listed.add(id);
      catalogue.push({ itemId: id, categories: [], recommendable: false });
    }
  }
  return { interactions: data.interactions, catalogue };
}

/** The overlay of the data sets under `../shared/data`, kept in the repo. */
export const NON_PRODUCT_CODES_FILE = fileURLToPath(new URL('../../../data/non-product-codes.json', import.meta.url));
