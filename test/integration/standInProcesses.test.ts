import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '#local/stack.ts';
import { startStandIns } from '#local/standins.ts';

/*
 * The stack's DynamoDB and Kinesis stand-ins run in processes of their own by default, as the
 * services are apart from the functions in AWS: the stack's event loop and theirs can use both
 * cores. They answer the same SDK calls, restart on the same port, and go when the stack stops.
 */

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const dynamoOn = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

describe('Function: startLocalStack', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'reco-standins-')) });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('runs each stand-in in a process of its own', () => {
    // Assess
    const { dynamodb, kinesis } = stack.standIns.pids;
    expect(stack.standIns.started).toEqual(['dynamodb', 'kinesis']);
    expect(dynamodb).toBeGreaterThan(0);
    expect(kinesis).toBeGreaterThan(0);
    expect(new Set([process.pid, dynamodb, kinesis]).size).toBe(3);
    expect(isRunning(dynamodb as number)).toBe(true);
    expect(isRunning(kinesis as number)).toBe(true);
  });

  it('counts the operations each stand-in answered', async () => {
    // Act
    const operations = await stack.standIns.operations();

    // Assess: the stack created its tables and stream, and the poller reads the stream.
    expect(operations.dynamodb?.CreateTable).toBeGreaterThanOrEqual(2);
    expect(operations.kinesis?.CreateStream).toBe(1);
    expect(operations.kinesis?.GetRecords).toBeGreaterThan(0);
  });

  it('restarts a stand-in on the same port with its data', async () => {
    // Prepare
    const client = dynamoOn(stack.standIns.dynamodbEndpoint);
    const before = await client.send(new ListTablesCommand({}));

    // Act
    await stack.standIns.restart('dynamodb', 100);

    // Assess
    const after = await client.send(new ListTablesCommand({}));
    expect(after.TableNames).toEqual(before.TableNames);
    client.destroy();
  });

  it('stops the stand-in processes when the stack stops', async () => {
    // Prepare
    const pids = Object.values(stack.standIns.pids);

    // Act
    await stack.stop();

    // Assess
    expect(pids.every((pid) => !isRunning(pid))).toBe(true);
  });
});

describe('Function: startStandIns', () => {
  it('runs the stand-ins in the calling process when asked', async () => {
    // Act
    const standIns = await startStandIns({}, { where: 'in-process' });

    // Assess
    try {
      expect(standIns.pids).toEqual({ dynamodb: process.pid, kinesis: process.pid });
      const tables = await dynamoOn(standIns.dynamodbEndpoint).send(new ListTablesCommand({}));
      expect(tables.TableNames).toEqual([]);
    } finally {
      await standIns.stop();
    }
  });

  it('leaves a stand-in whose endpoint the environment names to the user', async () => {
    // Act
    const standIns = await startStandIns({ AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:1' }, { where: 'process' });

    // Assess
    try {
      expect(standIns.started).toEqual(['dynamodb']);
      expect(standIns.kinesisEndpoint).toBe('http://127.0.0.1:1');
      await expect(standIns.restart('kinesis')).rejects.toThrow(/not a stand-in this process started/);
    } finally {
      await standIns.stop();
    }
  });
});
