/**
 * Ingest validation throughput: `acceptEvents` over request bodies of 100 simulator events, with
 * a stream that takes everything instantly, so only parsing and validation are on the clock.
 * Floor: `JSON.parse` of the same bodies, the least any ingest path must do.
 */
import { acceptEvents, type IngestDeps } from '#shared/ingest/acceptEvents.ts';
import type { EventStream } from '#shared/ports/index.ts';
import { latestTimestamp, requestBodies, simulatorEvents } from '../lib/fixtures.ts';
import { atLeast, measurePair, type BenchResult } from '../lib/harness.ts';
import type { Caller } from '#shared/auth/caller.ts';

/** Validation is measured as the shop's backend posts: no per-user token check. */
const SERVER: Caller = { kind: 'server', principal: 'bench' };

export const name = 'ingest';
export const description =
  'acceptEvents (body parse, schema, size and clock checks, duplicate detection) on 20,000 simulator events in requests of 100, stream answered in-process; floor: JSON.parse of the same bodies.';

const EVENT_COUNT = 20_000;
const EVENTS_PER_REQUEST = 100;
const WARMUP_ROUNDS = 3;
const ROUNDS = 20;
/** From the issue tracker: validation throughput on one core. */
const TARGET_EVENTS_PER_SECOND = 5_000;

/** A stream that takes every event at once; it only counts them so the work is observable. */
class NoopEventStream implements EventStream {
  events = 0;
  async putEvents(events: readonly unknown[]): Promise<{ failed: [] }> {
    this.events += events.length;
    return { failed: [] };
  }
}

export async function run(): Promise<BenchResult> {
  const events = simulatorEvents(EVENT_COUNT);
  const bodies = requestBodies(events, EVENTS_PER_REQUEST);
  // The server clock one second after the last event: every event is inside the clock window.
  const serverNow = latestTimestamp(events) + 1_000;
  const stream = new NoopEventStream();
  const deps: IngestDeps = { stream, clock: { now: () => serverNow } };

  // Check the workload before timing it: every event must be accepted, or we would be
  // measuring the rejection path.
  let accepted = 0;
  for (const body of bodies) {
    const result = await acceptEvents(body, deps, SERVER);
    if (result.rejected.length > 0) {
      throw new Error(`simulator event rejected: ${JSON.stringify(result.rejected[0])}`);
    }
    accepted += result.accepted;
  }
  if (accepted !== EVENT_COUNT) throw new Error(`accepted ${accepted} of ${EVENT_COUNT} events`);

  let parsedEvents = 0;
  const measurement = await measurePair(
    {
      label: 'acceptEvents',
      units: EVENT_COUNT,
      run: async () => {
        for (const body of bodies) await acceptEvents(body, deps, SERVER);
      },
    },
    {
      label: 'JSON.parse',
      units: EVENT_COUNT,
      run: () => {
        for (const body of bodies) parsedEvents += (JSON.parse(body) as { events: unknown[] }).events.length;
      },
    },
    { warmupRounds: WARMUP_ROUNDS, rounds: ROUNDS },
  );
  const floorCalls = WARMUP_ROUNDS + ROUNDS;
  if (parsedEvents !== EVENT_COUNT * floorCalls) throw new Error('floor parsed an unexpected number of events');
  if (stream.events !== EVENT_COUNT * (1 + floorCalls)) throw new Error('stream saw an unexpected number of events');

  const bodyBytes = bodies.reduce((sum, body) => sum + Buffer.byteLength(body, 'utf8'), 0);
  return {
    unit: 'events',
    ...measurement,
    metrics: {
      events: EVENT_COUNT,
      requests: bodies.length,
      eventsPerRequest: EVENTS_PER_REQUEST,
      meanBodyBytes: Math.round(bodyBytes / bodies.length),
      meanEventBytes: Math.round(bodyBytes / EVENT_COUNT),
      requestsPerSecondMedian: measurement.subject.medianPerSecond / EVENTS_PER_REQUEST,
    },
    targets: [
      atLeast(
        'validation throughput on one core',
        measurement.subject.medianPerSecond,
        TARGET_EVENTS_PER_SECOND,
        'events/s',
      ),
    ],
  };
}
