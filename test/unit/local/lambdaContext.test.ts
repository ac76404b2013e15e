import { describe, expect, it } from 'vitest';
import { lambdaDefaults } from '#shared/config/index.ts';
import { lambdaContext } from '#local/lambdaContext.ts';

describe('lambdaContext', () => {
  it('carries the fields a Lambda context has, per function', () => {
    const context = lambdaContext('userRecommendations');
    expect({
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      invokedFunctionArn: context.invokedFunctionArn,
      memoryLimitInMB: context.memoryLimitInMB,
      logGroupName: context.logGroupName,
      logStreamName: context.logStreamName,
      callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
    }).toEqual({
      functionName: 'local-userRecommendations',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:local-userRecommendations',
      memoryLimitInMB: String(lambdaDefaults.memoryMb),
      logGroupName: '/aws/lambda/local-userRecommendations',
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: false,
    });
    expect(lambdaContext('events').functionName).toBe('local-events');
    expect(typeof context.done).toBe('function');
  });

  it('gives every invocation its own request id and deadline', () => {
    const first = lambdaContext('trending');
    const second = lambdaContext('trending');
    expect(first.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.awsRequestId).not.toBe(first.awsRequestId);
    const remaining = first.getRemainingTimeInMillis();
    expect(remaining).toBeGreaterThan(lambdaDefaults.timeoutSeconds * 1000 - 1_000);
    expect(remaining).toBeLessThanOrEqual(lambdaDefaults.timeoutSeconds * 1000);
  });

  it('keeps a setting one invocation makes to itself', () => {
    const first = lambdaContext('similarItems');
    first.callbackWaitsForEmptyEventLoop = true;
    expect(first.callbackWaitsForEmptyEventLoop).toBe(true);
    expect(lambdaContext('similarItems').callbackWaitsForEmptyEventLoop).toBe(false);
  });
});
