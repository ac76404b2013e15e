/**
 * A seeded synthetic implicit-feedback set shaped like MovieLens-1M (6,040 users, ~3,700 items,
 * ~1M interactions, at least 20 per user), for measuring recommender quality at the scale of the
 * published NCF results without shipping MovieLens (whose licence forbids redistribution).
 *
 * How it is built, and why:
 * - Items belong to one of 18 "genres" (MovieLens has 18) and have a long-tailed popularity
 *   (Zipf-like over a random ranking), so popularity is a strong but beatable baseline.
 * - Users have a taste: 1 to 3 favourite genres with random weights, plus a share of choices that
 *   follow global popularity only. Activity is log-normal (median ~90, mean ~165, min 20), like
 *   MovieLens' long tail of heavy raters.
 * - Each user picks distinct items: a genre from their taste, then an item by popularity within
 *   the genre. Collaborative models can learn the genre structure; popularity cannot.
 * - Timestamps: users arrive over ~3 years (more early on, as in MovieLens), then interact in
 *   sessions with exponential gaps; tastes drift slowly towards a second favourite over time,
 *   so the latest interaction is predictable but not trivially so.
 *
 * Written on demand as Personalize CSVs (gzip) into a cache directory and reused, never committed.
 */
import { createWriteStream } from 'node:fs';
import { access, mkdir, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { hash32, mulberry32 } from '#shared/recommender/evaluation/random.ts';

export interface SyntheticOptions {
  readonly seed?: number;
  readonly users?: number;
  readonly items?: number;
  /** Median interactions per user above the minimum of 20 (default 88 → ~165 mean). */
  readonly medianActivity?: number;
  readonly genres?: number;
  /** Cache directory (default `$RECO_BENCH_CACHE` or `<tmpdir>/reco-bench-cache`). */
  readonly cacheDir?: string;
}

export interface SyntheticFiles {
  readonly interactions: string;
  readonly items: string;
}

/** Bumped whenever the generator changes, so stale cached files are never reused. */
const GENERATOR_VERSION = 1;
const MIN_ACTIVITY = 20;
const MAX_ACTIVITY = 2_000;
/** 2000-04-25, the first MovieLens-1M rating. */
const START = 956_703_932;
const SPAN_SECONDS = 3 * 365 * 86_400;
const POPULARITY_ONLY_SHARE = 0.2;

interface Resolved {
  readonly seed: number;
  readonly users: number;
  readonly items: number;
  readonly medianActivity: number;
  readonly genres: number;
}

/** Standard normal via Box–Muller. */
function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

/** Index drawn from a cumulative weight array by binary search. */
function draw(cumulative: Float64Array, next: () => number): number {
  const target = next() * (cumulative[cumulative.length - 1] as number);
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((cumulative[mid] as number) < target) low = mid + 1;
    else high = mid;
  }
  return low;
}

function cumulate(weights: readonly number[]): Float64Array {
  const cumulative = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => {
    sum += w;
    cumulative[i] = sum;
  });
  return cumulative;
}

/** The generator's hidden truth about one user, for scoring the Bayes-optimal ranking. */
export interface SyntheticUser {
  readonly userId: string;
  readonly taste: readonly { readonly genre: number; readonly weight: number }[];
  readonly drift: number;
  /** Planned interactions (the drift share of a choice grows with its position in them). */
  readonly activity: number;
}

/** The generator's hidden truth about the items. */
export interface SyntheticItems {
  readonly genreOf: Uint16Array;
  readonly popularity: Float64Array;
}

/** CSV lines of the interactions and the items, generated lazily (header first). */
export function* syntheticLines(
  options: Resolved,
  observe?: { items?(items: SyntheticItems): void; user?(user: SyntheticUser): void },
): Generator<{ file: 'interactions' | 'items'; line: string }> {
  const next = mulberry32(hash32(`synthetic:${options.seed}`));
  const { users, items, genres } = options;
  // Items: a genre each and a Zipf-like popularity over a random ranking.
  const genreOf = new Uint16Array(items);
  const popularity = new Float64Array(items);
  const ranking = Array.from({ length: items }, (_, i) => i);
  for (let i = items - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [ranking[i], ranking[j]] = [ranking[j] as number, ranking[i] as number];
  }
  ranking.forEach((item, rank) => {
    popularity[item] = 1 / (rank + 8) ** 1.1;
    genreOf[item] = Math.floor(next() * genres);
  });
  observe?.items?.({ genreOf, popularity });
  yield { file: 'items', line: 'ITEM_ID,TITLE,CATEGORY_L1,CREATION_TIMESTAMP' };
  for (let item = 0; item < items; item++) {
    yield { file: 'items', line: `m${item},Title ${item},genre-${genreOf[item]},${START - 86_400 * (item % 365)}` };
  }
  const global = cumulate([...popularity]);
  const byGenre: { items: number[]; cumulative: Float64Array }[] = [];
  for (let genre = 0; genre < genres; genre++) {
    const members = [];
    for (let item = 0; item < items; item++) if (genreOf[item] === genre) members.push(item);
    byGenre.push({ items: members, cumulative: cumulate(members.map((item) => popularity[item] as number)) });
  }
  yield { file: 'interactions', line: 'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE' };
  const taken = new Uint8Array(items);
  for (let user = 0; user < users; user++) {
    const favourites = 1 + Math.floor(next() * 3);
    const taste: { genre: number; weight: number }[] = [];
    for (let f = 0; f < favourites; f++) taste.push({ genre: Math.floor(next() * genres), weight: 0.2 + next() });
    const drift = Math.floor(next() * genres);
    const activity = Math.min(
      MAX_ACTIVITY,
      MIN_ACTIVITY + Math.round(options.medianActivity * Math.exp(gaussian(next))),
      items - 1,
    );
    observe?.user?.({ userId: `u${user}`, taste, drift, activity });
    // Early arrivals are more common, as MovieLens collected most ratings in its first year.
    let timestamp = START + Math.floor(next() ** 2 * SPAN_SECONDS * 0.8);
    const chosen: number[] = [];
    for (let n = 0; n < activity; n++) {
      const progress = n / activity;
      let item = -1;
      for (let attempt = 0; attempt < 50 && item < 0; attempt++) {
        let candidate: number;
        if (next() < POPULARITY_ONLY_SHARE) {
          candidate = draw(global, next);
        } else {
          // Taste drifts towards another genre over the user's history.
          const genre =
            next() < 0.35 * progress
              ? drift
              : (() => {
                  const cumulative = cumulate(taste.map((t) => t.weight));
                  return (taste[draw(cumulative, next)] as { genre: number }).genre;
                })();
          const pool = byGenre[genre] as { items: number[]; cumulative: Float64Array };
          if (pool.items.length === 0) continue;
          candidate = pool.items[draw(pool.cumulative, next)] as number;
        }
        if (taken[candidate] === 0) item = candidate;
      }
      if (item < 0) continue;
      taken[item] = 1;
      chosen.push(item);
      // Sessions: mostly minutes apart, sometimes days.
      timestamp += next() < 0.9 ? Math.floor(30 + next() * 600) : Math.floor(86_400 * -Math.log(1 - next()) * 5);
      yield { file: 'interactions', line: `u${user},m${item},${timestamp},purchase` };
    }
    for (const item of chosen) taken[item] = 0;
  }
}

function resolve(options: SyntheticOptions): Resolved {
  return {
    seed: options.seed ?? 7,
    users: options.users ?? 6_040,
    items: options.items ?? 3_700,
    medianActivity: options.medianActivity ?? 88,
    genres: options.genres ?? 18,
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Writes lines to a gzip file through a temporary name, so a crash never leaves a half file. */
async function writeGzipLines(path: string, lines: Iterable<string>): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  async function* chunks(): AsyncGenerator<string> {
    let buffer: string[] = [];
    for (const line of lines) {
      buffer.push(line);
      if (buffer.length >= 10_000) {
        yield `${buffer.join('\n')}\n`;
        buffer = [];
      }
    }
    if (buffer.length > 0) yield `${buffer.join('\n')}\n`;
  }
  await pipeline(Readable.from(chunks()), createGzip({ level: 6 }), createWriteStream(temporary));
  await rename(temporary, path);
}

/** The synthetic set's CSV files, generated on first use and cached by seed and shape. */
export async function syntheticDataset(options: SyntheticOptions = {}): Promise<SyntheticFiles> {
  const resolved = resolve(options);
  const dir = options.cacheDir ?? process.env['RECO_BENCH_CACHE'] ?? join(tmpdir(), 'reco-bench-cache');
  const key = `synthetic-v${GENERATOR_VERSION}-s${resolved.seed}-u${resolved.users}-i${resolved.items}-a${resolved.medianActivity}-g${resolved.genres}`;
  const files = { interactions: join(dir, `${key}-interactions.csv.gz`), items: join(dir, `${key}-items.csv.gz`) };
  if ((await exists(files.interactions)) && (await exists(files.items))) return files;
  await mkdir(dir, { recursive: true });
  // Two passes over the same seeded generator, one per file, so neither has to be held in memory.
  const only = (file: 'interactions' | 'items'): Iterable<string> => ({
    *[Symbol.iterator]() {
      for (const entry of syntheticLines(resolved)) if (entry.file === file) yield entry.line;
    },
  });
  await writeGzipLines(files.items, only('items'));
  await writeGzipLines(files.interactions, only('interactions'));
  return files;
}

/**
 * The Bayes-optimal scorer of the synthetic set: the probability the generator gives each item for
 * a user's *last* choice (popularity-only share, then the user's genres with the drift share at
 * the end of their history), from the hidden truth. Ranking candidates by it is the best any model
 * can do, so its HR@10 / NDCG@10 under leave-one-out is the ceiling of this data set.
 */
export function syntheticOracle(options: SyntheticOptions = {}): (userId: string, itemId: string) => number {
  const resolved = resolve(options);
  let items: SyntheticItems | undefined;
  const users = new Map<string, SyntheticUser>();
  for (const _ of syntheticLines(resolved, {
    items: (truth) => (items = truth),
    user: (truth) => users.set(truth.userId, truth),
  })) {
    // Only the observed truth is needed; the lines are dropped.
  }
  const { genreOf, popularity } = items as SyntheticItems;
  let total = 0;
  const genreTotals = new Float64Array(resolved.genres);
  popularity.forEach((p, item) => {
    total += p;
    const genre = genreOf[item] as number;
    genreTotals[genre] = (genreTotals[genre] as number) + p;
  });
  const genreWeights = new Map<string, Float64Array>();
  return (userId, itemId) => {
    const user = users.get(userId);
    const item = Number(itemId.slice(1));
    if (user === undefined || !Number.isInteger(item) || item < 0 || item >= popularity.length) return 0;
    let weights = genreWeights.get(userId);
    if (weights === undefined) {
      weights = new Float64Array(resolved.genres);
      const drift = 0.35 * ((user.activity - 1) / user.activity);
      const sum = user.taste.reduce((s, t) => s + t.weight, 0);
      for (const t of user.taste) weights[t.genre] = (weights[t.genre] as number) + ((1 - drift) * t.weight) / sum;
      weights[user.drift] = (weights[user.drift] as number) + drift;
      genreWeights.set(userId, weights);
    }
    const genre = genreOf[item] as number;
    const p = popularity[item] as number;
    return (
      p *
      (POPULARITY_ONLY_SHARE / total +
        ((1 - POPULARITY_ONLY_SHARE) * (weights[genre] as number)) / (genreTotals[genre] as number))
    );
  };
}
