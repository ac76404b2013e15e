/**
 * `npx tsx bench/dynamoStandInCpu.ts --endpoint http://127.0.0.1:8000 --pid <server pid>`: the CPU
 * that a DynamoDB-protocol stand-in spends per request, and the AWS SDK client's own CPU per
 * request, for the storefront suite's mix of operations (6 item-day `UpdateItem`s with `ADD` and a
 * condition, 3 consistent profile `GetItem`s and 1 profile `PutItem` in every 10). It exists to
 * judge a candidate stand-in against dynalite before wiring it into the local stack: start the
 * candidate, give its process id, compare. Results: `bench/results/storefront-profile.md`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ResourceInUseException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';

const TABLE = 'standin-cpu';
const CLOCK_TICKS_PER_MS = 0.1; // USER_HZ is 100 on Linux

/** User plus system CPU of a process so far, in ms, from `/proc/<pid>/stat`. */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_MS;
}

function clientCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      endpoint: { type: 'string' },
      pid: { type: 'string' },
      requests: { type: 'string', default: '20000' },
      concurrency: { type: 'string', default: '16' },
    },
  });
  const pid = Number(values.pid);
  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  if (values.endpoint === undefined || !Number.isInteger(pid) || pid <= 0) {
    console.error(
      'usage: npx tsx bench/dynamoStandInCpu.ts --endpoint URL --pid SERVER_PID [--requests 20000] [--concurrency 16]',
    );
    process.exitCode = 2;
    return;
  }
  const client = new DynamoDBClient({
    endpoint: values.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }

  // High-water marks grow across runs, so a second run against the same server passes the condition.
  const base = Date.now() * 1000;
  let issued = 0;
  const operation = (n: number) => {
    const slot = n % 10;
    if (slot < 6) {
      return client.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: { pk: { S: `ITEM#${n % 3000}` }, sk: { S: 'DAY#2026-12-08' } },
          UpdateExpression: 'ADD score :one SET hwm = :hwm',
          ConditionExpression: 'attribute_not_exists(hwm) OR hwm < :hwm',
          ExpressionAttributeValues: { ':one': { N: '1' }, ':hwm': { N: String(base + n) } },
        }),
      );
    }
    const key = { pk: { S: `USER#${n % 500}` }, sk: { S: 'PROFILE' } };
    if (slot < 9) return client.send(new GetItemCommand({ TableName: TABLE, ConsistentRead: true, Key: key }));
    const recentItems = Array.from({ length: 20 }, (_, k) => ({ S: `item-${k}` }));
    return client.send(new PutItemCommand({ TableName: TABLE, Item: { ...key, recentItems: { L: recentItems } } }));
  };
  const run = async (total: number) => {
    const end = issued + total;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (issued < end) await operation(issued++);
      }),
    );
  };

  await run(Math.min(3000, requests)); // warm-up: JIT on both sides, connections open
  const server0 = processCpuMs(pid);
  const client0 = clientCpuMs();
  const started = performance.now();
  await run(requests);
  const wallMs = performance.now() - started;
  console.log(
    JSON.stringify({
      endpoint: values.endpoint,
      requests,
      concurrency,
      serverCpuMsPerRequest: Number(((processCpuMs(pid) - server0) / requests).toFixed(3)),
      clientCpuMsPerRequest: Number(((clientCpuMs() - client0) / requests).toFixed(3)),
      requestsPerSecond: Math.round((requests / wallMs) * 1000),
    }),
  );
  client.destroy();
}

await main();
