import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api } from '#shared/config/index.ts';
import { mintUserToken, StaticUserTokenKeys } from '#shared/auth/userToken.ts';
import { repoRoot } from '#infra/paths.ts';
import { callerOf } from '#functions/lib/caller.ts';
import {
  BENCH_API_IDS,
  BENCH_FUNCTION_NAME,
  lambdaContext,
  recommendationsEvent,
} from '../../../bench/lib/lambda/apiEvent.ts';
import { CREATE_REQUIRE_BANNER } from '../../../bench/lib/lambda/bundle.ts';

describe('Bench: recommend-lambda', () => {
  describe('Function: recommendationsEvent', () => {
    it('carries the route, the query in both forms, and null without one', () => {
      // Act
      const withQuery = recommendationsEvent('u1', { count: '12' }, 'req-2');
      const without = recommendationsEvent('u1', undefined, 'req-3');

      // Assess
      expect(withQuery).toMatchObject({
        resource: api.routes.userRecommendations,
        path: '/v1/users/u1/recommendations',
        httpMethod: 'GET',
        pathParameters: { userId: 'u1' },
        queryStringParameters: { count: '12' },
        multiValueQueryStringParameters: { count: ['12'] },
        requestContext: { requestId: 'req-2', resourcePath: api.routes.userRecommendations },
      });
      expect(withQuery.headers.origin).toBeDefined();
      expect(without.queryStringParameters).toBeNull();
      expect(without.multiValueQueryStringParameters).toBeNull();
    });

    it('is a storefront call of the signed-in shopper whose token it carries, as the function reads it', async () => {
      // Prepare
      const now = Date.UTC(2026, 11, 7, 16);
      const clock = { now: () => now };
      const keys = new StaticUserTokenKeys(
        JSON.stringify({ current: { kid: 'bench-1', secret: Buffer.alloc(32, 7).toString('base64') } }),
      );
      const { token } = await mintUserToken('u42', { keys, clock }, 3600);

      // Act
      const signedIn = recommendationsEvent('u42', undefined, 'req-5', token);
      const anonymous = recommendationsEvent('a-1', undefined, 'req-6');

      // Assess
      expect(signedIn.requestContext.apiId).toBe(BENCH_API_IDS.storefront);
      expect(signedIn.headers[api.userTokenHeader]).toBe(token);
      expect(signedIn.multiValueHeaders[api.userTokenHeader]).toEqual([token]);
      expect(await callerOf(signedIn, { apiIds: BENCH_API_IDS, userTokenKeys: keys, clock })).toEqual({
        kind: 'shopper',
        userId: 'u42',
      });
      expect(anonymous.headers[api.userTokenHeader]).toBeUndefined();
      expect(await callerOf(anonymous, { apiIds: BENCH_API_IDS, userTokenKeys: keys, clock })).toEqual({
        kind: 'shopper',
      });
    });
  });

  describe('Function: lambdaContext', () => {
    it('names the function and counts down to the deadline', () => {
      // Prepare
      const deadline = Date.now() + 30_000;

      // Act
      const context = lambdaContext('req-4', 1024, deadline);

      // Assess
      expect(context).toMatchObject({
        functionName: BENCH_FUNCTION_NAME,
        awsRequestId: 'req-4',
        memoryLimitInMB: '1024',
      });
      expect(context.getRemainingTimeInMillis()).toBeGreaterThan(29_000);
      expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(30_000);
    });
  });

  describe('Function: bundleLikeCdk', () => {
    it('mirrors the bundling options of RecoFunction (update bench/lib/lambda/bundle.ts when they change)', () => {
      // Prepare
      const construct = readFileSync(join(repoRoot, 'infra/constructs/reco-function.ts'), 'utf8');
      const flat = construct.replace(/"\s*\+\s*'|'\s*\+\s*'|"\s*\+\s*"/g, '');

      // Assess
      expect(flat).toContain(CREATE_REQUIRE_BANNER);
      for (const option of [
        'runtime: lambda.Runtime.NODEJS_24_X',
        'format: OutputFormat.ESM',
        "mainFields: ['module', 'main']",
        'banner: CREATE_REQUIRE_BANNER',
        'minify: true',
        'keepNames: true',
        'sourceMap: true',
        'sourcesContent: false',
        'bundleAwsSDK: true',
      ]) {
        expect(construct).toContain(option);
      }
      expect(construct).not.toMatch(/externalModules|nodeModules|define:|loader:|target:|inject:|footer:/);
    });
  });
});
