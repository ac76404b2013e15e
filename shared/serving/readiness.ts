import type { ShopperStore } from '../ports/index.ts';
import type { GuardedCache, ModelGateway } from './guards.ts';

/** What a readiness check found of one dependency: `ok`, `absent` (not deployed), or what failed. */
export type CheckResult = 'ok' | 'absent' | { readonly failed: string };

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<'featureStore' | 'cache' | 'model', CheckResult>>;
}

export interface ReadinessDeps {
  readonly features: Pick<ShopperStore, 'readShopper'>;
  readonly cache: GuardedCache;
  readonly model?: ModelGateway;
}

/** A key no shopper can have (ids are checked at ingest), read and cached by the checks only. */
const PROBE_KEY = 'u:\u0000readiness';

const failure = (error: unknown): CheckResult => ({
  failed: error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : String(error).slice(0, 200),
});

async function check(work: () => Promise<void>): Promise<CheckResult> {
  try {
    await work();
    return 'ok';
  } catch (error) {
    return failure(error);
  }
}

/**
 * `GET /v1/ready` on the server API: one real call to each dependency the lists need (a profile
 * read, a cache round trip, a one-item model call), side by side. Ready when each answered; a
 * missing model endpoint is not a failure (popularity is then the ranking).
 */
export async function readiness(deps: ReadinessDeps): Promise<Readiness> {
  const [featureStore, cache, model] = await Promise.all([
    check(async () => {
      await deps.features.readShopper(PROBE_KEY);
    }),
    check(async () => {
      const key = `reco:readiness:${Date.now()}`;
      await deps.cache.set(key, '1', 5);
      const read = await deps.cache.get(key);
      if (read.status === 'BYPASS') throw new Error('the cache did not answer within its budget');
    }),
    deps.model
      ? check(async () => {
          await deps.model?.invoke({ count: 1 });
        })
      : Promise.resolve<CheckResult>('absent'),
  ]);
  return {
    ready: [featureStore, cache, model].every((result) => typeof result === 'string'),
    checks: { featureStore, cache, model },
  };
}
