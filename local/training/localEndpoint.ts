import { loadServingModel, type LoadedModel } from '../../model/lib/loading.ts';
import { InferenceServer } from '../../model/lib/server.ts';

/**
 * The local stand-in for the SageMaker endpoint: the `model/` inference server on loopback, whose
 * model the pipeline's deployment swaps in place (SageMaker's blue/green update, without the
 * second fleet). Until a model is served, `/ping` answers 503 as an endpoint being created would.
 */
export class LocalEndpoint {
  private loaded: LoadedModel | undefined;
  private servedVersion: string | undefined;

  private constructor(
    private readonly server: InferenceServer,
    readonly url: string,
  ) {}

  static async start(log: (line: string) => void): Promise<LocalEndpoint> {
    const server = new InferenceServer({ log });
    const url = await server.listen(0, '127.0.0.1');
    return new LocalEndpoint(server, url);
  }

  /** The version answering now, if any. */
  get version(): string | undefined {
    return this.servedVersion;
  }

  /** Serves the model in `path` (a model directory, or one holding `model.tar.gz`) as `version`. */
  async serve(path: string, version: string): Promise<void> {
    const next = await loadServingModel(path, { modelVersion: version });
    const previous = this.loaded;
    this.server.ready(next.serving);
    this.loaded = next;
    this.servedVersion = version;
    await previous?.cleanup();
  }

  async close(): Promise<void> {
    await this.server.close(1_000);
    await this.loaded?.cleanup();
  }
}
