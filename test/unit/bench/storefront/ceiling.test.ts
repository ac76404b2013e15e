import { describe, expect, it } from 'vitest';
import { operationsBetween, replayMix, withoutCondition } from '../../../../bench/lib/storefront/ceiling.ts';
import type { CapturedRequest } from '../../../../bench/lib/storefront/stackProcess.ts';

const captured = (operation: string, body: object): CapturedRequest => ({
  operation,
  headers: { 'x-amz-target': `DynamoDB_20120810.${operation}` },
  body: JSON.stringify(body),
});

describe('Function: withoutCondition', () => {
  it('drops the condition and the names and values only it used', () => {
    // Prepare
    const body = JSON.stringify({
      TableName: 't',
      Key: { pk: { S: 'a' } },
      UpdateExpression: 'SET #v = :v ADD #n :one',
      ConditionExpression: 'attribute_not_exists(#hw) OR #hw < :seq',
      ExpressionAttributeNames: { '#v': 'v', '#n': 'n', '#hw': 'hw' },
      ExpressionAttributeValues: { ':v': { S: 'x' }, ':one': { N: '1' }, ':seq': { S: '9' } },
    });

    // Act
    const replayable = JSON.parse(withoutCondition(body)) as Record<string, unknown>;

    // Assess
    expect(replayable.ConditionExpression).toBeUndefined();
    expect(replayable.ExpressionAttributeNames).toEqual({ '#v': 'v', '#n': 'n' });
    expect(replayable.ExpressionAttributeValues).toEqual({ ':v': { S: 'x' }, ':one': { N: '1' } });
  });

  it('keeps a name that is a prefix of another one used', () => {
    // Prepare
    const body = JSON.stringify({
      UpdateExpression: 'SET #a1 = :v1',
      ConditionExpression: '#a = :v',
      ExpressionAttributeNames: { '#a': 'a', '#a1': 'a1' },
      ExpressionAttributeValues: { ':v': { S: 'x' }, ':v1': { S: 'y' } },
    });

    // Act
    const replayable = JSON.parse(withoutCondition(body)) as Record<string, unknown>;

    // Assess
    expect(replayable.ExpressionAttributeNames).toEqual({ '#a1': 'a1' });
    expect(replayable.ExpressionAttributeValues).toEqual({ ':v1': { S: 'y' } });
  });

  it('returns a request without a condition unchanged', () => {
    // Prepare
    const body = JSON.stringify({ TableName: 't', Key: { pk: { S: 'a' } } });

    // Act + Assess
    expect(withoutCondition(body)).toBe(body);
  });
});

describe('Function: replayMix', () => {
  it('draws requests in the proportions of the load, skipping operations never captured', () => {
    // Prepare
    const requests = [captured('GetItem', { n: 1 }), captured('GetItem', { n: 2 }), captured('UpdateItem', {})];

    // Act
    const mix = replayMix(requests, { GetItem: 3, UpdateItem: 1, Query: 5 }, 400);

    // Assess
    const counts = mix.reduce<Record<string, number>>((acc, one) => {
      acc[one.operation] = (acc[one.operation] ?? 0) + 1;
      return acc;
    }, {});
    expect(counts).toEqual({ GetItem: 300, UpdateItem: 100 });
  });
});

describe('Function: operationsBetween', () => {
  it('subtracts the earlier counts per stand-in and operation', () => {
    // Act
    const between = operationsBetween(
      { dynamodb: { GetItem: 2 } },
      { dynamodb: { GetItem: 5, PutItem: 1 }, kinesis: { PutRecords: 4 } },
    );

    // Assess
    expect(between).toEqual({ dynamodb: { GetItem: 3, PutItem: 1 }, kinesis: { PutRecords: 4 } });
  });
});
