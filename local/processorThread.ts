import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { MappingStats, StreamMapping } from './eventSourceMapping.ts';
import { readStats, statsBuffer, type ProcessorThreadMessage, type ProcessorWorkerData } from './processorShared.ts';

const STOP_GRACE_MS = 10_000;

/**
 * The processor's event source mapping on a worker thread (`processorWorker.ts`): its poller and
 * handler run on the other core while this thread's event loop answers HTTP. Reads of `stats`
 * and `idle` are synchronous, from memory both threads share.
 */
export class ProcessorThread implements StreamMapping {
  private readonly exited: Promise<unknown>;

  private constructor(
    private readonly worker: Worker,
    private readonly shared: SharedArrayBuffer,
  ) {
    this.exited = once(worker, 'exit');
  }

  /** Starts the thread; resolves once its mapping polls. */
  static async start(data: Omit<ProcessorWorkerData, 'stats'>): Promise<ProcessorThread> {
    const shared = statsBuffer();
    const worker = new Worker(new URL('./processorWorker.ts', import.meta.url), {
      workerData: { ...data, stats: shared } satisfies ProcessorWorkerData,
      // The thread loads the handler's TypeScript as the stack's own process does.
      execArgv: ['--import', 'tsx'],
    });
    const started = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: ProcessorThreadMessage) => {
        if (message.kind === 'started') resolve();
        if (message.kind === 'failed') reject(new Error(`the processor thread failed to start: ${message.message}`));
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the processor thread exited while starting (code ${code})`)));
    });
    try {
      await started;
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    worker.on('error', (error) => console.error('[processor-thread]', error));
    return new ProcessorThread(worker, shared);
  }

  get stats(): Readonly<MappingStats> {
    return readStats(this.shared).stats;
  }

  get idle(): boolean {
    return readStats(this.shared).idle;
  }

  resetMaxLag(): void {
    this.worker.postMessage({ kind: 'resetMaxLag' } satisfies ProcessorThreadMessage);
  }

  /** Lets the batch in hand finish, as a stopping mapping does, then ends the thread. */
  async stop(): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      this.worker.on('message', (message: ProcessorThreadMessage) => {
        if (message.kind === 'stopped') resolve();
      });
      void this.exited.then(() => resolve());
    });
    this.worker.postMessage({ kind: 'stop' } satisfies ProcessorThreadMessage);
    const timer = setTimeout(() => void this.worker.terminate(), STOP_GRACE_MS);
    await stopped;
    clearTimeout(timer);
    await this.worker.terminate();
    await this.exited;
  }
}
