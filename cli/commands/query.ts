/** `reco rank`, `reco recommend` and `reco similar`: query a trained model, JSONL in and out. */
import type { Model } from '#shared/recommender/model.ts';
import { DatasetError } from '#shared/recommender/io/dataset.ts';
import { readJsonLines, writeJsonLine, type Invalid } from '#shared/recommender/io/jsonl.ts';
import { positiveInteger, required, type CliIo, type Values } from '../flags.ts';
import { registry } from '../trainingData.ts';

/** The model in `--model`; one that cannot be loaded is a data error (exit 1). */
async function openModel(values: Values): Promise<Model> {
  const dir = required(values, 'model');
  const { loadModel } = await registry();
  try {
    return await loadModel(dir);
  } catch (error) {
    throw new DatasetError(dir, 'unreadable', `cannot load the model (${(error as Error).message})`);
  }
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string');

interface RankRequest {
  readonly userId?: string;
  readonly itemIds: string[];
}

function rankRequest(value: unknown): RankRequest | Invalid {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { invalid: 'expected an object {"userId": "...", "itemIds": ["..."]}' };
  }
  const { userId, itemIds } = value as Record<string, unknown>;
  if (userId !== undefined && userId !== null && typeof userId !== 'string')
    return { invalid: 'userId must be a string' };
  if (!isStringArray(itemIds)) return { invalid: 'itemIds must be an array of strings' };
  return typeof userId === 'string' ? { userId, itemIds } : { itemIds };
}

export async function rank(values: Values, io: CliIo): Promise<void> {
  const requests = required(values, 'requests');
  const model = await openModel(values);
  for await (const { value } of readJsonLines(requests, rankRequest)) {
    const itemIds = [...new Set(value.itemIds)];
    const ranked = model.recommend({
      ...(value.userId === undefined ? {} : { userId: value.userId }),
      candidates: itemIds,
      count: itemIds.length,
    });
    // Every requested item comes back; any the model left out follow, in request order.
    const returned = new Set(ranked.map((item) => item.itemId));
    const lowest = ranked.length > 0 ? Math.min(...ranked.map((item) => item.score)) : 0;
    const missing = itemIds.filter((itemId) => !returned.has(itemId));
    const ordered = ranked.filter((item) => itemIds.includes(item.itemId));
    await writeJsonLine(io.stdout, {
      userId: value.userId ?? null,
      itemIds: [...ordered.map((item) => item.itemId), ...missing],
      scores: [...ordered.map((item) => item.score), ...missing.map(() => lowest)],
    });
  }
}

/** Ids from JSONL objects (`{"userId": ...}`), JSON strings, or plain lines. */
async function* idsOf(file: string, key: 'userId' | 'itemId'): AsyncGenerator<string> {
  const lines = readJsonLines<unknown>(file, (value) => value, { plainText: true });
  for await (const { value } of lines) {
    const id = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : value;
    if (typeof id !== 'string' && typeof id !== 'number') {
      throw new DatasetError(file, 'json', `expected {"${key}": "..."}, a JSON string or a plain id`);
    }
    yield String(id);
  }
}

export async function recommend(values: Values, io: CliIo): Promise<void> {
  const users = required(values, 'users');
  const count = positiveInteger(values, 'count');
  const model = await openModel(values);
  const excludeSeen = values['exclude-seen'] === true;
  for await (const userId of idsOf(users, 'userId')) {
    const items = model.recommend({ userId, count, ...(excludeSeen ? { filters: { excludeSeen: true } } : {}) });
    await writeJsonLine(io.stdout, {
      userId,
      itemIds: items.map((item) => item.itemId),
      scores: items.map((item) => item.score),
      reasons: items.map((item) => item.reason ?? null),
    });
  }
}

export async function similar(values: Values, io: CliIo): Promise<void> {
  const items = required(values, 'items');
  const count = positiveInteger(values, 'count');
  const model = await openModel(values);
  for await (const itemId of idsOf(items, 'itemId')) {
    const similarItems = model.similarItems(itemId, count);
    await writeJsonLine(io.stdout, {
      itemId,
      itemIds: similarItems.map((item) => item.itemId),
      scores: similarItems.map((item) => item.score),
    });
  }
}
