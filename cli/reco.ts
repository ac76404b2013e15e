/**
 * `reco`: train, query and evaluate recommendation models from the command line.
 *
 * Exit codes: 0 success, 2 usage error (bad flag or value; the message names the flag), 1 data
 * error (a bad input file; the message names the file, line and field) or any other failure.
 * Results go to stdout (JSONL or a table) and progress to stderr, so output can be piped.
 */
import { mkdtemp, mkdir, readFile, rename, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Writable } from 'node:stream';
import {
  ALGORITHMS,
  type AlgorithmName,
  type Hyperparameters,
  type Model,
  type Trainer,
} from '#shared/recommender/model.ts';
import { closestName, DatasetError, describeSkipped, readTrainingData } from '#shared/recommender/io/dataset.ts';
import { markNonProducts, readNonProductCodes } from '#shared/recommender/io/nonProductCodes.ts';
import { readJsonLines, writeJsonLine, type Invalid } from '#shared/recommender/io/jsonl.ts';
import { DEFAULT_KS, evaluate, formatReport } from '#shared/recommender/evaluation/evaluate.ts';
import { PROTOCOLS, withEventTypes, type Protocol } from '#shared/recommender/evaluation/splits.ts';
import { tune } from '#shared/recommender/tune.ts';
import type * as Registry from '#shared/recommender/registry.ts';
import { tuneBudgetOption } from './tuneOptions.ts';
import { callServerApi, MissingCredentialsError, ServerApiError, type ServerApiOptions } from './serverApi.ts';

/** A bad command line; exits with code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

const COMMANDS = [
  'train',
  'rank',
  'recommend',
  'similar',
  'evaluate',
  'tune',
  'erase',
  'user-token',
  'dashboard',
] as const;
type Command = (typeof COMMANDS)[number];

export const USAGE = `usage: reco <command> [options]

Commands:
  train      --interactions FILE [--items FILE] --out DIR [--algorithm NAME] [--param key=value ...]
             [--params-file FILE] [--pack] [--skip-invalid] [--non-product-codes FILE]
             [--tune-budget SECONDS|Nx|Ntrials] [--no-tune]
             Tune on a validation split (each shopper's latest item held out), then train on all
             the data and write the model to DIR (--pack also writes DIR/model.tar.gz). The budget
             defaults to 4x one default training run (at most 5x); Ntrials counts work, not time,
             for runs that must repeat exactly. Values given with --param are kept, not tuned.
             --non-product-codes marks the ids of FILE (e.g. data/non-product-codes.json) not recommendable.
  rank       --model DIR --requests FILE
             Rank given items per shopper. Requests: JSONL {"userId","itemIds"}; prints JSONL
             {"userId","itemIds","scores"} in input order, items best first.
  recommend  --model DIR --users FILE --count K [--exclude-seen]
             Top K items per shopper. Users: JSONL {"userId"} or one id per line.
  similar    --model DIR --items FILE --count K
             Top K similar items per item. Items: JSONL {"itemId"} or one id per line.
  evaluate   --interactions FILE [--items FILE] [--protocol P] [--negatives 99] [--k 5,10,20]
             [--algorithms a,b] [--event-types t,u] [--max-users N] [--quantile 0.8] [--seed 42]
             [--json] [--skip-invalid]
             Train each algorithm on a split and print one table, algorithms side by side.
  tune       --interactions FILE [--items FILE] --algorithm NAME --out FILE [--trials 20]
             [--protocol P] [--metric ndcg@10] [--event-types t,u] [--max-users N] [--seed 42]
             [--skip-invalid]
             Random search around the defaults on a validation split (never the test split);
             writes the best hyperparameters as JSON for train --params-file.
  erase      --user ID [--api URL] [--region R]
             Erase a shopper (DELETE /v1/users/{id} on the server API) and print the result.
  user-token --user ID [--ttl SECONDS] [--api URL] [--region R]
             Mint a signed-in shopper's user token (POST /v1/admin/user-tokens) and print it.
  dashboard  [--api URL] [--port 8080] [--region R]
             Serve the live dashboard on 127.0.0.1 and print its URL; its stats calls
             (GET /v1/admin/stats) are signed on this machine. Runs until Ctrl-C.
             These three sign with AWS SigV4 from the standard AWS credential chain; --api defaults
             to RECO_SERVER_API_URL (the ServerApiUrl stack output, or the local stack's URL).

Algorithms: ${ALGORITHMS.join(', ')} (default hybrid).
Protocols:  ${PROTOCOLS.join(', ')} (default loo-sampled).
Data files: Amazon Personalize CSV (USER_ID,ITEM_ID,TIMESTAMP[,EVENT_TYPE][,EVENT_VALUE] and
            ITEM_ID[,TITLE][,DESCRIPTION][,CATEGORY_L1...][,PRICE][,IN_STOCK][,CREATION_TIMESTAMP]),
            plain or gzip.
Exit codes: 0 ok, 1 data error, 2 usage error. reco <command> --help shows this text.`;

type Options = NonNullable<ParseArgsConfig['options']>;

const DATA_OPTIONS = {
  interactions: { type: 'string' },
  items: { type: 'string' },
  'skip-invalid': { type: 'boolean' },
  'non-product-codes': { type: 'string' },
} as const satisfies Options;

const OPTIONS = {
  train: {
    ...DATA_OPTIONS,
    out: { type: 'string' },
    algorithm: { type: 'string' },
    param: { type: 'string', multiple: true },
    'params-file': { type: 'string' },
    pack: { type: 'boolean' },
    'tune-budget': { type: 'string' },
    'no-tune': { type: 'boolean' },
  },
  rank: { model: { type: 'string' }, requests: { type: 'string' } },
  recommend: {
    model: { type: 'string' },
    users: { type: 'string' },
    count: { type: 'string' },
    'exclude-seen': { type: 'boolean' },
  },
  similar: { model: { type: 'string' }, items: { type: 'string' }, count: { type: 'string' } },
  evaluate: {
    ...DATA_OPTIONS,
    protocol: { type: 'string' },
    negatives: { type: 'string' },
    k: { type: 'string' },
    algorithms: { type: 'string' },
    'event-types': { type: 'string' },
    'max-users': { type: 'string' },
    quantile: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
  },
  tune: {
    ...DATA_OPTIONS,
    algorithm: { type: 'string' },
    out: { type: 'string' },
    trials: { type: 'string' },
    protocol: { type: 'string' },
    metric: { type: 'string' },
    'event-types': { type: 'string' },
    'max-users': { type: 'string' },
    seed: { type: 'string' },
  },
  erase: { user: { type: 'string' }, api: { type: 'string' }, region: { type: 'string' } },
  'user-token': {
    user: { type: 'string' },
    ttl: { type: 'string' },
    api: { type: 'string' },
    region: { type: 'string' },
  },
  dashboard: { api: { type: 'string' }, port: { type: 'string' }, region: { type: 'string' } },
} as const satisfies Record<Command, Options>;

type Values = Record<string, string | boolean | string[] | undefined>;

/** The server API's base URL and region from the flags, else RECO_SERVER_API_URL. */
function serverApiOf(values: Values): ServerApiOptions {
  const url = typeof values.api === 'string' ? values.api : process.env.RECO_SERVER_API_URL;
  if (url === undefined || url === '') {
    throw new UsageError('--api URL (or RECO_SERVER_API_URL) is required: the ServerApiUrl stack output');
  }
  try {
    new URL(url);
  } catch {
    throw new UsageError(
      `--api must be an absolute URL such as https://abc123.execute-api.eu-west-1.amazonaws.com/prod, got "${url}"`,
    );
  }
  return { url, ...(typeof values.region === 'string' ? { region: values.region } : {}) };
}

function requiredUser(values: Values): string {
  const user = values.user;
  if (typeof user !== 'string' || user === '') throw new UsageError('--user ID is required');
  return user;
}

async function eraseCommand(values: Values, io: CliIo): Promise<void> {
  const user = requiredUser(values);
  const result = await callServerApi(serverApiOf(values), {
    method: 'DELETE',
    path: `/v1/users/${encodeURIComponent(user)}`,
  });
  io.stdout.write(`${JSON.stringify(result)}\n`);
}

async function userTokenCommand(values: Values, io: CliIo): Promise<void> {
  const user = requiredUser(values);
  const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
  if (ttl !== undefined && !Number.isInteger(ttl)) throw new UsageError('--ttl must be a whole number of seconds');
  const result = await callServerApi(serverApiOf(values), {
    method: 'POST',
    path: '/v1/admin/user-tokens',
    body: { userId: user, ...(ttl === undefined ? {} : { ttlSeconds: ttl }) },
  });
  io.stdout.write(`${JSON.stringify(result)}\n`);
}

/** The registry is loaded only by commands that train or load models, so `--help` stays fast. */
const registry = (): Promise<typeof Registry> => import('#shared/recommender/registry.ts');

function required(values: Values, flag: string): string {
  const value = values[flag];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} is required`);
  return value;
}

function optional(values: Values, flag: string): string | undefined {
  const value = values[flag];
  return typeof value === 'string' ? value : undefined;
}

/** A positive integer flag, or the fallback when absent. */
export function positiveInteger(values: Values, flag: string, fallback?: number): number {
  const text = optional(values, flag);
  if (text === undefined) {
    if (fallback === undefined) throw new UsageError(`--${flag} is required`);
    return fallback;
  }
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`--${flag} must be a positive integer, got "${text}"`);
  }
  return Number(text);
}

function integerOption(values: Values, flag: string, fallback: number, min = 0): number {
  const text = optional(values, flag);
  if (text === undefined) return fallback;
  if (!/^-?\d+$/.test(text) || Number(text) < min) {
    throw new UsageError(`--${flag} must be an integer of at least ${min}, got "${text}"`);
  }
  return Number(text);
}

function listOption(values: Values, flag: string): string[] | undefined {
  const text = optional(values, flag);
  if (text === undefined) return undefined;
  const list = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (list.length === 0) throw new UsageError(`--${flag} must be a comma-separated list, got "${text}"`);
  return list;
}

function suggestion(name: string, valid: readonly string[]): string {
  const near = closestName(name, valid);
  return near === undefined ? '' : ` (did you mean ${near}?)`;
}

/** Checks an algorithm name, naming the valid ones when it is not. */
export function algorithmName(name: string, flag: string): AlgorithmName {
  if ((ALGORITHMS as readonly string[]).includes(name)) return name as AlgorithmName;
  throw new UsageError(
    `${flag}: unknown algorithm "${name}"${suggestion(name, ALGORITHMS)}; valid: ${ALGORITHMS.join(', ')}`,
  );
}

function protocolOption(values: Values): Protocol {
  const name = optional(values, 'protocol') ?? 'loo-sampled';
  if ((PROTOCOLS as readonly string[]).includes(name)) return name as Protocol;
  throw new UsageError(
    `--protocol: unknown protocol "${name}"${suggestion(name, PROTOCOLS)}; valid: ${PROTOCOLS.join(', ')}`,
  );
}

/** `key=value` with the value as a number, boolean or string. */
export function parseParam(text: string): [string, number | string | boolean] {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new UsageError(`--param must be key=value, got "${text}"`);
  const key = text.slice(0, equals).trim();
  const raw = text.slice(equals + 1).trim();
  if (raw === 'true' || raw === 'false') return [key, raw === 'true'];
  const number = Number(raw);
  return [key, raw !== '' && Number.isFinite(number) ? number : raw];
}

/** Hyperparameters from `--params-file` (a tune result or a plain object) and `--param`s (which win). */
async function hyperparametersOf(values: Values): Promise<Record<string, number | string | boolean>> {
  const params: Record<string, number | string | boolean> = {};
  const file = optional(values, 'params-file');
  if (file !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new UsageError(`--params-file: cannot read ${file} as JSON (${(error as Error).message})`);
    }
    const object = (parsed as { hyperparameters?: unknown })?.hyperparameters ?? parsed;
    if (typeof object !== 'object' || object === null || Array.isArray(object)) {
      throw new UsageError(`--params-file: ${file} must hold a JSON object of hyperparameters`);
    }
    for (const [key, value] of Object.entries(object)) {
      if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean') {
        throw new UsageError(`--params-file: ${file}: ${key} must be a number, string or boolean`);
      }
      params[key] = value;
    }
  }
  for (const text of (values['param'] as string[] | undefined) ?? []) {
    const [key, value] = parseParam(text);
    params[key] = value;
  }
  return params;
}

/** Checks hyperparameter names against the trainer, naming the valid ones on a bad name. */
async function checkedHyperparameters(trainer: Trainer, params: Hyperparameters, flag: string): Promise<void> {
  const { validateHyperparameters } = await registry();
  try {
    validateHyperparameters(trainer, params);
  } catch (error) {
    const message = (error as Error).message;
    // The registry's message usually names the valid parameters already; add them when it does not.
    const valid = /valid/.test(message)
      ? ''
      : `; valid for ${trainer.algorithm}: ${Object.keys(trainer.defaults).join(', ')}`;
    throw new UsageError(`${flag}: ${message}${valid}`);
  }
}

async function loadData(values: Values, io: CliIo) {
  const skipInvalid = values['skip-invalid'] === true;
  const items = optional(values, 'items');
  const { data, reports } = await readTrainingData(
    { interactions: required(values, 'interactions'), ...(items === undefined ? {} : { items }) },
    { skipInvalid },
  );
  for (const report of reports) {
    const skipped = describeSkipped(report);
    if (skipped !== undefined) {
      io.stderr.write(`warning: ${skipped}\n`);
      for (const example of report.examples) io.stderr.write(`  e.g. ${example}\n`);
    }
  }
  const eventTypes = listOption(values, 'event-types');
  const typed = eventTypes === undefined ? data : withEventTypes(data, eventTypes);
  // Ids never to recommend, for data that cannot carry a RECOMMENDABLE column (see docs/recommender.md).
  const overlay = optional(values, 'non-product-codes');
  return overlay === undefined ? typed : markNonProducts(typed, await readNonProductCodes(overlay));
}

async function train(values: Values, io: CliIo): Promise<void> {
  const out = required(values, 'out');
  const algorithm = algorithmName(optional(values, 'algorithm') ?? 'hybrid', '--algorithm');
  const params = await hyperparametersOf(values);
  const budget = tuneBudgetOption(values, UsageError);
  const { trainerFor } = await registry();
  const trainer = trainerFor(algorithm);
  await checkedHyperparameters(trainer, params, '--param');
  const data = await loadData(values, io);
  io.stderr.write(
    `training ${algorithm} on ${data.interactions.length} interactions, ${data.catalogue.length} catalogue items\n`,
  );
  const start = performance.now();
  const { trainTuned } = await import('#shared/recommender/autotune/autotune.ts');
  const { model, report } = await trainTuned(trainer, data, params, {
    budget,
    log: (line) => io.stderr.write(`${line}\n`),
  });
  await mkdir(out, { recursive: true });
  await model.save(out);
  if (report !== undefined) {
    const { recordTuning } = await import('#shared/recommender/autotune/record.ts');
    await recordTuning(out, report);
  }
  io.stderr.write(`wrote ${out} in ${((performance.now() - start) / 1000).toFixed(1)} s\n`);
  if (values['pack'] === true) {
    // Packed outside the directory first, so the archive never contains itself.
    const scratch = await mkdtemp(join(tmpdir(), 'reco-pack-'));
    try {
      const archive = join(scratch, 'model.tar.gz');
      const { packModel } = await import('#shared/recommender/io/tar.ts');
      await packModel(out, archive);
      await copyFile(archive, join(out, 'model.tar.gz'));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    io.stderr.write(`wrote ${join(out, 'model.tar.gz')}\n`);
  }
}

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

async function rank(values: Values, io: CliIo): Promise<void> {
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

async function recommend(values: Values, io: CliIo): Promise<void> {
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

async function similar(values: Values, io: CliIo): Promise<void> {
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

function ksOption(values: Values): number[] {
  const list = listOption(values, 'k');
  if (list === undefined) return [...DEFAULT_KS];
  return list.map((text) => {
    if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--k must list positive integers, got "${text}"`);
    return Number(text);
  });
}

function quantileOption(values: Values): number | undefined {
  const text = optional(values, 'quantile');
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value > 0 && value < 1)) throw new UsageError(`--quantile must be between 0 and 1, got "${text}"`);
  return value;
}

/** Split options shared by evaluate and tune. */
function splitOptions(values: Values) {
  const maxUsers = optional(values, 'max-users') === undefined ? undefined : positiveInteger(values, 'max-users');
  const quantile = quantileOption(values);
  return {
    protocol: protocolOption(values),
    seed: integerOption(values, 'seed', 42),
    negatives: integerOption(values, 'negatives', 99, 1),
    ...(maxUsers === undefined ? {} : { maxUsers }),
    ...(quantile === undefined ? {} : { quantile }),
  };
}

async function evaluateCommand(values: Values, io: CliIo): Promise<void> {
  const names = (listOption(values, 'algorithms') ?? [...ALGORITHMS]).map((n) => algorithmName(n, '--algorithms'));
  const ks = ksOption(values);
  const options = splitOptions(values);
  const data = await loadData(values, io);
  const { trainerFor } = await registry();
  const report = await evaluate(
    names.map((name) => trainerFor(name)),
    data,
    { ...options, ks, onProgress: (message) => io.stderr.write(`${message}\n`) },
  );
  io.stdout.write(values['json'] === true ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
}

async function tuneCommand(values: Values, io: CliIo): Promise<void> {
  const algorithm = algorithmName(required(values, 'algorithm'), '--algorithm');
  const out = required(values, 'out');
  const trials = positiveInteger(values, 'trials', 20);
  const metric = optional(values, 'metric') ?? 'ndcg@10';
  if (!/^(hr|ndcg|precision|recall|coverage)@\d+$|^mrr$/.test(metric)) {
    throw new UsageError(`--metric must be hr@K, ndcg@K, precision@K, recall@K or mrr, got "${metric}"`);
  }
  const options = splitOptions(values);
  const data = await loadData(values, io);
  const { trainerFor } = await registry();
  const trainer = trainerFor(algorithm);
  const result = await tune(trainer, data, {
    ...options,
    trials,
    metric,
    onTrial: (trial, i) =>
      io.stderr.write(
        `trial ${i + 1}/${trials}: ${metric} ${trial.score.toFixed(4)} ${JSON.stringify(trial.hyperparameters)}\n`,
      ),
  });
  const text = JSON.stringify(
    {
      algorithm,
      hyperparameters: result.best.hyperparameters,
      metric,
      score: result.best.score,
      protocol: options.protocol,
      validationUsers: result.validationUsers,
      trials: result.trials.map((t) => ({ hyperparameters: t.hyperparameters, score: t.score })),
    },
    null,
    2,
  );
  const temporary = `${out}.tmp`;
  await writeFile(temporary, `${text}\n`);
  await rename(temporary, out);
  io.stderr.write(
    `best ${metric} ${result.best.score.toFixed(4)} on ${result.validationUsers} validation users; wrote ${out}\n`,
  );
}

const HANDLERS: Record<Command, (values: Values, io: CliIo) => Promise<void>> = {
  train,
  rank,
  recommend,
  similar,
  evaluate: evaluateCommand,
  tune: tuneCommand,
  erase: eraseCommand,
  'user-token': userTokenCommand,
  // Loaded when run: it brings an HTTP server and the page's bundler.
  dashboard: async (values, io) => (await import('./dashboard.ts')).dashboardCommand(values, io),
};

/** Turns `node:util` parse errors into usage errors that name the flag. */
function parseCommand(command: Command, args: string[]): Values {
  try {
    const { values } = parseArgs({
      args,
      options: { ...OPTIONS[command], help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    return values as Values;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code?.startsWith('ERR_PARSE_ARGS') === true) {
      const flags = Object.keys(OPTIONS[command]).map((flag) => `--${flag}`);
      const unknown = /'(-[^']*)'/.exec((error as Error).message)?.[1];
      const hint = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown !== undefined ? suggestion(unknown, flags) : '';
      throw new UsageError(`${command}: ${(error as Error).message}${hint}; valid flags: ${flags.join(' ')}`);
    }
    throw error;
  }
}

/** Runs the CLI and returns the exit code (it never calls `process.exit`, so it can be tested). */
export async function main(argv: readonly string[], io: CliIo = process): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    (first === undefined ? io.stderr : io.stdout).write(`${USAGE}\n`);
    return first === undefined ? 2 : 0;
  }
  try {
    if (!(COMMANDS as readonly string[]).includes(first)) {
      throw new UsageError(`unknown command "${first}"${suggestion(first, COMMANDS)}; valid: ${COMMANDS.join(', ')}`);
    }
    const command = first as Command;
    const values = parseCommand(command, rest);
    if (values['help'] === true) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    await HANDLERS[command](values, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`reco: ${error.message}\nRun reco --help for usage.\n`);
      return 2;
    }
    if (error instanceof MissingCredentialsError) {
      io.stderr.write(`reco: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ServerApiError) {
      io.stderr.write(`reco: the server API answered ${error.message}\n`);
      return 1;
    }
    if (error instanceof DatasetError) {
      io.stderr.write(`reco: ${error.message}\n`);
      return 1;
    }
    io.stderr.write(`reco: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
