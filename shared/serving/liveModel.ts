import type { Clock } from '../ports/index.ts';

/** The model registry's pointer to what the endpoint serves; `undefined` before the first model is live. */
export interface LiveModelSource {
  live(): Promise<{ readonly version: string } | undefined>;
}

/** What the serving side knows of the live model: a version, none deployed yet, or unknown (the registry failed). */
export type LiveModelState =
  { readonly kind: 'live'; readonly version: string } | { readonly kind: 'none' } | { readonly kind: 'unknown' };

export interface LiveModelVersionOptions {
  readonly source: LiveModelSource;
  readonly clock: Clock;
  /** How long a read is reused, ms. */
  readonly ttlMs: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * The live model version, read from the registry at most once per `ttlMs` per process. A new
 * version reaches every list within `ttlMs` and gives it new cache keys. When the registry
 * cannot be read, the last state read stays; with none, the state is `unknown` and the lists
 * call the endpoint (the breaker and the fallback cover an endpoint that is not there).
 */
export class LiveModelVersion {
  private state: LiveModelState = { kind: 'unknown' };
  private readAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<LiveModelState> | undefined;

  constructor(private readonly options: LiveModelVersionOptions) {}

  current(): Promise<LiveModelState> {
    if (this.options.clock.now() - this.readAt < this.options.ttlMs) return Promise.resolve(this.state);
    this.pending ??= this.read().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async read(): Promise<LiveModelState> {
    try {
      const live = await this.options.source.live();
      this.state = live === undefined ? { kind: 'none' } : { kind: 'live', version: live.version };
    } catch (error) {
      this.options.onError?.(error);
    }
    this.readAt = this.options.clock.now();
    return this.state;
  }
}
