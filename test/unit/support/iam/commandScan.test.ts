import { describe, expect, it } from 'vitest';
import { commandsConstructedIn } from '../../../support/iam/commandScan.ts';

describe('Function: commandsConstructedIn', () => {
  it('returns each command constructed, by the package it is imported from, aliases followed', () => {
    // Prepare
    const source = `
      import { PutCommand, QueryCommand as Query, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
      import { type SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
      const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
      await client.send(new PutCommand({ TableName, Item }));
      await client.send(new Query({ TableName }));
      await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries }));
    `;

    // Act
    const found = commandsConstructedIn(source, 'store.ts');

    // Assess
    expect(found.sort()).toEqual([
      '@aws-sdk/client-sqs#SendMessageBatchCommand',
      '@aws-sdk/lib-dynamodb#PutCommand',
      '@aws-sdk/lib-dynamodb#QueryCommand',
    ]);
  });

  it('throws on a command it cannot trace to an SDK package', () => {
    // Act + Assess
    expect(() => commandsConstructedIn(`import * as sdk from '@aws-sdk/client-sqs';`, 'a.ts')).toThrow(/cannot follow/);
    expect(() => commandsConstructedIn(`const c = new DeleteQueueCommand({});`, 'b.ts')).toThrow(
      /b\.ts constructs DeleteQueueCommand/,
    );
  });
});
