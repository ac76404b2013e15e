import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  type AttributeDefinition,
} from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import dynalite from 'dynalite';
import kinesalite from 'kinesalite';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventStream, featureTable, type KeyAttribute, type TableSpec } from '#shared/config/index.ts';

/** The standard SDK variables the stand-ins are published through. */
export const endpointVariables = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  kinesis: 'AWS_ENDPOINT_URL_KINESIS',
} as const;

export type StandInService = 'dynamodb' | 'kinesis';

export interface StandIns {
  readonly dynamodbEndpoint: string;
  readonly kinesisEndpoint: string;
  /** Which endpoints this process started (the rest were the user's own, e.g. LocalStack). */
  readonly started: readonly StandInService[];
  /**
   * Takes a stand-in off the network for `downtimeMs` (connections dropped, new ones refused)
   * and brings it back on the same port with its data: what clients see of a restart.
   */
  restart(service: StandInService, downtimeMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function listen(server: Server, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    // Keep-alive connections of the SDK clients would hold the close open.
    server.closeAllConnections();
  });

/**
 * Stops listening without closing the stand-in's database: closing LevelDB under load can crash
 * the process, and an outage is what a client sees of a restart anyway.
 */
const goOffline = (server: Server) =>
  new Promise<void>((resolve) => {
    httpClose.call(server, () => resolve());
    server.closeAllConnections();
  });
const httpClose = createServer().close;

/**
 * Starts in-process DynamoDB and Kinesis stand-ins on loopback, unless the user already points
 * the SDK elsewhere through the standard endpoint variables; then theirs are used.
 */
export async function startStandIns(env: NodeJS.ProcessEnv = process.env): Promise<StandIns> {
  const servers = new Map<StandInService, Server>();
  let dynamodbEndpoint = env[endpointVariables.dynamodb];
  let kinesisEndpoint = env[endpointVariables.kinesis];
  if (!dynamodbEndpoint) {
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    servers.set('dynamodb', server);
    dynamodbEndpoint = await listen(server);
  }
  if (!kinesisEndpoint) {
    const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50 });
    servers.set('kinesis', server);
    kinesisEndpoint = await listen(server);
  }
  return {
    dynamodbEndpoint,
    kinesisEndpoint,
    started: [...servers.keys()],
    restart: async (service, downtimeMs = 0) => {
      const server = servers.get(service);
      if (!server) throw new Error(`${service} is not a stand-in this process started`);
      const { port } = server.address() as AddressInfo;
      await goOffline(server);
      await sleep(downtimeMs);
      // The stand-ins wrap `listen`; the plain one reopens the port without recreating the store.
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        httpListen.call(server, port, '127.0.0.1', () => resolve());
      });
    },
    stop: async () => {
      await Promise.all([...servers.values()].map(close));
    },
  };
}
const httpListen: (this: Server, port: number, host: string, callback: () => void) => Server = createServer().listen;

const attribute = (key: KeyAttribute): AttributeDefinition => ({ AttributeName: key.name, AttributeType: key.type });

/** Creates a table exactly as the CDK app does, from the same spec of the config. Idempotent. */
export async function ensureTable(client: DynamoDBClient, spec: TableSpec, tableName: string): Promise<void> {
  const keys = [spec.partitionKey, spec.sortKey];
  const indexKeys = spec.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]);
  const definitions = new Map([...keys, ...indexKeys].map((key) => [key.name, attribute(key)]));
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...definitions.values()],
        KeySchema: [
          { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: spec.sortKey.name, KeyType: 'RANGE' },
        ],
        ...(spec.globalSecondaryIndexes.length === 0
          ? {}
          : {
              GlobalSecondaryIndexes: spec.globalSecondaryIndexes.map((index) => ({
                IndexName: index.indexName,
                KeySchema: [
                  { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
                  { AttributeName: index.sortKey.name, KeyType: 'RANGE' as const },
                ],
                Projection: { ProjectionType: 'ALL' as const },
              })),
            }),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  // TTL is set only in CDK: the local stand-in has no UpdateTimeToLive.
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await sleep(50);
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

/** The feature table, as the CDK app creates it. Idempotent. */
export const ensureFeatureTable = (client: DynamoDBClient, tableName: string): Promise<void> =>
  ensureTable(client, featureTable, tableName);

/** Creates the event stream with the configured local shard count. Idempotent. */
export async function ensureEventStream(client: KinesisClient, streamName: string): Promise<void> {
  try {
    await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: eventStream.localShardCount }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const { StreamDescriptionSummary } = await client.send(
      new DescribeStreamSummaryCommand({ StreamName: streamName }),
    );
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await sleep(50);
  }
  throw new Error(`stream ${streamName} did not become ACTIVE`);
}

/** Clients for the local stack's own setup and polling, on the same endpoints as the handlers. */
export function localClients(standIns: Pick<StandIns, 'dynamodbEndpoint' | 'kinesisEndpoint'>) {
  return {
    dynamoDb: new DynamoDBClient({ endpoint: standIns.dynamodbEndpoint }),
    kinesis: new KinesisClient({ endpoint: standIns.kinesisEndpoint, requestHandler: new NodeHttpHandler() }),
  };
}
