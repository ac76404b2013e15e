/**
 * Helpers for components that score candidate items: a reusable score buffer for a query's
 * candidates, and a bounded top-n pick.
 */

/**
 * A catalogue-sized score buffer for ranking candidates, reused by every request (a model answers
 * one at a time, and the caller consumes the scores before the next): NaN except at the items the
 * last request wrote, which {@link start} clears again — 100 writes, not a 400 kB allocation.
 */
export class CandidateScores {
  readonly #scores: Float32Array;
  readonly #written: number[] = [];

  constructor(size: number) {
    this.#scores = new Float32Array(size).fill(Number.NaN);
  }

  /** The buffer, with the previous request's scores cleared. */
  start(): Float32Array {
    const written = this.#written;
    for (let n = 0; n < written.length; n++) this.#scores[written[n] as number] = Number.NaN;
    written.length = 0;
    return this.#scores;
  }

  set(item: number, score: number): void {
    this.#scores[item] = score;
    this.#written.push(item);
  }
}

/**
 * Indices of the `n` best of `candidates` by `scoreOf`, best first, ties by lower index (a
 * bounded min-heap, so picking 50 neighbours out of thousands costs no full sort).
 */
export function topIndices(candidates: ArrayLike<number>, n: number, scoreOf: (index: number) => number): number[] {
  const heap: number[] = [];
  const scores: number[] = [];
  const weaker = (a: number, b: number): boolean =>
    (scores[a] as number) < (scores[b] as number) ||
    ((scores[a] as number) === (scores[b] as number) && (heap[a] as number) > (heap[b] as number));
  const swap = (a: number, b: number): void => {
    [heap[a], heap[b]] = [heap[b] as number, heap[a] as number];
    [scores[a], scores[b]] = [scores[b] as number, scores[a] as number];
  };
  for (let c = 0; c < candidates.length && n > 0; c++) {
    const index = candidates[c] as number;
    const score = scoreOf(index);
    if (heap.length < n) {
      heap.push(index);
      scores.push(score);
      for (let at = heap.length - 1; at > 0;) {
        const parent = (at - 1) >> 1;
        if (!weaker(at, parent)) break;
        swap(at, parent);
        at = parent;
      }
      continue;
    }
    const top = scores[0] as number;
    if (score < top || (score === top && index > (heap[0] as number))) continue;
    heap[0] = index;
    scores[0] = score;
    for (let at = 0; ;) {
      const left = 2 * at + 1;
      let weakest = at;
      if (left < heap.length && weaker(left, weakest)) weakest = left;
      if (left + 1 < heap.length && weaker(left + 1, weakest)) weakest = left + 1;
      if (weakest === at) break;
      swap(at, weakest);
      at = weakest;
    }
  }
  const order = heap.map((index, n) => ({ index, score: scores[n] as number }));
  order.sort((a, b) => b.score - a.score || a.index - b.index);
  return order.map((o) => o.index);
}
