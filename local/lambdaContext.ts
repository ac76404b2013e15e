import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { lambdaDefaults } from '#shared/config/index.ts';

const timeoutMs = lambdaDefaults.timeoutSeconds * 1000;
const memoryLimitInMB = String(lambdaDefaults.memoryMb);
const noop = () => undefined;

/**
 * One invocation's context. The fields every invocation of a function shares are worked out once
 * per function (see {@link lambdaContext}); the methods live on the prototype, so an invocation
 * costs one small object and a request id.
 */
class LocalContext implements Context {
  callbackWaitsForEmptyEventLoop = false;
  readonly functionVersion = '$LATEST';
  readonly memoryLimitInMB = memoryLimitInMB;
  readonly logStreamName = 'local';
  readonly awsRequestId = randomUUID();
  readonly #deadline = Date.now() + timeoutMs;

  constructor(
    readonly functionName: string,
    readonly invokedFunctionArn: string,
    readonly logGroupName: string,
  ) {}

  getRemainingTimeInMillis(): number {
    return Math.max(0, this.#deadline - Date.now());
  }

  done = noop;
  fail = noop;
  succeed = noop;
}

interface FunctionNames {
  readonly functionName: string;
  readonly invokedFunctionArn: string;
  readonly logGroupName: string;
}

const namesOf = new Map<string, FunctionNames>();

/** The Lambda context object handlers receive, for invocations made by the local stack. */
export function lambdaContext(functionName: string): Context {
  let names = namesOf.get(functionName);
  if (names === undefined) {
    names = {
      functionName: `local-${functionName}`,
      invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:local-${functionName}`,
      logGroupName: `/aws/lambda/local-${functionName}`,
    };
    namesOf.set(functionName, names);
  }
  return new LocalContext(names.functionName, names.invokedFunctionArn, names.logGroupName);
}
