/**
 * Where two shapes cost the same: the traffic, scaled from the given load at its ratio of events
 * to lists, at which the cheaper shape changes. Found on a log grid, then by bisection.
 */
import type { DeploymentShape } from '#shared/config/shapes.ts';
import { estimate, type EstimateOptions } from './estimate.ts';
import type { Load } from './model.ts';

export interface Crossover {
  /** The scale of the given load at which both cost the same. */
  readonly scale: number;
  readonly eventsPerDay: number;
  readonly recommendationsPerDay: number;
  readonly monthlyUsd: number;
  /** The shape cheaper below the crossover. */
  readonly cheaperBelow: 'a' | 'b';
}

export interface CrossoverOptions extends Omit<EstimateOptions, 'shape'> {
  readonly a: DeploymentShape;
  readonly b: DeploymentShape;
  /** Scales searched, @default [1e-4, 1e3] */
  readonly range?: readonly [number, number];
  /** @default 120 */
  readonly gridPoints?: number;
}

const scaled = (load: Load, k: number): Load => ({
  ...load,
  eventsPerDay: load.eventsPerDay * k,
  recommendationsPerDay: load.recommendationsPerDay * k,
});

export function crossovers(options: CrossoverOptions): Crossover[] {
  const [low, high] = options.range ?? [1e-4, 1e3];
  const points = options.gridPoints ?? 120;
  const diff = (k: number) =>
    estimate({ ...options, shape: options.a, load: scaled(options.load, k) }).totalUsd -
    estimate({ ...options, shape: options.b, load: scaled(options.load, k) }).totalUsd;
  const found: Crossover[] = [];
  let prevK = low;
  let prevD = diff(low);
  for (let i = 1; i <= points; i++) {
    const k = low * (high / low) ** (i / points);
    const d = diff(k);
    if (Math.sign(d) !== Math.sign(prevD) && d !== 0) {
      let [lo, hi, dLo] = [prevK, k, prevD];
      for (let step = 0; step < 50; step++) {
        const mid = Math.sqrt(lo * hi);
        const dMid = diff(mid);
        if (Math.sign(dMid) === Math.sign(dLo)) [lo, dLo] = [mid, dMid];
        else hi = mid;
      }
      const at = scaled(options.load, hi);
      found.push({
        scale: hi,
        eventsPerDay: at.eventsPerDay,
        recommendationsPerDay: at.recommendationsPerDay,
        monthlyUsd: estimate({ ...options, shape: options.a, load: at }).totalUsd,
        cheaperBelow: prevD < 0 ? 'a' : 'b',
      });
    }
    [prevK, prevD] = [k, d];
  }
  return found;
}
