/**
 * iALS training: alternating sweeps over users and items, each row updated by a few warm-started
 * conjugate-gradient steps (Takács et al. 2011), on worker threads when the data is large enough.
 */
import { availableParallelism } from 'node:os';
import type { SparseRows } from '../../matrix.ts';
import { gramianOf, solveRows, type SolveJob } from '../../workers/alsKernel.ts';
import { shared, SolverPool } from '../../workers/alsPool.ts';
import { mulberry32 } from '../../../random.ts';
import type { IalsSettings } from './settings.ts';

/** Work below this many observations finishes before two workers would have started. */
const WORKER_THRESHOLD = 50_000;

/** Normal(0, scale) numbers from the seeded generator (Box–Muller). */
function gaussianFill(array: Float32Array, scale: number, random: () => number): void {
  for (let n = 0; n < array.length; n += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    array[n] = scale * radius * Math.cos(angle);
    if (n + 1 < array.length) array[n + 1] = scale * radius * Math.sin(angle);
  }
}

/** Learned factors, row-major (rows × factors). */
export interface Factors {
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
}

/** Alternating sweeps: Gramian of the fixed side once per sweep, then CG per row (in workers when it pays). */
export async function trainFactors(byUser: SparseRows, byItem: SparseRows, settings: IalsSettings): Promise<Factors> {
  const k = settings.factors;
  const users = byUser.pointers.length - 1;
  const items = byItem.pointers.length - 1;
  const threads = Math.min(Math.max(1, Math.floor(settings.workers)), availableParallelism());
  const parallel = threads > 1 && byUser.indices.length >= WORKER_THRESHOLD;
  const allocate = (length: number): Float32Array =>
    parallel ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length);
  const userFactors = allocate(users * k);
  const itemFactors = allocate(items * k);
  const random = mulberry32(settings.seed);
  const scale = settings.initScale / Math.sqrt(k);
  gaussianFill(userFactors, scale, random);
  gaussianFill(itemFactors, scale, random);
  const gramian = parallel ? new Float64Array(new SharedArrayBuffer(k * k * 8)) : new Float64Array(k * k);
  const job = (otherCount: number): Omit<SolveJob, 'start' | 'end'> => ({
    factors: k,
    cgSteps: settings.cgSteps,
    alpha: settings.alpha,
    unobservedWeight: settings.unobservedWeight,
    regularization: settings.regularization,
    exponent: settings.regularizationExponent,
    otherCount,
  });

  if (!parallel) {
    for (let iteration = 0; iteration < settings.iterations; iteration++) {
      gramianOf(itemFactors, items, k, gramian);
      solveRows(
        { ...job(items), start: 0, end: users },
        byUser.pointers,
        byUser.indices,
        byUser.values,
        userFactors,
        itemFactors,
        gramian,
      );
      gramianOf(userFactors, users, k, gramian);
      solveRows(
        { ...job(users), start: 0, end: items },
        byItem.pointers,
        byItem.indices,
        byItem.values,
        itemFactors,
        userFactors,
        gramian,
      );
    }
    return { userFactors, itemFactors };
  }

  const pool = SolverPool.start(
    threads,
    {
      users: {
        pointers: shared(byUser.pointers),
        indices: shared(byUser.indices),
        values: shared(byUser.values),
        solve: userFactors,
        fixed: itemFactors,
      },
      items: {
        pointers: shared(byItem.pointers),
        indices: shared(byItem.indices),
        values: shared(byItem.values),
        solve: itemFactors,
        fixed: userFactors,
      },
    },
    gramian,
  );
  try {
    for (let iteration = 0; iteration < settings.iterations; iteration++) {
      gramianOf(itemFactors, items, k, gramian);
      await pool.sweep('users', job(items));
      gramianOf(userFactors, users, k, gramian);
      await pool.sweep('items', job(users));
    }
  } finally {
    await pool.close();
  }
  return { userFactors, itemFactors };
}
