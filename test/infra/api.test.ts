import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, lambdaDefaults, type RouteName } from '#shared/config/index.ts';
import { Api } from '#infra/constructs/api.ts';
import { logicalIdOf, newPlainFunction, newTestStack } from './helpers.ts';

const routeNames = Object.keys(api.routes) as RouteName[];
const isPublic = (name: RouteName): boolean => (api.publicRoutes as readonly RouteName[]).includes(name);

describe('Construct: Api', () => {
  let construct: Api;
  let template: Template;
  let functionIds: { ingest: string; recommend: string };

  beforeAll(() => {
    // Prepare
    const stack = newTestStack();
    const ingest = newPlainFunction(stack, 'Ingest');
    const recommend = newPlainFunction(stack, 'Recommend');
    functionIds = { ingest: logicalIdOf(ingest), recommend: logicalIdOf(recommend) };

    // Act
    construct = new Api(stack, 'Api', {
      routeHandlers: { events: ingest, userRecommendations: recommend, health: recommend },
    });
    template = Template.fromStack(stack);
  });

  it('creates a regional REST API with one method per configured route', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      ApiKeySourceType: 'HEADER',
    });
    template.resourceCountIs('AWS::ApiGateway::Method', routeNames.length);
    for (const name of routeNames) {
      const lastSegment = api.routes[name].split('/').at(-1);
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: api.routeMethods[name],
        ResourceId: { Ref: logicalIdOf(construct.methods[name].resource) },
      });
      expect(construct.methods[name].resource.path).toBe(api.routes[name]);
      template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: lastSegment });
    }
  });

  it('requires an API key on every route except the public ones', () => {
    for (const name of routeNames) {
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        ResourceId: { Ref: logicalIdOf(construct.methods[name].resource) },
        ApiKeyRequired: !isPublic(name),
        AuthorizationType: 'NONE',
      });
    }
    expect(isPublic('health')).toBe(true);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      ResourceId: { Ref: logicalIdOf(construct.methods.health.resource) },
      ApiKeyRequired: false,
    });
  });

  it('routes events to the ingest function and the rest to the recommend function', () => {
    const integrationOf = (name: RouteName) =>
      template.findResources('AWS::ApiGateway::Method', {
        Properties: { ResourceId: { Ref: logicalIdOf(construct.methods[name].resource) } },
      });
    expect(JSON.stringify(integrationOf('events'))).toContain(`"${functionIds.ingest}"`);
    expect(JSON.stringify(integrationOf('userRecommendations'))).toContain(`"${functionIds.recommend}"`);
    expect(JSON.stringify(integrationOf('health'))).toContain(`"${functionIds.recommend}"`);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    });
  });

  it('validates the userId path parameter of the recommendations route', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      ResourceId: { Ref: logicalIdOf(construct.methods.userRecommendations.resource) },
      RequestParameters: { 'method.request.path.userId': true },
      RequestValidatorId: { Ref: logicalIdOf(construct.requestValidator) },
    });
  });

  it('throttles the API key through a usage plan on the stage', () => {
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: Match.anyValue(), BurstLimit: Match.anyValue() },
      ApiStages: [Match.objectLike({ Stage: { Ref: logicalIdOf(construct.restApi.deploymentStage) } })],
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: logicalIdOf(construct.apiKey) },
      KeyType: 'API_KEY',
    });
  });

  it('traces the stage and logs access as JSON and execution errors without bodies', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId"') },
      MethodSettings: [
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR', DataTraceEnabled: false }),
      ],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: lambdaDefaults.logRetentionDays });
  });

  it('configures the account-level CloudWatch role for execution logs', () => {
    template.hasResourceProperties('AWS::ApiGateway::Account', {
      CloudWatchRoleArn: Match.objectLike({ 'Fn::GetAtt': Match.arrayWith(['Arn']) }),
    });
  });
});

describe('Construct: Api gateway responses', () => {
  it('answers gateway errors with the same JSON reasons as the handlers and the local gateway', () => {
    // Prepare
    const stack = newTestStack();
    const fn = newPlainFunction(stack, 'Fn');
    // Act
    new Api(stack, 'Api', { routeHandlers: { events: fn, userRecommendations: fn, health: fn } });
    const template = Template.fromStack(stack);
    // Assess
    for (const [type, error] of [
      ['INVALID_API_KEY', api.gatewayErrors.invalidApiKey],
      ['MISSING_AUTHENTICATION_TOKEN', api.gatewayErrors.routeNotFound],
      ['REQUEST_TOO_LARGE', api.gatewayErrors.requestTooLarge],
      ['THROTTLED', api.gatewayErrors.throttled],
    ] as const) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        StatusCode: String(error.status),
        ResponseTemplates: { 'application/json': JSON.stringify({ reason: error.reason, message: error.message }) },
      });
    }
  });
});
