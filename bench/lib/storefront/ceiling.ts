/**
 * A stand-in's own ceiling for the storefront's mix of operations, in the same run: the DynamoDB
 * requests the handlers sent during the load (captured as sent, signed, see `stackProcess.ts`) are
 * replayed to the stand-in by `CEILING_CONNECTIONS` loops of raw `node:http` requests, in the
 * proportions the load had, for `CEILING_SECONDS`. Raw requests with pre-built bodies are the
 * cheapest client there is, so the stand-in, not the client, is what runs out of CPU.
 */
import { Agent, request } from 'node:http';
import type { OperationCounts } from '#local/standins.ts';
import { cpuMeter } from '../serving/load.ts';
import type { CapturedRequest } from './stackProcess.ts';
import type { StorefrontStack } from './stack.ts';

const CEILING_SECONDS = 5;
const CEILING_CONNECTIONS = 32;

export interface StandInCeiling {
  readonly service: string;
  /** Events per second the stand-in could carry at its ceiling, with the load's operations per event. */
  readonly eventsPerSecond: number;
  readonly metrics: Record<string, number>;
}

/** Requests per stand-in and operation between two readings. */
export function operationsBetween(
  before: OperationCounts,
  after: OperationCounts,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [service, counts] of Object.entries(after)) {
    const earlier = (before as Record<string, Record<string, number> | undefined>)[service] ?? {};
    out[service] = Object.fromEntries(Object.entries(counts ?? {}).map(([op, n]) => [op, n - (earlier[op] ?? 0)]));
  }
  return out;
}

const EXPRESSIONS = ['UpdateExpression', 'ProjectionExpression', 'KeyConditionExpression', 'FilterExpression'];

/**
 * The request without its condition, so that a replay does the write again instead of failing
 * the check it passed the first time (a high-water mark, a version). Names and values only the
 * condition used go too, as DynamoDB refuses unused ones.
 */
export function withoutCondition(body: string): string {
  const request = JSON.parse(body) as Record<string, unknown>;
  if (typeof request.ConditionExpression !== 'string') return body;
  delete request.ConditionExpression;
  const used = EXPRESSIONS.map((name) => request[name])
    .filter((text): text is string => typeof text === 'string')
    .join(' ');
  for (const field of ['ExpressionAttributeNames', 'ExpressionAttributeValues']) {
    const entries = request[field] as Record<string, unknown> | undefined;
    if (!entries) continue;
    for (const key of Object.keys(entries)) {
      if (!new RegExp(`${key.replace(/[$#]/g, '\\$&')}(?![\\w])`).test(used)) delete entries[key];
    }
    if (Object.keys(entries).length === 0) delete request[field];
  }
  return JSON.stringify(request);
}

/**
 * `count` requests drawn from `captured` in the proportions of `operations` (operations with no
 * captured request are left out and reported).
 */
export function replayMix(
  captured: readonly CapturedRequest[],
  operations: Readonly<Record<string, number>>,
  count: number,
): CapturedRequest[] {
  const byOperation = new Map<string, CapturedRequest[]>();
  for (const one of captured) {
    const list = byOperation.get(one.operation);
    if (list) list.push(one);
    else byOperation.set(one.operation, [one]);
  }
  const weights = Object.entries(operations).filter(([operation, n]) => n > 0 && byOperation.has(operation));
  const total = weights.reduce((sum, [, n]) => sum + n, 0);
  const mix: CapturedRequest[] = [];
  for (const [operation, n] of weights) {
    const pool = byOperation.get(operation) as CapturedRequest[];
    const share = Math.round((count * n) / total);
    const replayable = pool.map((one) => ({ ...one, body: withoutCondition(one.body) }));
    for (let i = 0; i < share; i++) mix.push(replayable[i % replayable.length] as CapturedRequest);
  }
  // Interleaved, as the load sends them.
  for (let i = mix.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [mix[i], mix[j]] = [mix[j] as CapturedRequest, mix[i] as CapturedRequest];
  }
  return mix;
}

function replay(agent: Agent, url: URL, one: CapturedRequest): Promise<number> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(one.headers)) {
      if (name !== 'host' && name !== 'content-length') headers[name] = value;
    }
    headers['content-length'] = String(Buffer.byteLength(one.body));
    const req = request(url, { agent, method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(one.body);
  });
}

/** The DynamoDB stand-in's ceiling for the load's operations, replaying what the handlers sent. */
export async function measureCeiling(
  stack: StorefrontStack,
  operations: Readonly<Record<string, Readonly<Record<string, number>>>>,
  events: number,
): Promise<StandInCeiling> {
  const captured = await stack.call<CapturedRequest[]>('capturedRequests');
  const dynamo = operations.dynamodb ?? {};
  const hot = Object.fromEntries(Object.entries(dynamo).filter(([, n]) => n > 0));
  const mix = replayMix(captured, hot, 10_000);
  if (mix.length === 0) throw new Error('no DynamoDB requests captured');
  const opsPerEvent = Object.values(hot).reduce((sum, n) => sum + n, 0) / events;
  const url = new URL(stack.ready.endpoints.dynamodb);
  const agent = new Agent({ keepAlive: true, maxSockets: CEILING_CONNECTIONS });
  const status: Record<string, number> = {};
  let done = 0;
  let next = 0;
  const cpu = cpuMeter({ dynamodb: stack.ready.pids.dynamodb });
  const started = performance.now();
  const deadline = started + CEILING_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CEILING_CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const code = await replay(agent, url, mix[next++ % mix.length] as CapturedRequest);
        status[code] = (status[code] ?? 0) + 1;
        done++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuShare = cpu();
  agent.destroy();
  const perSecond = done / seconds;
  const rejected = done - (status['200'] ?? 0);
  return {
    service: 'DynamoDB (dynalite)',
    eventsPerSecond: perSecond / opsPerEvent,
    metrics: {
      dynamodbCeilingOpsPerSecond: Math.round(perSecond),
      dynamodbCeilingNon200: rejected,
      dynamodbCeilingCpuPct: Math.round(cpuShare.processes.dynamodb ?? Number.NaN),
      ceilingClientCpuPct: Math.round(cpuShare.processes.bench ?? Number.NaN),
      dynamodbOpsPerEvent: Math.round(opsPerEvent * 1000) / 1000,
      dynamodbCeilingEventsPerSecond: Math.round(perSecond / opsPerEvent),
    },
  };
}
