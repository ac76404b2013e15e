import {
  KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { handler as IngestHandler } from '#functions/ingest/handler.ts';
import { apiLimits } from '#shared/config/index.ts';
import { apiEvent as buildEvent } from '../../support/apiGateway.ts';
import { captureStdout, metricValues } from './emf.ts';
import { TEST_AUTH_ENV } from '../../support/auth.ts';

const NOW = Date.parse('2025-03-10T12:00:00.000Z');

const kinesisMock = mockClient(KinesisClient);
let handler: typeof IngestHandler;
let logError: MockInstance;
let logInfo: MockInstance;
/** stdout, where the handler's metrics go; captured in every test so none reaches the console. */
let stdout: ReturnType<typeof captureStdout>;

const apiEvent = (body: string | null, isBase64Encoded = false): APIGatewayProxyEvent =>
  buildEvent({ headers: { 'content-type': 'application/json' }, body, isBase64Encoded }, 'events');

const view = (eventId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  eventId,
  type: 'view',
  userId: 'user-1',
  itemId: 'sku-1',
  timestamp: NOW - 1_000,
  ...overrides,
});

const body = (events: unknown[]): string => JSON.stringify({ events });
const json = (response: APIGatewayProxyResult): unknown => JSON.parse(response.body);

/** Answers PutRecords with a success for every record sent. */
const allSucceed = (input: { Records?: PutRecordsRequestEntry[] }) =>
  Promise.resolve({
    FailedRecordCount: 0,
    Records: (input.Records ?? []).map((_, i) => ({ SequenceNumber: String(i + 1), ShardId: 'shardId-000000000000' })),
    $metadata: {},
  });

const sentEvents = (): unknown[] =>
  kinesisMock
    .commandCalls(PutRecordsCommand)
    .flatMap((call) => call.args[0].input.Records ?? [])
    .map((r) => JSON.parse(Buffer.from(r.Data ?? new Uint8Array()).toString('utf8')) as unknown);

describe('Handler: ingest', () => {
  beforeAll(async () => {
    vi.stubEnv('EVENT_STREAM_NAME', 'test-stream');
    for (const [name, value] of Object.entries(TEST_AUTH_ENV)) vi.stubEnv(name, value);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    ({ handler } = await import('#functions/ingest/handler.ts'));
    const { logger } = await import('#functions/lib/observability.ts');
    logError = vi.spyOn(logger, 'error').mockImplementation(() => {});
    logInfo = vi.spyOn(logger, 'info').mockImplementation(() => {});
  });

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    kinesisMock.reset();
    kinesisMock.on(PutRecordsCommand).callsFake(allSucceed);
    logError.mockClear();
    logInfo.mockClear();
    stdout = captureStdout();
  });

  afterEach(() => {
    stdout.restore();
    vi.useRealTimers();
  });

  afterAll(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    kinesisMock.restore();
  });

  describe('accepted events', () => {
    it('returns 200 with the accepted count and puts the events on the configured stream', async () => {
      // Prepare
      const event = apiEvent(body([view('e1'), view('e2', { anonymousId: 'anon-2', userId: undefined })]));

      // Act
      const response = await handler(event);

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.headers?.['content-type']).toMatch(/^application\/json/);
      expect(json(response)).toEqual({ accepted: 2, rejected: [] });
      const calls = kinesisMock.commandCalls(PutRecordsCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0]?.args[0].input.StreamName).toBe('test-stream');
      expect(calls[0]?.args[0].input.Records?.map((r) => r.PartitionKey)).toEqual(['u:user-1', 'a:anon-2']);
      expect(sentEvents()).toEqual([
        { ...view('e1'), receivedAt: NOW },
        {
          eventId: 'e2',
          type: 'view',
          anonymousId: 'anon-2',
          itemId: 'sku-1',
          timestamp: NOW - 1_000,
          receivedAt: NOW,
        },
      ]);
    });

    it('returns 200 listing the rejected events of a mixed batch and logs the rejection', async () => {
      // Prepare
      const event = apiEvent(body([view('e1'), view('e2', { itemID: 'sku-2' })]));

      // Act
      const response = await handler(event);

      // Assess
      expect(response.statusCode).toBe(200);
      expect(json(response)).toEqual({
        accepted: 1,
        rejected: [{ index: 1, eventId: 'e2', reason: 'unknown_field', field: 'itemID', message: expect.any(String) }],
      });
      expect(sentEvents()).toHaveLength(1);
      expect(logInfo).toHaveBeenCalledWith('events rejected', { accepted: 1, rejected: 1 });
    });

    it('returns 200 for a base64-encoded body, decoded before parsing', async () => {
      // Prepare
      const encoded = Buffer.from(body([view('e1', { properties: { note: 'café' } })]), 'utf8').toString('base64');

      // Act
      const response = await handler(apiEvent(encoded, true));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(json(response)).toEqual({ accepted: 1, rejected: [] });
      expect(sentEvents()).toEqual([{ ...view('e1', { properties: { note: 'café' } }), receivedAt: NOW }]);
    });

    it('returns events the stream keeps throttling as stream_write_failed with status 200', async () => {
      // Prepare: the second record is always throttled.
      kinesisMock.on(PutRecordsCommand).callsFake(async (input: { Records?: PutRecordsRequestEntry[] }) => ({
        Records: (input.Records ?? []).map((r, i) =>
          r.PartitionKey === 'u:slow'
            ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' }
            : { SequenceNumber: String(i + 1), ShardId: 'shardId-000000000000' },
        ),
        $metadata: {},
      }));
      const event = apiEvent(body([view('e1'), view('e2', { userId: 'slow' })]));

      // Act
      const response = await handler(event);

      // Assess
      expect(response.statusCode).toBe(200);
      expect(json(response)).toEqual({
        accepted: 1,
        rejected: [
          {
            index: 1,
            eventId: 'e2',
            reason: 'stream_write_failed',
            message: expect.stringContaining('ProvisionedThroughputExceededException'),
          },
        ],
      });
    });
  });

  describe('rejected requests', () => {
    it('returns 400 invalid_json for a body that is not JSON, without calling Kinesis', async () => {
      // Act
      const response = await handler(apiEvent('{"events": ['));

      // Assess
      expect(response.statusCode).toBe(400);
      expect(json(response)).toEqual({ reason: 'invalid_json', message: expect.any(String) });
      expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(0);
      expect(logError).not.toHaveBeenCalled();
    });

    it('returns 400 empty_body for a request without a body', async () => {
      // Act
      const response = await handler(apiEvent(null));

      // Assess
      expect(response.statusCode).toBe(400);
      expect(json(response)).toMatchObject({ reason: 'empty_body' });
    });

    it('returns 400 invalid_json for base64 text that is not flagged as base64', async () => {
      // Prepare
      const encoded = Buffer.from(body([view('e1')]), 'utf8').toString('base64');

      // Act
      const response = await handler(apiEvent(encoded, false));

      // Assess
      expect(response.statusCode).toBe(400);
      expect(json(response)).toMatchObject({ reason: 'invalid_json' });
    });

    it('returns 413 too_many_events above the per-request limit', async () => {
      // Prepare
      const events = Array.from({ length: apiLimits.maxEventsPerRequest + 1 }, (_, i) => view(`e${i}`));

      // Act
      const response = await handler(apiEvent(body(events)));

      // Assess
      expect(response.statusCode).toBe(413);
      expect(json(response)).toMatchObject({ reason: 'too_many_events' });
      expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(0);
    });

    it('returns 200 with the event rejected as timestamp_too_old against the server clock', async () => {
      // Prepare
      const old = NOW - apiLimits.maxEventAgeMs - 1;

      // Act
      const response = await handler(apiEvent(body([view('e1'), view('e2', { timestamp: old })])));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(json(response)).toMatchObject({ accepted: 1, rejected: [{ index: 1, reason: 'timestamp_too_old' }] });
    });
  });

  describe('stream outage', () => {
    it('returns 503 stream_unavailable after every PutRecords attempt throws, and logs it', async () => {
      // Prepare
      kinesisMock
        .on(PutRecordsCommand)
        .rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));

      // Act
      const response = await handler(apiEvent(body([view('e1')])));

      // Assess
      expect(response.statusCode).toBe(503);
      expect(json(response)).toEqual({
        reason: 'stream_unavailable',
        message: expect.stringContaining('ProvisionedThroughputExceededException'),
      });
      expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(4);
      expect(logError).toHaveBeenCalledWith('request failed', expect.anything());
    });
  });
  describe('metrics', () => {
    it('writes EventsAccepted 1 and EventsRejected 1 for a body with one good and one bad event', async () => {
      // Prepare
      const event = apiEvent(body([view('e1'), view('e2', { type: 'teleport' })]));

      // Act
      await handler(event);

      // Assess
      const lines = stdout.emf();
      expect(lines).toHaveLength(1);
      expect(metricValues(lines[0])).toEqual({ EventsAccepted: 1, EventsRejected: 1, Latency: expect.any(Number) });
      expect(lines[0]).toMatchObject({ service: 'reco', route: 'events' });
      expect(lines[0]?._aws.CloudWatchMetrics).toEqual([
        {
          Namespace: 'RecoStack',
          Dimensions: [['service', 'route'], ['service']],
          Metrics: [
            { Name: 'EventsAccepted', Unit: 'Count' },
            { Name: 'EventsRejected', Unit: 'Count' },
            { Name: 'Latency', Unit: 'Milliseconds' },
          ],
        },
      ]);
    });

    it('writes one line per request, only the latency for a request refused as a whole', async () => {
      // Act
      await handler(apiEvent(body([view('e1'), view('e2'), view('e3')])));
      await handler(apiEvent('not json'));

      // Assess
      const latency = expect.any(Number) as number;
      expect(stdout.emf().map(metricValues)).toEqual([
        { EventsAccepted: 3, EventsRejected: 0, Latency: latency },
        { Latency: latency },
      ]);
    });
  });
});
