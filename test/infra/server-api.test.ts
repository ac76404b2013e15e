import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, type RouteName } from '#shared/config/index.ts';
import { routesOf } from '#infra/constructs/api.ts';
import { ServerApi } from '#infra/constructs/server-api.ts';
import { StorefrontApi } from '#infra/constructs/storefront-api.ts';
import { logicalIdOf, newPlainFunction, newTestStack } from './helpers.ts';

const allRouteNames = Object.keys(api.routes) as RouteName[];
const serverRoutes = routesOf('server');

const everyRoute = (fn: lambda.Function) =>
  Object.fromEntries(allRouteNames.map((name) => [name, fn])) as Record<RouteName, lambda.Function>;

describe('Construct: ServerApi', () => {
  let construct: ServerApi;
  let template: Template;
  let functionId: string;

  beforeAll(() => {
    // Prepare
    const stack = newTestStack();
    const fn = newPlainFunction(stack, 'Fn');
    functionId = logicalIdOf(fn);

    // Act
    construct = new ServerApi(stack, 'Api', { routeHandlers: everyRoute(fn) });
    template = Template.fromStack(stack);
  });

  it('has exactly the server routes of api.routeApis', () => {
    expect([...serverRoutes].sort()).toEqual(
      allRouteNames.filter((name) => (api.routeApis[name] as readonly string[]).includes('server')).sort(),
    );
    expect(Object.keys(construct.methods).sort()).toEqual([...serverRoutes].sort());
    expect(serverRoutes).not.toContain('health');
    template.resourceCountIs('AWS::ApiGateway::Method', serverRoutes.length);
  });

  it('requires AWS IAM (SigV4) on every method, with no API key, no usage plan and no CORS preflight', () => {
    for (const name of serverRoutes) {
      const method = construct.methods[name];
      expect(method, name).toBeDefined();
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: api.routeMethods[name],
        ResourceId: { Ref: logicalIdOf(method?.resource ?? construct.restApi.root) },
        AuthorizationType: 'AWS_IAM',
        ApiKeyRequired: false,
        Integration: Match.objectLike({ Type: 'AWS_PROXY' }),
      });
    }
    for (const method of Object.values(template.findResources('AWS::ApiGateway::Method'))) {
      expect(method.Properties.AuthorizationType).toBe('AWS_IAM');
      expect(method.Properties.HttpMethod).not.toBe('OPTIONS');
      expect(JSON.stringify(method.Properties.Integration)).toContain(`"${functionId}"`);
    }
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
  });

  it('answers the SigV4 gateway errors in the {reason, message} shape', () => {
    for (const [type, error] of [
      ['MISSING_AUTHENTICATION_TOKEN', api.gatewayErrors.missingAuthentication],
      ['INVALID_SIGNATURE', api.gatewayErrors.invalidSignature],
      ['EXPIRED_TOKEN', api.gatewayErrors.expiredCredentials],
      ['ACCESS_DENIED', api.gatewayErrors.accessDenied],
      ['REQUEST_TOO_LARGE', api.gatewayErrors.requestTooLarge],
      ['THROTTLED', api.gatewayErrors.throttled],
    ] as const) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        StatusCode: String(error.status),
        RestApiId: { Ref: logicalIdOf(construct.restApi) },
        ResponseTemplates: { 'application/json': JSON.stringify({ reason: error.reason, message: error.message }) },
      });
    }
    // No browser calls it: no CORS header on its gateway responses.
    for (const response of Object.values(template.findResources('AWS::ApiGateway::GatewayResponse'))) {
      expect(response.Properties.ResponseParameters).toBeUndefined();
    }
  });

  it('traces the stage and logs access as JSON', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId"') },
    });
  });

  it('offers a managed policy allowing execute-api:Invoke on its own stage only', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'execute-api:Invoke',
            Resource: {
              'Fn::Join': [
                '',
                Match.arrayWith([
                  { Ref: logicalIdOf(construct.restApi) },
                  '/',
                  { Ref: logicalIdOf(construct.restApi.deploymentStage) },
                  '/*/*',
                ]),
              ],
            },
          },
        ],
      },
    });
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
  });

  it('sets the account-level CloudWatch role itself when no other API does', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
  });
});

describe('Construct: ServerApi beside a StorefrontApi', () => {
  it("deploys its stage after the storefront's account setting and sets none of its own", () => {
    // Prepare
    const stack = newTestStack();
    const fn = newPlainFunction(stack, 'Fn');
    const storefront = new StorefrontApi(stack, 'Storefront', { routeHandlers: everyRoute(fn) });

    // Act
    const server = new ServerApi(stack, 'Server', {
      routeHandlers: everyRoute(fn),
      cloudWatchAccount: storefront.cloudWatchAccount,
    });

    // Assess
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    const stage = template.findResources('AWS::ApiGateway::Stage')[logicalIdOf(server.restApi.deploymentStage)];
    expect(stage?.DependsOn).toContain(logicalIdOf(storefront.cloudWatchAccount));
  });
});
