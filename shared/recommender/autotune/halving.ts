/**
 * Successive halving (Jamieson and Talwalkar 2016): every candidate gets the smallest resource
 * (here iALS iterations), the best 1/η go on to the next rung, and so on to the full resource.
 * Self-written (a few dozen lines, no dependency): it must count its work in trials through the
 * caller's budget, so that a budget in trials gives the same result on a loaded machine.
 */

export interface HalvingOptions<C> {
  /** Candidates, in the order they are tried (ties keep this order). */
  readonly candidates: readonly C[];
  /** Resources per rung, increasing; the last is the full one. */
  readonly rungs: readonly number[];
  /** Keep the best 1/eta of a rung for the next (default 3). */
  readonly eta?: number;
  /** Cost of one evaluation at a resource, in trials. */
  readonly cost: (resource: number) => number;
  /** Whether the budget still allows work of this cost; an evaluation it refuses is not run. */
  readonly allows: (cost: number) => boolean;
  /** Scores a candidate at a resource (higher is better). */
  readonly evaluate: (candidate: C, resource: number) => Promise<number>;
}

export interface HalvingEvaluation<C> {
  readonly candidate: C;
  readonly resource: number;
  readonly score: number;
}

export interface HalvingResult<C> {
  /** The best candidate at the full resource, when any got there. */
  readonly best?: HalvingEvaluation<C>;
  readonly evaluations: readonly HalvingEvaluation<C>[];
}

/**
 * How many candidates a budget of `trials` pays for: the largest n whose rungs (n, n/η, n/η², …
 * candidates, at least one each) cost at most `trials`; 0 when not even one candidate fits.
 */
export function plannedCandidates(
  trials: number,
  rungs: readonly number[],
  cost: (r: number) => number,
  eta = 3,
): number {
  const total = (n: number): number =>
    rungs.reduce((sum, resource, i) => sum + Math.max(1, Math.floor(n / eta ** i)) * cost(resource), 0);
  let n = 0;
  while (n < 1_000 && total(n + 1) <= trials + 1e-9) n++;
  return n;
}

export async function successiveHalving<C>(options: HalvingOptions<C>): Promise<HalvingResult<C>> {
  const eta = options.eta ?? 3;
  if (!(eta > 1)) throw new RangeError(`eta must be above 1, got ${eta}`);
  const evaluations: HalvingEvaluation<C>[] = [];
  let alive = options.candidates.map((candidate, order) => ({ candidate, order }));
  let best: HalvingEvaluation<C> | undefined;
  for (let rung = 0; rung < options.rungs.length && alive.length > 0; rung++) {
    const resource = options.rungs[rung] as number;
    const scored: { candidate: C; order: number; score: number }[] = [];
    for (const { candidate, order } of alive) {
      if (!options.allows(options.cost(resource))) break;
      const score = await options.evaluate(candidate, resource);
      evaluations.push({ candidate, resource, score });
      scored.push({ candidate, order, score });
    }
    scored.sort((a, b) => b.score - a.score || a.order - b.order);
    if (rung === options.rungs.length - 1) {
      const top = scored[0];
      if (top !== undefined) best = { candidate: top.candidate, resource, score: top.score };
      break;
    }
    alive = scored.slice(0, Math.max(1, Math.floor(scored.length / eta)));
    if (scored.length === 0) alive = [];
  }
  return best === undefined ? { evaluations } : { best, evaluations };
}
