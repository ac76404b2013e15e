/**
 * Content-based: TF-IDF over title, description and categories (lowercased word tokens, English
 * stop words dropped, sublinear tf, smoothed idf, L2-normalised sparse vectors). Item-item
 * similarity is cosine; a shopper's profile is the weighted sum of their items' vectors. Needs no
 * interactions, so it is what knows about a brand-new catalogue item.
 */
import type { Artifact, ArtifactWriter } from '../artifact.ts';
import { postingsScorer, type PostingsScorer } from '../kernels/postingsScorer.ts';
import { transpose, WEIGHTING_DEFAULTS, type SparseRows } from '../matrix.ts';
import type { CatalogueItem, Hyperparameters, Model, RecommendationFilters, ScoredItem, Trainer } from '../model.ts';
import { becauseOf, historyWeights, type FoldedShopper } from '../shopperHistory.ts';
import { CandidateScores } from '../candidates.ts';
import { rankItems } from '../filters.ts';
import { ComponentModel, prepareBase, type Component, type ComponentScores, type ModelBase } from '../component.ts';
import { numberParam, resolveHyperparameters, type ParameterName } from '../hyperparameters.ts';

/** Names of the content hyperparameters (CLI `--param` keys and SageMaker hyperparameters.json keys). */
export const CONTENT_PARAMS = {
  titleWeight: 'titleWeight',
  categoryWeight: 'categoryWeight',
  maxDocumentFrequency: 'maxDocumentFrequency',
  recentMultiplier: 'recentMultiplier',
  profileTerms: 'profileTerms',
} as const;
export type ContentParamName = ParameterName<typeof CONTENT_PARAMS>;

/** Defaults: title words count double (a title is dense), each category is a token of its own, counted twice. */
export const CONTENT_DEFAULTS: Hyperparameters = {
  ...WEIGHTING_DEFAULTS,
  /** @default 2: occurrences a title word counts */
  [CONTENT_PARAMS.titleWeight]: 2,
  /** @default 2: occurrences a category counts (as one token per category, e.g. `category:shoes`) */
  [CONTENT_PARAMS.categoryWeight]: 2,
  /** @default 0.5: terms in more than this share of items are dropped (they separate nothing) */
  [CONTENT_PARAMS.maxDocumentFrequency]: 0.5,
  /** @default 2: live events count this many times their trained weight */
  [CONTENT_PARAMS.recentMultiplier]: 2,
  /**
   * @default 0: keep every profile term; n > 0 keeps the heaviest n. A long history gathers ~100
   * terms whose postings reach 400k entries over a 100k catalogue; the heaviest 32 reach a tenth
   * of that. Alone, content is best with every term; inside the hybrid, 32 cost next to nothing and
   * save ~1 ms a request (see HYBRID_DEFAULTS and docs/decisions/0004-ials-defaults.md).
   */
  [CONTENT_PARAMS.profileTerms]: 0,
};

export interface ContentSettings {
  readonly titleWeight: number;
  readonly categoryWeight: number;
  readonly maxDocumentFrequency: number;
  readonly recentMultiplier: number;
  /** 0 keeps every term; absent in artifacts written before profiles were pruned (read as 0). */
  readonly profileTerms?: number;
}

export function contentSettings(params: Hyperparameters, prefix = ''): ContentSettings {
  const n = (name: ContentParamName): number => numberParam(params, prefix + name);
  const profileTerms = n(CONTENT_PARAMS.profileTerms);
  if (!Number.isInteger(profileTerms) || profileTerms < 0) {
    throw new Error(`${prefix}${CONTENT_PARAMS.profileTerms} must be a whole number ≥ 0, got ${profileTerms}`);
  }
  return {
    titleWeight: n(CONTENT_PARAMS.titleWeight),
    categoryWeight: n(CONTENT_PARAMS.categoryWeight),
    maxDocumentFrequency: n(CONTENT_PARAMS.maxDocumentFrequency),
    recentMultiplier: n(CONTENT_PARAMS.recentMultiplier),
    profileTerms,
  };
}

/** Common English words that say nothing about a product. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be but by for from has have in into is it its of on or our that the their this to was were ' +
    'will with you your we all any can more most new not only other so such than then there these they very which who'
  ).split(' '),
);

/** Lowercased letter/digit runs of two or more characters, stop words removed. */
export function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((token) => token.length > 1 && !STOP_WORDS.has(token));
}

/** What the content component reads of an item: the text of its catalogue entry. */
export type ItemText = Pick<CatalogueItem, 'title' | 'description' | 'categories' | 'attributes'>;

/**
 * Raw term counts of one catalogue entry. Attribute values that are text count as description
 * words: the training catalogue's schema has no attributes, so they only match words other
 * items' titles, descriptions and categories use.
 */
function termCounts(entry: ItemText, settings: ContentSettings): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (term: string, count: number): void => {
    counts.set(term, (counts.get(term) ?? 0) + count);
  };
  for (const token of tokenize(entry.title ?? '')) add(token, settings.titleWeight);
  for (const token of tokenize(entry.description ?? '')) add(token, 1);
  for (const category of entry.categories) {
    add(`category:${category.toLowerCase()}`, settings.categoryWeight);
    for (const token of tokenize(category)) add(token, 1);
  }
  for (const value of Object.values(entry.attributes ?? {})) {
    if (typeof value === 'string') for (const token of tokenize(value)) add(token, 1);
  }
  return counts;
}

/** TF-IDF vectors of the items in `itemIds` order (items without catalogue text get empty rows). */
export function tfidfVectors(
  itemIds: readonly string[],
  entries: readonly CatalogueItem[],
  settings: ContentSettings,
): { vocabulary: string[]; vectors: SparseRows } {
  const byId = new Map(entries.map((e) => [e.itemId, e]));
  const counts = itemIds.map((id) => {
    const entry = byId.get(id);
    return entry === undefined ? new Map<string, number>() : termCounts(entry, settings);
  });
  const documentFrequency = new Map<string, number>();
  for (const c of counts)
    for (const term of c.keys()) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  const documents = Math.max(1, entries.length);
  const vocabulary = [...documentFrequency.entries()]
    .filter(([, df]) => documents < 4 || df / documents <= settings.maxDocumentFrequency)
    .map(([term]) => term)
    .sort();
  const termIndex = new Map(vocabulary.map((term, t) => [term, t]));
  const pointers = new Uint32Array(itemIds.length + 1);
  const terms: number[] = [];
  const weights: number[] = [];
  counts.forEach((c, item) => {
    const row: [number, number][] = [];
    let squared = 0;
    for (const [term, count] of c) {
      const t = termIndex.get(term);
      if (t === undefined) continue;
      const idf = Math.log((1 + documents) / (1 + (documentFrequency.get(term) as number))) + 1;
      const weight = (1 + Math.log(count)) * idf;
      row.push([t, weight]);
      squared += weight * weight;
    }
    row.sort((a, b) => a[0] - b[0]);
    const norm = Math.sqrt(squared);
    for (const [t, weight] of row) {
      terms.push(t);
      weights.push(weight / norm);
    }
    pointers[item + 1] = terms.length;
  });
  return { vocabulary, vectors: { pointers, indices: Uint32Array.from(terms), values: Float32Array.from(weights) } };
}

export class ContentComponent implements Component {
  readonly base: ModelBase;
  readonly settings: ContentSettings;
  readonly vocabulary: readonly string[];
  readonly vectors: SparseRows;
  /** Term → items (the inverted index), for scoring every item against one profile. */
  readonly #postings: SparseRows;
  /**
   * Score buffers reused by every request (one at a time, consumed before the next), as iALS
   * does (see {@link CandidateScores}); the whole-catalogue scorer (which owns its buffer) is
   * built on the first such request: training and rankings never need it.
   */
  #catalogueScorer: PostingsScorer | undefined;
  #candidates: CandidateScores | undefined;
  /** Term → index and the number of items with any text, built on the first {@link similarToText}. */
  #termIndex: Map<string, number> | undefined;
  #documents: number | undefined;

  constructor(base: ModelBase, settings: ContentSettings, vocabulary: readonly string[], vectors: SparseRows) {
    this.base = base;
    this.settings = settings;
    this.vocabulary = vocabulary;
    this.vectors = vectors;
    this.#postings = transpose(vectors, vocabulary.length);
  }

  /** The profile's `profileTerms` heaviest terms (all when 0) (ties by term index, so the choice is stable). */
  #pruned(profile: Map<number, number>): ReadonlyMap<number, number> {
    const limit = this.settings.profileTerms ?? 0;
    if (limit === 0 || profile.size <= limit) return profile;
    const heaviest = [...profile].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, limit);
    return new Map(heaviest);
  }

  /**
   * Cosine of every item (or of the `only` items: a ranking's candidates, the rest NaN) with a
   * sparse profile, normalised here.
   */
  #scoreProfile(profile: ReadonlyMap<number, number>, only?: readonly number[]): Float32Array {
    let squared = 0;
    for (const w of profile.values()) squared += w * w;
    const norm = Math.sqrt(squared) || 1;
    if (only !== undefined) {
      const candidates = (this.#candidates ??= new CandidateScores(this.base.catalogue.size));
      const scores = candidates.start();
      const { pointers, indices, values } = this.vectors;
      for (let n = 0; n < only.length; n++) {
        const item = only[n] as number;
        let dot = 0;
        for (let p = pointers[item] as number; p < (pointers[item + 1] as number); p++) {
          dot += (profile.get(indices[p] as number) ?? 0) * (values[p] as number);
        }
        candidates.set(item, dot / norm);
      }
      return scores;
    }
    // A profile's terms reach most of a catalogue (categories are shared by thousands of items),
    // so clearing all of it beats tracking what was reached.
    return (this.#catalogueScorer ??= postingsScorer(this.#postings, this.base.catalogue.size)).score(
      profile,
      1 / norm,
    );
  }

  #cosine(a: number, b: number): number {
    const { pointers, indices, values } = this.vectors;
    let p = pointers[a] as number;
    let q = pointers[b] as number;
    const pEnd = pointers[a + 1] as number;
    const qEnd = pointers[b + 1] as number;
    let dot = 0;
    while (p < pEnd && q < qEnd) {
      const tp = indices[p] as number;
      const tq = indices[q] as number;
      if (tp === tq) dot += (values[p++] as number) * (values[q++] as number);
      else if (tp < tq) p++;
      else q++;
    }
    return dot;
  }

  score(shopper: FoldedShopper, only?: readonly number[]): ComponentScores | undefined {
    const { items: history, weights } = historyWeights(shopper, this.settings.recentMultiplier);
    const profile = new Map<number, number>();
    const { pointers, indices, values } = this.vectors;
    history.forEach((item, n) => {
      const weight = weights[n] as number;
      for (let p = pointers[item] as number; p < (pointers[item + 1] as number); p++) {
        const t = indices[p] as number;
        profile.set(t, (profile.get(t) ?? 0) + weight * (values[p] as number));
      }
    });
    if (profile.size === 0) return undefined;
    const scores = this.#scoreProfile(this.#pruned(profile), only);
    return {
      scores,
      // The profile is Σ_h w_h·v_h, so item h's part of the score is w_h·cos(h, item): the
      // reason names the history item with the largest part (itself left out).
      reason: (item) => {
        let best = -1;
        let bestPart = 0;
        history.forEach((h, n) => {
          // A non-recommendable history item counts in the score but is never named.
          const part =
            h === item || !this.base.catalogue.isRecommendable(h) ? 0 : (weights[n] as number) * this.#cosine(h, item);
          if (part > bestPart) {
            bestPart = part;
            best = h;
          }
        });
        return best < 0 ? undefined : becauseOf(this.base, shopper, best);
      },
    };
  }

  similar(item: number): ComponentScores | undefined {
    const { pointers, indices, values } = this.vectors;
    if (pointers[item] === pointers[item + 1]) return undefined;
    const profile = new Map<number, number>();
    for (let p = pointers[item] as number; p < (pointers[item + 1] as number); p++)
      profile.set(indices[p] as number, values[p] as number);
    const id = this.base.catalogue.itemIds[item] as string;
    return { scores: this.#scoreProfile(profile), reason: () => `similar to ${id}` };
  }

  /**
   * Scores of every item against the text of an item the model was not trained on, weighted as
   * training weighs an item's terms (sublinear tf × smoothed idf). The artifact keeps no document
   * frequencies, so each term's is its postings length, over the items that have any text;
   * terms the training catalogue never used (or dropped as too common) are skipped. Undefined
   * when none of the text's terms is known.
   */
  similarToText(itemId: string, text: ItemText): ComponentScores | undefined {
    const termIndex = (this.#termIndex ??= new Map(this.vocabulary.map((term, t) => [term, t])));
    const { pointers } = this.#postings;
    const documents = (this.#documents ??= countDocuments(this.vectors));
    const profile = new Map<number, number>();
    for (const [term, count] of termCounts(text, this.settings)) {
      const t = termIndex.get(term);
      if (t === undefined) continue;
      const documentFrequency = (pointers[t + 1] as number) - (pointers[t] as number);
      profile.set(t, (1 + Math.log(count)) * (Math.log((1 + documents) / (1 + documentFrequency)) + 1));
    }
    if (profile.size === 0) return undefined;
    return { scores: this.#scoreProfile(profile), reason: () => `similar to ${itemId}` };
  }

  async write(writer: ArtifactWriter, prefix: string): Promise<void> {
    await Promise.all([
      writer.json(`${prefix}settings`, this.settings),
      writer.json(`${prefix}vocabulary`, this.vocabulary),
      writer.uint32(`${prefix}vectors.pointers`, this.vectors.pointers),
      writer.uint32(`${prefix}vectors.terms`, this.vectors.indices),
      writer.float32(`${prefix}vectors.weights`, this.vectors.values),
    ]);
  }

  static read(artifact: Artifact, base: ModelBase, prefix: string): ContentComponent {
    return new ContentComponent(
      base,
      artifact.json<ContentSettings>(`${prefix}settings`),
      artifact.json<string[]>(`${prefix}vocabulary`),
      {
        pointers: artifact.uint32(`${prefix}vectors.pointers`),
        indices: artifact.uint32(`${prefix}vectors.terms`),
        values: artifact.float32(`${prefix}vectors.weights`),
      },
    );
  }

  /** Vectors for a freshly trained base. */
  static build(base: ModelBase, catalogue: readonly CatalogueItem[], settings: ContentSettings): ContentComponent {
    const { vocabulary, vectors } = tfidfVectors(base.catalogue.itemIds, catalogue, settings);
    return new ContentComponent(base, settings, vocabulary, vectors);
  }
}

/** Items with at least one term: the document count training's idf was taken over, near enough. */
function countDocuments(vectors: SparseRows): number {
  let documents = 0;
  for (let item = 0; item + 1 < vectors.pointers.length; item++) {
    if (vectors.pointers[item] !== vectors.pointers[item + 1]) documents++;
  }
  return Math.max(1, documents);
}

/** The content component of a model: the model's own, or the hybrid's content part. */
export function contentComponentOf(model: Model): ContentComponent | undefined {
  if (!(model instanceof ComponentModel)) return undefined;
  const { component } = model;
  if (component instanceof ContentComponent) return component;
  const part = (component as { readonly content?: unknown }).content;
  return part instanceof ContentComponent ? part : undefined;
}

/**
 * Items similar to an item the model was not trained on (upserted since), scored by the model's
 * content component against the item's own text, filters applied. Undefined when the model knows
 * the item (its own similar items are better), has no content component, or none of the text's
 * terms is known: the caller then asks `model.similarItems`.
 */
export function similarItemsFromText(
  model: Model,
  itemId: string,
  text: ItemText,
  count: number,
  filters?: RecommendationFilters,
): ScoredItem[] | undefined {
  const content = contentComponentOf(model);
  if (content === undefined || content.base.catalogue.index.has(itemId)) return undefined;
  const scored = content.similarToText(itemId, text);
  if (scored === undefined) return undefined;
  return rankItems({
    catalogue: content.base.catalogue,
    scores: scored.scores,
    count,
    filters,
    reason: (item) => scored.reason(item),
  });
}

export const contentTrainer: Trainer = {
  algorithm: 'content',
  defaults: CONTENT_DEFAULTS,
  async fit(data, hyperparameters) {
    const params = resolveHyperparameters('content', CONTENT_DEFAULTS, hyperparameters);
    const { base } = prepareBase(data, params);
    return new ComponentModel('content', base, ContentComponent.build(base, data.catalogue, contentSettings(params)));
  },
};
