/**
 * The hit ratio a shape's cache reaches. `--cache-hit-ratio` is that of the shared cache: a repeat
 * request finds the answer whichever function instance serves it. The in-process LRU is one per
 * warm recommend instance, and a shopper's repeat lands on the instance holding the answer with
 * a chance of 1 in the instances warm at the time (shared lists, cached by every instance, do
 * better: this errs high on misses). The instances warm are the function's mean concurrency,
 * which itself depends on the hit ratio, so the two are solved together.
 */
import { recommendTimes } from './functions.ts';
import type { CostContext } from './model.ts';
import { traffic } from './traffic.ts';

export interface HitRatio {
  readonly ratio: number;
  /** Mean concurrency of the recommend function it assumes (1 for a shared cache). */
  readonly instances: number;
}

export function effectiveHitRatio(context: CostContext): HitRatio {
  const nominal = context.load.cacheHitRatio;
  if (context.shape.cache !== 'in-process') return { ratio: nominal, instances: 1 };
  const perSecond = traffic(context.load, context.assumptions).recommendationsPerSecond;
  const { hitMs, missMs } = recommendTimes(context);
  let ratio = nominal;
  let instances = 1;
  for (let i = 0; i < 50; i++) {
    instances = Math.max(1, (perSecond * (ratio * hitMs + (1 - ratio) * missMs)) / 1000);
    ratio = nominal / instances;
  }
  return { ratio, instances };
}
