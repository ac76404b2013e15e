import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { lambdaDefaults } from '#shared/config/index.ts';

const timeoutMs = lambdaDefaults.timeoutSeconds * 1000;
const noop = () => undefined;

/**
 * One invocation's context. What every invocation of a function shares (its names, version and
 * memory, the legacy callbacks) sits on a prototype made once per function (see
 * {@link lambdaContext}), so an invocation costs an object of two fields and a request id. Local-only
 * fast path: the local API Gateway makes one per request, cache hits included.
 */
class LocalContext implements Context {
  declare callbackWaitsForEmptyEventLoop: boolean;
  declare readonly functionName: string;
  declare readonly functionVersion: string;
  declare readonly invokedFunctionArn: string;
  declare readonly memoryLimitInMB: string;
  declare readonly logGroupName: string;
  declare readonly logStreamName: string;
  declare readonly done: () => void;
  declare readonly fail: () => void;
  declare readonly succeed: () => void;
  readonly awsRequestId = randomUUID();
  readonly #deadline = Date.now() + timeoutMs;

  getRemainingTimeInMillis(): number {
    return Math.max(0, this.#deadline - Date.now());
  }
}

// Data properties of the prototype: an invocation that sets `callbackWaitsForEmptyEventLoop`
// gets its own, as on a plain object.
Object.assign(LocalContext.prototype, {
  callbackWaitsForEmptyEventLoop: false,
  functionVersion: '$LATEST',
  memoryLimitInMB: String(lambdaDefaults.memoryMb),
  logStreamName: 'local',
  done: noop,
  fail: noop,
  succeed: noop,
});

const contextOf = new Map<string, new () => LocalContext>();

/** The Lambda context object handlers receive, for invocations made by the local stack. */
export function lambdaContext(functionName: string): Context {
  let FunctionContext = contextOf.get(functionName);
  if (FunctionContext === undefined) {
    FunctionContext = class extends LocalContext {};
    Object.assign(FunctionContext.prototype, {
      functionName: `local-${functionName}`,
      invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:local-${functionName}`,
      logGroupName: `/aws/lambda/local-${functionName}`,
    });
    contextOf.set(functionName, FunctionContext);
  }
  return new FunctionContext();
}
