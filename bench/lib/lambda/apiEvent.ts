/**
 * What the Lambda runtime hands the recommend function for `GET /v1/users/{userId}/recommendations`
 * behind an API Gateway REST API with proxy integration: the event and the context.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { api } from '#shared/config/index.ts';

/** The storefront origin of the requests; the function's CORS list must contain it. */
export const BENCH_ORIGIN = 'https://shop.example.com';
export const BENCH_FUNCTION_NAME = 'reco-bench-recommend';
/**
 * The two REST APIs' ids, as the CDK app sets them in the function's environment; the events come
 * from the storefront API, as a shop's page calls it.
 */
export const BENCH_API_IDS = { storefront: 'abc123', server: 'srv456' } as const;

/**
 * An API Gateway proxy event as the storefront API sends it: every header in both forms, the
 * query in both forms (`null` without one), the request context of a REST API stage. With
 * `userToken`, the page of that signed-in shopper (the SDK sends it in `api.userTokenHeader`).
 *
 * @example
 * const event = recommendationsEvent('shopper-1', { count: '20' }, 'req-1', token);
 */
export function recommendationsEvent(
  userId: string,
  query: Readonly<Record<string, string>> | undefined,
  requestId: string,
  userToken?: string,
): APIGatewayProxyEvent {
  const path = `/v1/users/${encodeURIComponent(userId)}/recommendations`;
  const headers: Record<string, string> = {
    accept: 'application/json',
    'accept-encoding': 'gzip, deflate, br',
    'CloudFront-Forwarded-Proto': 'https',
    'CloudFront-Viewer-Country': 'DE',
    Host: `${BENCH_API_IDS.storefront}.execute-api.eu-west-1.amazonaws.com`,
    origin: BENCH_ORIGIN,
    referer: `${BENCH_ORIGIN}/products`,
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
    'X-Amzn-Trace-Id': `Root=1-67a1b2c3-${requestId.padStart(24, '0').slice(-24)}`,
    'x-api-key': 'bench-key',
    'X-Forwarded-For': '203.0.113.7, 130.176.0.1',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
    ...(userToken === undefined ? {} : { [api.userTokenHeader]: userToken }),
  };
  const multiValue = (record: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.entries(record).map(([name, value]) => [name, [value]]));
  return {
    resource: api.routes.userRecommendations,
    path,
    httpMethod: 'GET',
    headers,
    multiValueHeaders: multiValue(headers),
    queryStringParameters: query === undefined ? null : { ...query },
    multiValueQueryStringParameters: query === undefined ? null : multiValue(query),
    pathParameters: { userId },
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: BENCH_API_IDS.storefront,
      authorizer: null,
      domainName: `${BENCH_API_IDS.storefront}.execute-api.eu-west-1.amazonaws.com`,
      domainPrefix: BENCH_API_IDS.storefront,
      extendedRequestId: `${requestId}=`,
      httpMethod: 'GET',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: 'bench-key',
        apiKeyId: 'k1a2b3c4d5',
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.7',
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/prod${path}`,
      protocol: 'HTTP/1.1',
      requestId,
      requestTime: '07/Dec/2026:16:00:00 +0000',
      requestTimeEpoch: 1_796_659_200_000,
      resourceId: 'r1s2t3',
      resourcePath: api.routes.userRecommendations,
      stage: 'prod',
    },
  };
}

/** The context object of one invocation, with the fields and methods the Node.js runtime gives. */
export function lambdaContext(requestId: string, memoryMb: number, deadlineMs: number): Context {
  const fail = () => {
    throw new Error('the callback style is not used by this function');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: BENCH_FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${BENCH_FUNCTION_NAME}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${BENCH_FUNCTION_NAME}`,
    logStreamName: '2026/12/07/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
}
