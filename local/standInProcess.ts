/**
 * A stand-in's own process (argv[2]: `dynamodb` or `kinesis`), as DynamoDB and Kinesis are
 * services apart from the functions in AWS: the stack's event loop then runs the gateway, the
 * handlers and the pollers while this one answers the SDK calls, on the other core.
 * `local/standInChild.ts` starts it and talks to it over IPC.
 */
import { startStandInServer, type StandInServer, type StandInService } from './standInServer.ts';

/** Parent → child. */
export type StandInRequest =
  | { readonly kind: 'restart'; readonly id: number; readonly downtimeMs: number }
  | { readonly kind: 'operations'; readonly id: number }
  | { readonly kind: 'stop' };

/** Child → parent. */
export type StandInReply =
  | { readonly kind: 'listening'; readonly endpoint: string }
  | { readonly kind: 'done'; readonly id: number; readonly value?: unknown }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string };

const send = (reply: StandInReply) => process.send?.(reply);

async function main(): Promise<void> {
  const service = process.argv[2] as StandInService;
  const server: StandInServer = await startStandInServer(service);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    process.exit(0);
  };
  process.on('message', (request: StandInRequest) => {
    if (request.kind === 'stop') return void stop();
    const work = request.kind === 'restart' ? server.restart(request.downtimeMs) : server.operations();
    work.then(
      (value) => send({ kind: 'done', id: request.id, value }),
      (error: unknown) => send({ kind: 'failed', id: request.id, message: (error as Error).message }),
    );
  });
  // Ctrl-C reaches the whole process group: the stack stops this process itself, after the
  // processor has drained what the API accepted.
  process.on('SIGINT', () => {});
  // The stack is gone without stopping this process (killed): nobody can reach it any more.
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  send({ kind: 'listening', endpoint: server.endpoint });
}

main().catch((error: unknown) => {
  console.error('stand-in failed to start:', error);
  process.exit(1);
});
