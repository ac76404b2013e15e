/**
 * Worker threads for iALS sweeps. Factors and the sparse matrix live in SharedArrayBuffers, so
 * a sweep is one small message per worker: no copies, and every worker writes its own rows.
 *
 * The worker runs from source text built from {@link solveRows}, not from a file, because a
 * `.ts` worker file would need a TypeScript loader in the worker (tsx, vitest and a bundled
 * Lambda each load TypeScript differently), while a function's text is plain JavaScript in all
 * of them.
 */
import { Worker } from 'node:worker_threads';
import { solveRows, type SolveJob } from './alsKernel.ts';

/** One side of the alternation: the matrix oriented by the rows being solved. */
export interface SolveSide {
  readonly pointers: Uint32Array;
  readonly indices: Uint32Array;
  readonly values: Float32Array;
  readonly solve: Float32Array;
  readonly fixed: Float32Array;
}

// `__name` is the helper esbuild (tsx, vitest) calls in transpiled code to keep function names.
const WORKER_SOURCE = `'use strict';
var __name = (target) => target;
const { parentPort } = require('node:worker_threads');
const solveRows = (${solveRows.toString()});
let state;
parentPort.on('message', (message) => {
  if (message.type === 'init') {
    state = message;
    return;
  }
  const side = message.side === 'users' ? state.users : state.items;
  solveRows(message.job, side.pointers, side.indices, side.values, side.solve, side.fixed, state.gramian);
  parentPort.postMessage('done');
});
`;

/** Copies a typed array into shared memory (or returns it when it already is). */
export function shared<T extends Float32Array | Uint32Array | Float64Array>(array: T): T {
  if (array.buffer instanceof SharedArrayBuffer) return array;
  const Constructor = array.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new Constructor(new SharedArrayBuffer(array.byteLength));
  copy.set(array as never);
  return copy;
}

/**
 * Splits rows into `parts` contiguous ranges of about equal work: a row costs a k×k product
 * per CG step plus 2k per observation, so a range is cut by that cost, not by row count.
 */
export function splitByCost(pointers: Uint32Array, parts: number, k: number): [number, number][] {
  const rows = pointers.length - 1;
  const cost = (row: number): number => k + 2 * ((pointers[row + 1] as number) - (pointers[row] as number));
  let total = 0;
  for (let row = 0; row < rows; row++) total += cost(row);
  const ranges: [number, number][] = [];
  let start = 0;
  let acc = 0;
  for (let row = 0; row < rows && ranges.length < parts - 1; row++) {
    acc += cost(row);
    if (acc >= (total * (ranges.length + 1)) / parts) {
      ranges.push([start, row + 1]);
      start = row + 1;
    }
  }
  ranges.push([start, rows]);
  return ranges;
}

/** A fixed set of workers sharing one training run's arrays. */
export class SolverPool {
  readonly #workers: Worker[];
  readonly #sides: { readonly users: SolveSide; readonly items: SolveSide };

  private constructor(workers: Worker[], sides: { users: SolveSide; items: SolveSide }) {
    this.#workers = workers;
    this.#sides = sides;
  }

  /** Starts `size` workers; every array must be backed by a SharedArrayBuffer. */
  static start(size: number, sides: { users: SolveSide; items: SolveSide }, gramian: Float64Array): SolverPool {
    const workers: Worker[] = [];
    for (let n = 0; n < size; n++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.postMessage({ type: 'init', users: sides.users, items: sides.items, gramian });
      workers.push(worker);
    }
    return new SolverPool(workers, sides);
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Solves every row of one side, split by cost across the workers; the shared Gramian must be current. */
  async sweep(side: 'users' | 'items', job: Omit<SolveJob, 'start' | 'end'>): Promise<void> {
    const ranges = splitByCost(this.#sides[side].pointers, this.#workers.length, job.factors);
    await Promise.all(
      ranges.map(
        ([start, end], n) =>
          new Promise<void>((resolve, reject) => {
            const worker = this.#workers[n] as Worker;
            const onError = (error: Error): void => {
              worker.off('message', onMessage);
              reject(error);
            };
            const onMessage = (): void => {
              worker.off('error', onError);
              resolve();
            };
            worker.once('message', onMessage);
            worker.once('error', onError);
            worker.postMessage({ type: 'solve', side, job: { ...job, start, end } });
          }),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}
