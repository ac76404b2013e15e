/**
 * The local endpoint's own process: the `model/` inference server on loopback, as the SageMaker
 * endpoint is its own service in AWS. The stack (`LocalEndpoint`) starts it, tells it over IPC
 * which model to serve, and starts it again on the same port if it dies.
 */
import { loadServingModel, type LoadedModel } from '../../model/lib/loading.ts';
import { InferenceServer } from '../../model/lib/server.ts';
import type { EndpointReply, EndpointRequest } from './endpointMessages.ts';

const send = (reply: EndpointReply): void => {
  process.send?.(reply);
};

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? '0');
  const server = new InferenceServer({ log: (line) => console.error(line) });
  let loaded: LoadedModel | undefined;
  // One swap at a time, in the order asked: a later deployment never ends under an earlier one.
  let swaps: Promise<void> = Promise.resolve();

  const serve = async (request: Extract<EndpointRequest, { kind: 'serve' }>): Promise<void> => {
    try {
      const next = await loadServingModel(request.path, { modelVersion: request.version });
      const previous = loaded;
      server.ready(next.serving);
      loaded = next;
      await previous?.cleanup();
      send({ kind: 'served', id: request.id, version: request.version });
    } catch (error) {
      send({ kind: 'failed', id: request.id, message: error instanceof Error ? error.message : String(error) });
    }
  };

  const stop = async (): Promise<void> => {
    await server.close(1_000);
    await loaded?.cleanup();
    process.exit(0);
  };

  process.on('message', (message: EndpointRequest) => {
    if (message.kind === 'serve') swaps = swaps.then(() => serve(message));
    else void stop();
  });
  // The stack went away without closing this process (killed): nobody can reach it any more.
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  // Ctrl-C in a terminal signals the whole process group: the stack closes this process itself
  // when it stops, and a SIGINT here would only look like a crash it must recover from.
  process.on('SIGINT', () => {});

  const url = await server.listen(port, '127.0.0.1');
  send({ kind: 'listening', url });
}

main().catch((error: unknown) => {
  console.error('local model server failed to start:', error);
  process.exit(1);
});
