import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { lambdaDefaults } from '#shared/config/index.ts';

/** The Lambda context object handlers receive, for invocations made by the local stack. */
export function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + lambdaDefaults.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `local-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:local-${functionName}`,
    memoryLimitInMB: String(lambdaDefaults.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/local-${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
