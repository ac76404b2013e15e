/**
 * The storefront load: `loops` shoppers' pages in flight, each one "POST 5 views of one shopper,
 * then GET that shopper's list" again and again. Requests go through `node:http` with a
 * keep-alive agent (one socket per loop and request kind), the cheapest client for the load
 * generator, whose CPU counts on the same two cores as the stack's.
 */
import { Agent, request } from 'node:http';
import { api } from '#shared/config/index.ts';
import { seededRandom } from '../serving/history.ts';
import type { ShopperTokens } from '../serving/tokens.ts';

export interface LoopsOptions {
  readonly url: string;
  readonly tokens: ShopperTokens;
  /** Signed-in shoppers, taken in turn; their tokens are minted already. */
  readonly shoppers: readonly string[];
  readonly itemIds: readonly string[];
  readonly loops: number;
  readonly seconds: number;
  readonly eventsPerPost: number;
  readonly seed: number;
}

/** What one run of the loops saw. */
export interface LoopsRun {
  readonly seconds: number;
  readonly posts: number;
  readonly events: number;
  readonly lists: number;
  /** Response times in ms, in the order answered. */
  readonly postMs: number[];
  readonly listMs: number[];
  /** Answers by status (0: no answer), both kinds together. */
  readonly status: Record<string, number>;
  /** The lists' `x-cache` values (`none` when absent). */
  readonly cache: Record<string, number>;
  readonly degraded: number;
  readonly rejectedEvents: number;
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly cache: string | undefined;
}

function send(
  agent: Agent,
  url: URL,
  options: { method: string; headers: Record<string, string>; body?: string },
): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(url, { agent, method: options.method, headers: options.headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const cache = res.headers['x-cache'];
        resolve({ status: res.statusCode ?? 0, body, cache: typeof cache === 'string' ? cache : undefined });
      });
      res.on('error', () => resolve({ status: 0, body: '', cache: undefined }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '', cache: undefined }));
    req.end(options.body);
  });
}

export async function runLoops(options: LoopsOptions): Promise<LoopsRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.loops * 2 });
  const random = seededRandom(options.seed);
  const eventsUrl = new URL('/v1/events', options.url);
  const run: { -readonly [K in keyof LoopsRun]: LoopsRun[K] } = {
    seconds: 0,
    posts: 0,
    events: 0,
    lists: 0,
    postMs: [],
    listMs: [],
    status: {},
    cache: {},
    degraded: 0,
    rejectedEvents: 0,
  };
  const tally = (status: number) => (run.status[status] = (run.status[status] ?? 0) + 1);
  let nextShopper = 0;
  let nextEvent = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const userId = options.shoppers[nextShopper++ % options.shoppers.length] as string;
      const headers = options.tokens.headers(userId);
      const now = Date.now();
      const events = Array.from({ length: options.eventsPerPost }, (_, i) => ({
        eventId: `sf-${process.pid}-${++nextEvent}`,
        type: 'view',
        userId,
        itemId: options.itemIds[Math.floor(options.itemIds.length * random() ** 2)],
        timestamp: now - options.eventsPerPost + i,
      }));
      const postStart = performance.now();
      const posted = await send(agent, eventsUrl, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      });
      run.postMs.push(performance.now() - postStart);
      run.posts++;
      tally(posted.status);
      if (posted.status === 200) {
        const { accepted, rejected } = JSON.parse(posted.body) as { accepted: number; rejected: unknown[] };
        run.events += accepted;
        run.rejectedEvents += rejected.length;
      }
      const listStart = performance.now();
      const list = await send(
        agent,
        new URL(`${api.routes.userRecommendations.replace('{userId}', userId)}?count=10`, options.url),
        {
          method: 'GET',
          headers,
        },
      );
      run.listMs.push(performance.now() - listStart);
      run.lists++;
      tally(list.status);
      const cache = list.cache ?? 'none';
      run.cache[cache] = (run.cache[cache] ?? 0) + 1;
      if (list.body.includes('"degraded":true')) run.degraded++;
    }
  };
  await Promise.all(Array.from({ length: options.loops }, loop));
  agent.destroy();
  return { ...run, seconds: (performance.now() - started) / 1000 };
}
