import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  type AttributeDefinition,
} from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventStream, featureTable, type KeyAttribute, type TableSpec } from '#shared/config/index.ts';
import { forkStandIn } from './standInChild.ts';
import { startStandInServer, type OperationCount, type StandInServer, type StandInService } from './standInServer.ts';

export type { StandInService } from './standInServer.ts';

/** The standard SDK variables the stand-ins are published through. */
export const endpointVariables = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  kinesis: 'AWS_ENDPOINT_URL_KINESIS',
} as const;

export interface StandIns {
  readonly dynamodbEndpoint: string;
  readonly kinesisEndpoint: string;
  /** Which endpoints this process started (the rest were the user's own, e.g. LocalStack). */
  readonly started: readonly StandInService[];
  /** Each started stand-in's process id (this process's own when they run in it). */
  readonly pids: Readonly<Partial<Record<StandInService, number>>>;
  /**
   * Takes a stand-in off the network for `downtimeMs` (connections dropped, new ones refused)
   * and brings it back on the same port with its data: what clients see of a restart.
   */
  restart(service: StandInService, downtimeMs?: number): Promise<void>;
  /** Requests each started stand-in answered, by operation (the `X-Amz-Target` action). */
  operations(): Promise<OperationCounts>;
  stop(): Promise<void>;
}

/** Requests by stand-in and operation, e.g. `{ dynamodb: { GetItem: 12 } }`. */
export type OperationCounts = Partial<Record<StandInService, OperationCount>>;

export interface StandInsOptions {
  /**
   * `'process'`: each stand-in in a child process of its own, as the services are apart from
   * the functions in AWS, so they do not share the caller's event loop and core.
   * `'in-process'`: on the caller's event loop.
   * @default 'in-process'
   */
  readonly where?: 'process' | 'in-process';
}

/**
 * Starts the DynamoDB and Kinesis stand-ins (dynalite, kinesalite) on loopback, unless the user
 * already points the SDK elsewhere through the standard endpoint variables; then theirs are used.
 */
export async function startStandIns(
  env: NodeJS.ProcessEnv = process.env,
  options: StandInsOptions = {},
): Promise<StandIns> {
  const start = options.where === 'process' ? forkStandIn : startStandInServer;
  const wanted = (['dynamodb', 'kinesis'] as const).filter((service) => !env[endpointVariables[service]]);
  const settled = await Promise.allSettled(wanted.map((service) => start(service)));
  const servers = new Map<StandInService, StandInServer>();
  for (const result of settled) if (result.status === 'fulfilled') servers.set(result.value.service, result.value);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all([...servers.values()].map((server) => server.stop()));
    throw failed.reason;
  }
  const serverOf = (service: StandInService) => {
    const server = servers.get(service);
    if (!server) throw new Error(`${service} is not a stand-in this process started`);
    return server;
  };
  return {
    dynamodbEndpoint: servers.get('dynamodb')?.endpoint ?? env[endpointVariables.dynamodb] ?? '',
    kinesisEndpoint: servers.get('kinesis')?.endpoint ?? env[endpointVariables.kinesis] ?? '',
    started: [...servers.keys()],
    pids: Object.fromEntries([...servers].map(([service, server]) => [service, server.pid])),
    restart: async (service, downtimeMs = 0) => serverOf(service).restart(downtimeMs),
    operations: async () =>
      Object.fromEntries(
        await Promise.all([...servers].map(async ([service, server]) => [service, await server.operations()] as const)),
      ),
    stop: async () => {
      await Promise.all([...servers.values()].map((server) => server.stop()));
    },
  };
}

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

/** HTTP/1.1 with kept-alive connections: kinesalite does not speak the SDK's default HTTP/2 handler. */
const keepAlive = () => new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true }) });

/** Clients for the local stack's own setup and polling, on the same endpoints as the handlers. */
export function localClients(standIns: Pick<StandIns, 'dynamodbEndpoint' | 'kinesisEndpoint'>) {
  return {
    dynamoDb: new DynamoDBClient({ endpoint: standIns.dynamodbEndpoint, requestHandler: keepAlive() }),
    kinesis: new KinesisClient({ endpoint: standIns.kinesisEndpoint, requestHandler: keepAlive() }),
  };
}
