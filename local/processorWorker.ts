/**
 * The processor's event source mapping on a thread of its own: the poller and the processor
 * handler (the unchanged function, as its Lambda entry point builds it) on an event loop apart
 * from the local API Gateway's, as they are apart in AWS. `local/processorThread.ts` starts it;
 * the mapping's counters go to the parent through shared memory, so reading them is synchronous.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FilePoisonSink } from './filePoisonSink.ts';
import { EventSourceMapping, type StreamHandler } from './eventSourceMapping.ts';
import { localClients } from './standins.ts';
import { writeStats, type ProcessorThreadMessage, type ProcessorWorkerData } from './processorShared.ts';

async function main(): Promise<void> {
  const data = workerData as ProcessorWorkerData;
  const port = parentPort;
  if (!port) throw new Error('processorWorker.ts runs as a worker thread');
  // Imported only now: the handler's SDK clients read their endpoints from this thread's copy of
  // the environment, which the stack set before starting it.
  const processor = await import('#functions/processor/app.ts');
  const handler = processor.createHandler(
    processor.createDeps(process.env, {
      poisonSink: new FilePoisonSink(data.poisonPath),
      ...(data.writeConcurrency === undefined ? {} : { writeConcurrency: data.writeConcurrency }),
    }),
  );
  const { kinesis } = localClients(data.endpoints);
  const mapping = new EventSourceMapping({
    ...data.mapping,
    kinesis,
    handler: handler as StreamHandler,
    onProgress: (stats, idle) => writeStats(data.stats, stats, idle),
  });
  await mapping.start();
  port.on('message', (message: ProcessorThreadMessage) => {
    if (message.kind === 'resetMaxLag') mapping.resetMaxLag();
    else if (message.kind === 'stop') {
      void mapping.stop().then(() => {
        kinesis.destroy();
        port.postMessage({ kind: 'stopped' } satisfies ProcessorThreadMessage);
      });
    }
  });
  port.postMessage({ kind: 'started' } satisfies ProcessorThreadMessage);
}

main().catch((error: unknown) => {
  parentPort?.postMessage({
    kind: 'failed',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  } satisfies ProcessorThreadMessage);
});
