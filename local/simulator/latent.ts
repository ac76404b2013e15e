/**
 * The hidden "taste space" of the simulator. Items and shoppers both live in it; a shopper's
 * affinity for an item is the dot product of the two vectors. Nothing here leaves the
 * simulator: the recommendation stack only ever sees the events this space produces, which is
 * what makes personalization measurable against a known ground truth.
 */
import { hash32, mulberry32 } from './random.ts';
import { CATEGORY_TEMPLATES } from './vocabulary.ts';

export const LATENT_DIMENSION = 8;

/** Centroids closer than this cosine are redrawn, so categories stay distinguishable in 8 dimensions. */
const MAX_CENTROID_COSINE = 0.5;

export function normalize(vector: number[]): number[] {
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return vector.map((x) => x / norm);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0);
  return sum;
}

function gaussianVector(next: () => number): number[] {
  const vector: number[] = [];
  while (vector.length < LATENT_DIMENSION) {
    const u = 1 - next();
    const v = next();
    vector.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return vector;
}

/**
 * Category centroids depend only on the category, not on the catalogue seed, so shoppers can be
 * created without a catalogue and still line up with any catalogue's categories.
 */
const centroids: ReadonlyMap<string, readonly number[]> = (() => {
  const next = mulberry32(hash32('category-centroids'));
  const chosen = new Map<string, readonly number[]>();
  for (const template of CATEGORY_TEMPLATES) {
    let candidate = normalize(gaussianVector(next));
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const tooClose = [...chosen.values()].some((other) => dot(other, candidate) > MAX_CENTROID_COSINE);
      if (!tooClose) break;
      candidate = normalize(gaussianVector(next));
    }
    chosen.set(template.name, candidate);
  }
  return chosen;
})();

/** Unit centroid of a top-level category; unknown names get a stable vector from their hash. */
export function categoryCentroid(name: string): readonly number[] {
  return centroids.get(name) ?? normalize(gaussianVector(mulberry32(hash32(`category:${name}`))));
}

/** A small fixed offset per subcategory, so "knives" and "cookware" differ within "kitchen". */
export function subcategoryOffset(category: string, subcategory: string): readonly number[] {
  return normalize(gaussianVector(mulberry32(hash32(`subcategory:${category}/${subcategory}`))));
}
