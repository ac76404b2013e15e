/**
 * The inference entry point without the process: flags and environment, listen first (so
 * `/ping` can say 503 while the model loads), load, serve until a stop signal, shut down.
 */
import { envVars } from '#shared/config/index.ts';
import { loadServingModel } from './loading.ts';
import { containerPaths, parseFlags, resolvePort, resolveRoot, UsageError } from './paths.ts';
import { InferenceServer } from './server.ts';
import type { EntryIo } from './training.ts';

/** SageMaker sends SIGKILL 30 s after SIGTERM; requests in flight get most of that. */
export const SHUTDOWN_GRACE_MS = 25_000;

export interface ServeIo extends EntryIo {
  /** Calls `handler` once on SIGTERM or SIGINT. */
  readonly onStop: (handler: (signal: string) => void) => void;
}

/**
 * Flags: `--root DIR` (else `SM_ROOT`, else `/opt/ml`), `--port N` (else `SAGEMAKER_BIND_TO_PORT`,
 * else 8080; 0 = any free port), `--host H` (default 0.0.0.0). Resolves with the exit code once
 * the server has shut down: 0 after a stop signal, 1 when the model cannot be loaded, 2 on bad flags.
 */
export async function serveMain(args: readonly string[], io: ServeIo): Promise<number> {
  let flags;
  let port;
  try {
    flags = parseFlags(args, ['root', 'port', 'host'] as const);
    port = resolvePort(flags.port, io.env['SAGEMAKER_BIND_TO_PORT']);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.error(`serve: ${error.message}`);
    return 2;
  }
  const paths = containerPaths(resolveRoot(flags.root, io.env['SM_ROOT']));
  const server = new InferenceServer({ log: io.error });
  const stopped = new Promise<string>((resolve) => io.onStop(resolve));
  let url: string;
  try {
    url = await server.listen(port, flags.host ?? '0.0.0.0');
  } catch (error) {
    io.error(`serve: cannot listen on port ${port}: ${(error as Error).message}`);
    return 1;
  }
  io.log(`listening on ${url}`);
  let loaded;
  try {
    loaded = await loadServingModel(paths.model, { modelVersion: io.env[envVars.modelVersion] });
  } catch (error) {
    io.error(`serve: cannot load the model from ${paths.model}: ${(error as Error).message}`);
    await server.close(0);
    return 1;
  }
  server.ready(loaded.serving);
  io.log(`serving ${loaded.serving.modelVersion} from ${loaded.dir} (warmed up in ${Math.round(loaded.warmUpMs)} ms)`);
  const signal = await stopped;
  io.log(`${signal}: shutting down`);
  await server.close(SHUTDOWN_GRACE_MS);
  await loaded.cleanup();
  return 0;
}
