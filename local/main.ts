/**
 * `npm start`: the whole stack on this machine with one command.
 *
 *   npm start                      serve on http://localhost:3000 with simulated shoppers, until Ctrl-C
 *   npm start -- --once            run a bounded scenario, print a summary, exit 0 (or 1 if it failed)
 *   npm start -- --rate 200        simulated events per second (0: no simulated traffic)
 *   npm start -- --port 0          any free port
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { api } from '#shared/config/index.ts';
import {
  createCatalogue,
  createShoppers,
  createTrafficSimulator,
  startTraffic,
  type TrafficDriver,
} from './simulator/index.ts';
import { startBrowsing, type Browsing } from './simulator/browsing.ts';
import { localModelDir, trainBootstrapModel, uploadCatalogue } from './localModel.ts';
import { startLocalStack, type LocalStack } from './stack.ts';
import type { MintedUserToken } from '#shared/auth/userToken.ts';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function integerOption(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
}

function parseCli(argv: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        once: { type: 'boolean', default: false },
        port: { type: 'string' },
        rate: { type: 'string' },
        events: { type: 'string' },
        seed: { type: 'string' },
        'no-model': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    once: values.once ?? false,
    help: values.help ?? false,
    port: integerOption('port', values.port ?? process.env.PORT, 3000, 0),
    rate: integerOption('rate', values.rate, values.once ? 2000 : 50, 0),
    events: integerOption('events', values.events, 3000, 1),
    seed: integerOption('seed', values.seed, 42, 0),
    model: !values['no-model'],
  };
}

function statusLine(stack: LocalStack, traffic: TrafficDriver | undefined, browsing?: Browsing): string {
  const { processed, lagMs, retriedRecords, discarded } = stack.mapping.stats;
  const sent = traffic?.stats();
  return [
    `events accepted ${stack.stats.eventsAccepted}`,
    `rejected ${stack.stats.eventsRejected}`,
    `processed ${processed}`,
    `backlog ${Math.max(0, stack.stats.eventsAccepted - processed - discarded)}`,
    `stream lag ${(lagMs / 1000).toFixed(1)} s`,
    `retried ${retriedRecords}`,
    `recommendations served ${stack.stats.recommendationsServed}`,
    ...(sent && sent.httpErrors + sent.networkErrors > 0
      ? [`traffic errors ${sent.httpErrors + sent.networkErrors}`]
      : []),
    ...(browsing && browsing.stats.failures > 0
      ? [`list reads failed ${browsing.stats.failures} (${browsing.stats.lastError ?? ''})`]
      : []),
  ].join(' | ');
}

/** A shell word, single-quoted. */
const quoted = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * What to call the stack with, and copy-paste `curl` lines for both callers. Server lines sign
 * with curl's `--aws-sigv4`, which (in curl 7.88) signs the query in the order given: their
 * parameters are printed sorted, as SigV4's canonical query sorts them.
 */
function startBanner(stack: LocalStack, u1: MintedUserToken): string[] {
  const { accessKeyId, secretAccessKey } = stack.serverCredentials;
  const { region, service } = stack.signingScope;
  const origins = stack.corsOrigins[0] === '*' ? 'any origin' : stack.corsOrigins.join(', ');
  const key = `-H ${quoted(`${api.apiKeyHeader}: ${stack.apiKey}`)}`;
  const token = `-H ${quoted(`${api.userTokenHeader}: ${u1.token}`)}`;
  const sigv4 = `--aws-sigv4 ${quoted(`aws:amz:${region}:${service}`)} --user ${quoted(`${accessKeyId}:${secretAccessKey}`)}`;
  const json = `-H 'content-type: application/json'`;
  const at = (path: string) => quoted(`${stack.url}${path}`);
  const anonymousId = '3f0c9a52-6b1e-4d7a-9c1f-2e8b5a7d4c60';
  const now = Date.now();
  const u1View = JSON.stringify({
    events: [{ eventId: `curl-${now}`, type: 'view', userId: 'u1', itemId: 'i1', timestamp: now }],
  });
  return [
    `both APIs on ${stack.url}: a SigV4-signed request is a server call, any other a storefront call`,
    `storefront API key: ${stack.apiKey}   (header ${api.apiKeyHeader}; RECO_API_KEY)`,
    `server API: SigV4 for ${region}/${service} with access key ${accessKeyId}, secret ${secretAccessKey}` +
      `   (RECO_SERVER_ACCESS_KEY_ID, RECO_SERVER_SECRET_ACCESS_KEY)`,
    `user token for u1 (header ${api.userTokenHeader}, until ${new Date(u1.expiresAt * 1000).toISOString()}): ${u1.token}`,
    `CORS: browser pages on ${origins} may call the storefront API   (RECO_CORS_ORIGINS)`,
    'try, as a shopper (storefront API):',
    `  curl ${key} ${at(`/v1/users/${anonymousId}/recommendations?count=5`)}`,
    `  curl ${key} ${token} ${at('/v1/users/u1/recommendations?count=5')}`,
    `  curl ${key} ${token} ${json} -d ${quoted(u1View)} ${at('/v1/events')}`,
    "try, as the shop's backend (server API):",
    `  curl ${sigv4} ${at('/v1/ready')}`,
    `  curl ${sigv4} ${at('/v1/users/u1/recommendations?count=5&exclude=purchased')}`,
    `  curl ${sigv4} ${json} -d '{"userId":"u1"}' ${at('/v1/admin/user-tokens')}`,
  ];
}

/**
 * Waits until the processor has every event the API accepted. It gives up only after `stallMs`
 * without progress, so a slower machine gets the time its work takes.
 */
async function waitUntilProcessed(stack: LocalStack, stallMs: number): Promise<boolean> {
  let lastDone = -1;
  let stalledSince = Date.now();
  for (;;) {
    const { processed, discarded } = stack.mapping.stats;
    const done = processed + discarded;
    if (done >= stack.stats.eventsAccepted && stack.mapping.idle) return true;
    if (done > lastDone) {
      lastDone = done;
      stalledSince = Date.now();
    } else if (Date.now() - stalledSince > stallMs) {
      return false;
    }
    await sleep(100);
  }
}

/** Fails at once on a busy port, before the model's seconds of training. */
async function checkPortFree(port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new UsageError(`port ${port} is in use (EADDRINUSE); pass --port N or set PORT`)
          : error,
      ),
    );
    // Where the local gateway listens (local/apiGateway.ts).
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

async function main(): Promise<number> {
  const options = parseCli(process.argv.slice(2));
  if (options.help) {
    console.log('usage: npm start -- [--once] [--port N] [--rate EVENTS_PER_S] [--events N] [--seed N] [--no-model]');
    return 0;
  }
  const started = Date.now();
  await checkPortFree(options.port);
  const seed = options.seed;
  const catalogue = createCatalogue({ seed });
  const shoppers = createShoppers({ seed, catalogue });
  // The model learns from a week of simulated history of the same shoppers and catalogue.
  let historyClock = Date.now() - 7 * 24 * 60 * 60 * 1000;
  const history = createTrafficSimulator({ seed: seed + 1, catalogue, shoppers, now: () => (historyClock += 15_000) });
  if (options.model) console.log('training the local model on simulated history…');
  const stack = await startLocalStack({
    port: options.port,
    ...(options.model
      ? {
          model: () =>
            trainBootstrapModel({ dir: localModelDir(resolve('.local-data')), catalogue, history, events: 30_000 }),
        }
      : {}),
  }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${options.port} is in use (EADDRINUSE); pass --port N or set PORT`, { cause: error });
    }
    throw error;
  });
  await uploadCatalogue(stack, catalogue);
  const simulator = createTrafficSimulator({ seed, catalogue, shoppers, now: () => Date.now() });
  const traffic =
    options.rate > 0
      ? startTraffic({
          baseUrl: stack.url,
          apiKey: stack.apiKey,
          // Signed-in shoppers post with their own tokens, as the shop's pages would get them.
          userToken: async (userId) => (await stack.mintUserToken(userId)).token,
          eventsPerSecond: options.rate,
          batchSize: Math.min(50, Math.max(1, Math.round(options.rate / 10))),
          simulator,
          ...(options.once ? { maxEvents: options.events } : {}),
        })
      : undefined;

  const which =
    stack.standIns.started.length > 0 ? `stand-ins: ${stack.standIns.started.join(', ')}` : 'your endpoints';
  const model = stack.model
    ? `model ${stack.model.modelVersion} trained on ${stack.model.trainedOn} interactions, served by pid ${stack.endpoint.pid}`
    : 'popularity only';
  console.log(`reco local stack on ${stack.url} (${which}; ${catalogue.items.length} items; ${model})`);
  console.log(`demo shop: ${stack.url}/   (sign in as a simulated shopper, u1, u2, …)`);
  console.log(`dashboard: ${stack.url}/dashboard/   (live charts, the model registry and attribution)`);
  const u1 = await stack.mintUserToken('u1');
  for (const line of startBanner(stack, u1)) console.log(line);

  if (options.once) {
    // A line every 5 s while the scenario runs, so a slow machine is not silent.
    const progress = setInterval(() => console.log(statusLine(stack, traffic)), 5_000);
    await traffic?.done;
    const drained = await waitUntilProcessed(stack, 15_000);
    clearInterval(progress);
    const response = await fetch(`${stack.url}/v1/users/u1/recommendations?count=5`, {
      headers: { [api.apiKeyHeader]: stack.apiKey, [api.userTokenHeader]: u1.token },
    });
    const body = (await response.json()) as { items?: unknown[] };
    const summary = {
      ok: drained && response.status === 200 && (body.items?.length ?? 0) > 0,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      traffic: traffic?.stats(),
      stack: stack.stats,
      stream: stack.mapping.stats,
      drained,
      recommendationsForU1: body,
    };
    console.log(statusLine(stack, traffic));
    console.log(JSON.stringify(summary, null, 2));
    await stack.stop();
    return summary.ok ? 0 : 1;
  }

  // Shoppers also read their lists and act on them, one list per 25 events, so the dashboard has hits and attribution.
  const browsing =
    options.rate > 0
      ? startBrowsing({
          baseUrl: stack.url,
          apiKey: stack.apiKey,
          userToken: async (userId) => (await stack.mintUserToken(userId)).token,
          shoppers,
          catalogue,
          listsPerSecond: options.rate / 25,
          seed,
        })
      : undefined;
  const interactive = process.stdout.isTTY;
  const ticker = setInterval(
    () => {
      const line = statusLine(stack, traffic, browsing);
      if (interactive) process.stdout.write(`\r\x1b[2K${line}`);
      else console.log(line);
    },
    interactive ? 1_000 : 5_000,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(ticker);
  console.log('\nshutting down…');
  await traffic?.stop();
  await browsing?.stop();
  // Let what the API already accepted reach the features before the stand-ins go away.
  await waitUntilProcessed(stack, 5_000);
  await stack.stop();
  console.log(statusLine(stack, traffic));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `error: ${error.message}` : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
