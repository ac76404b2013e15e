import { createRecoClient, memoryStorage, type RecoClientOptions, type RecoStorage } from '../../../sdk/index.ts';
import { FakeClock, FakeFetch } from './fakes.ts';

export const ENDPOINT = 'https://api.example.test';
export const API_KEY = 'test-key';

/** A client on a fake fetch and clock, with notices collected. */
export function setup(options: Partial<RecoClientOptions> & { fake?: FakeFetch; storage?: RecoStorage } = {}) {
  const { fake: given, ...clientOptions } = options;
  const fake = given ?? new FakeFetch();
  const clock = new FakeClock();
  const errors: { error: Error; kind: string; events: number }[] = [];
  const rejected: { eventId: string; reason: string; field?: string }[] = [];
  const client = createRecoClient({
    endpoint: `${ENDPOINT}/`,
    apiKey: API_KEY,
    fetch: fake.fetch,
    clock,
    storage: options.storage ?? memoryStorage(),
    random: () => 0.5,
    onError: (error, notice) => errors.push({ error, kind: notice.kind, events: notice.events.length }),
    onRejected: (list) =>
      rejected.push(
        ...list.map((r) => ({ eventId: r.event.eventId, reason: r.reason, ...(r.field ? { field: r.field } : {}) })),
      ),
    ...clientOptions,
  });
  return { client, fake, clock, errors, rejected };
}
