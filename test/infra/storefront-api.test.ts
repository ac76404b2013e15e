import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, envVars, lambdaDefaults, type RouteName } from '#shared/config/index.ts';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { bindApiFunctions, routesOf } from '#infra/constructs/api.ts';
import { ServerApi } from '#infra/constructs/server-api.ts';
import { DEFAULT_ROUTE_THROTTLES, StorefrontApi } from '#infra/constructs/storefront-api.ts';
import { buildApp, CORS_ORIGINS_CONTEXT_KEY } from '#infra/build-app.ts';
import { logicalIdOf, newPlainFunction, newTestStack, testContext } from './helpers.ts';

const routeNames = routesOf('storefront');
const allRouteNames = Object.keys(api.routes) as RouteName[];
const isPublic = (name: RouteName): boolean => (api.publicRoutes as readonly RouteName[]).includes(name);

/** The method of a storefront route (every one has a method). */
function methodOf(construct: StorefrontApi, name: RouteName) {
  const method = construct.methods[name];
  if (method === undefined) throw new Error(`no storefront method for ${name}`);
  return method;
}

/** `fn` behind every route. */
const everyRoute = (fn: lambda.Function) =>
  Object.fromEntries(allRouteNames.map((name) => [name, fn])) as Record<RouteName, lambda.Function>;

describe('Construct: StorefrontApi', () => {
  let construct: StorefrontApi;
  let template: Template;
  let functionIds: { ingest: string; recommend: string; catalogue: string; privacy: string; admin: string };

  beforeAll(() => {
    // Prepare
    const stack = newTestStack();
    const ingest = newPlainFunction(stack, 'Ingest');
    const recommend = newPlainFunction(stack, 'Recommend');
    const catalogue = newPlainFunction(stack, 'Catalogue');
    const privacy = newPlainFunction(stack, 'Privacy');
    const admin = newPlainFunction(stack, 'Admin');
    functionIds = {
      ingest: logicalIdOf(ingest),
      recommend: logicalIdOf(recommend),
      catalogue: logicalIdOf(catalogue),
      privacy: logicalIdOf(privacy),
      admin: logicalIdOf(admin),
    };

    // Act
    construct = new StorefrontApi(stack, 'Api', {
      routeHandlers: {
        events: ingest,
        userRecommendations: recommend,
        similarItems: recommend,
        rankings: recommend,
        trending: recommend,
        health: recommend,
        catalogueItems: catalogue,
        catalogueItem: catalogue,
        userErasure: privacy,
        readiness: admin,
        userTokens: admin,
        trainModel: admin,
        models: admin,
        model: admin,
        promoteModel: admin,
        stats: admin,
      },
    });
    template = Template.fromStack(stack);
  });

  it('has exactly the storefront routes of api.routeApis', () => {
    expect(routeNames.sort()).toEqual(
      allRouteNames.filter((name) => (api.routeApis[name] as readonly string[]).includes('storefront')).sort(),
    );
    expect(Object.keys(construct.methods).sort()).toEqual([...routeNames].sort());
    expect(routeNames).not.toContain('userErasure');
    expect(routeNames).not.toContain('userTokens');
  });

  it('creates a regional REST API with one method per storefront route', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      ApiKeySourceType: 'HEADER',
    });
    // One method per route, plus one CORS preflight (OPTIONS) per route path.
    const routePaths = new Set(routeNames.map((name) => api.routes[name]));
    template.resourceCountIs('AWS::ApiGateway::Method', routeNames.length + routePaths.size);
    for (const name of routeNames) {
      const lastSegment = api.routes[name].split('/').at(-1);
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: api.routeMethods[name],
        ResourceId: { Ref: logicalIdOf(methodOf(construct, name).resource) },
      });
      expect(methodOf(construct, name).resource.path).toBe(api.routes[name]);
      template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: lastSegment });
    }
  });

  it('requires an API key on every route except the public ones', () => {
    for (const name of routeNames) {
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: api.routeMethods[name],
        ResourceId: { Ref: logicalIdOf(methodOf(construct, name).resource) },
        ApiKeyRequired: !isPublic(name),
        AuthorizationType: 'NONE',
      });
    }
    expect(isPublic('health')).toBe(true);
    for (const name of ['events', 'userRecommendations', 'similarItems', 'rankings', 'trending'] as const) {
      expect(isPublic(name), name).toBe(false);
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: api.routeMethods[name],
        ResourceId: { Ref: logicalIdOf(methodOf(construct, name).resource) },
        ApiKeyRequired: true,
        RequestValidatorId: { Ref: logicalIdOf(construct.requestValidator) },
      });
    }
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: api.routeMethods.health,
      ResourceId: { Ref: logicalIdOf(methodOf(construct, 'health').resource) },
      ApiKeyRequired: false,
    });
  });

  it('routes each route to the function given for it', () => {
    const integrationOf = (name: RouteName) => {
      const found = Object.values(
        template.findResources('AWS::ApiGateway::Method', {
          Properties: {
            HttpMethod: api.routeMethods[name],
            ResourceId: { Ref: logicalIdOf(methodOf(construct, name).resource) },
          },
        }),
      );
      expect(found, name).toHaveLength(1);
      return JSON.stringify(found[0]?.Properties.Integration);
    };
    const expected: Partial<Record<RouteName, string>> = {
      events: functionIds.ingest,
      userRecommendations: functionIds.recommend,
      similarItems: functionIds.recommend,
      rankings: functionIds.recommend,
      trending: functionIds.recommend,
      health: functionIds.recommend,
    };
    for (const name of routeNames) {
      const integration = integrationOf(name);
      for (const [other, id] of Object.entries(functionIds)) {
        expect(integration.includes(`"${id}"`), `${name} -> ${other}`).toBe(id === expected[name]);
      }
    }
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    });
  });

  it('validates the path parameters of the routes that have them', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    for (const [name, parameter] of [
      ['userRecommendations', 'userId'],
      ['similarItems', 'itemId'],
    ] as const) {
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: api.routeMethods[name],
        ResourceId: { Ref: logicalIdOf(methodOf(construct, name).resource) },
        RequestParameters: { [`method.request.path.${parameter}`]: true },
        RequestValidatorId: { Ref: logicalIdOf(construct.requestValidator) },
      });
    }
  });

  it('declares no path parameters on the routes without them', () => {
    for (const name of ['rankings', 'trending', 'events', 'health'] as const) {
      const method = template.findResources('AWS::ApiGateway::Method', {
        Properties: {
          HttpMethod: api.routeMethods[name],
          ResourceId: { Ref: logicalIdOf(methodOf(construct, name).resource) },
        },
      });
      for (const resource of Object.values(method)) {
        expect(resource.Properties.RequestParameters, name).toBeUndefined();
      }
    }
  });

  it('shares one resource per path segment between routes', () => {
    // `/v1/users/{userId}` exists only as the parent of `/v1/users/{userId}/recommendations` (GET).
    expect(methodOf(construct, 'userRecommendations').resource.parentResource?.path).toBe(api.routes.userErasure);
    expect(methodOf(construct, 'similarItems').resource.parentResource?.path).toBe(api.routes.catalogueItem);
    const paths = new Set(
      routeNames.flatMap((name) =>
        api.routes[name]
          .split('/')
          .slice(1)
          .map((_, i, segments) => segments.slice(0, i + 1).join('/')),
      ),
    );
    template.resourceCountIs('AWS::ApiGateway::Resource', paths.size);
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

  it('covers the deployment stage with the usage plan and throttles POST /v1/rankings per key', () => {
    const rankings = DEFAULT_ROUTE_THROTTLES.rankings;
    expect(rankings).toBeDefined();
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      ApiStages: [
        {
          ApiId: { Ref: logicalIdOf(construct.restApi) },
          Stage: { Ref: logicalIdOf(construct.restApi.deploymentStage) },
          Throttle: {
            [`${api.routes.rankings}/${api.routeMethods.rankings}`]: {
              RateLimit: rankings?.rateLimit,
              BurstLimit: rankings?.burstLimit,
            },
          },
        },
      ],
    });
    const plan = Object.values(template.findResources('AWS::ApiGateway::UsagePlan'))[0];
    const overall = plan?.Properties.Throttle as { RateLimit: number; BurstLimit: number };
    expect(rankings?.rateLimit).toBeLessThan(overall.RateLimit);
  });

  it('throttles each public route at stage level, since no usage plan covers it', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: api.routeMethods.health,
          // The stage's path syntax: a leading '/', then the resource path with '/' escaped as '~1'.
          ResourcePath: `/${api.routes.health.replaceAll('/', '~1')}`,
          ThrottlingRateLimit: Match.anyValue(),
          ThrottlingBurstLimit: Match.anyValue(),
        }),
      ]),
    });
  });

  it('traces the stage and logs access as JSON and execution errors without bodies', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId"') },
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR', DataTraceEnabled: false }),
      ]),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: lambdaDefaults.logRetentionDays });
  });

  it('configures the account-level CloudWatch role for execution logs', () => {
    template.hasResourceProperties('AWS::ApiGateway::Account', {
      CloudWatchRoleArn: Match.objectLike({ 'Fn::GetAtt': Match.arrayWith(['Arn']) }),
    });
  });
});

describe('Construct: StorefrontApi route throttles', () => {
  it('refuses a per-route throttle on a public route, which has no usage plan', () => {
    // Prepare
    const stack = newTestStack();
    const fn = newPlainFunction(stack, 'Fn');
    const routeHandlers = everyRoute(fn);

    // Act + Assess
    expect(
      () =>
        new StorefrontApi(stack, 'Api', { routeHandlers, routeThrottles: { health: { rateLimit: 1, burstLimit: 1 } } }),
    ).toThrow('public');
  });
});

describe('Construct: StorefrontApi gateway responses', () => {
  it('answers gateway errors with the same JSON reasons as the handlers and the local gateway', () => {
    // Prepare
    const stack = newTestStack();
    const fn = newPlainFunction(stack, 'Fn');
    // Act
    const routeHandlers = everyRoute(fn);
    new StorefrontApi(stack, 'Api', { routeHandlers });
    const template = Template.fromStack(stack);
    // Assess
    for (const [type, error] of [
      ['INVALID_API_KEY', api.gatewayErrors.invalidApiKey],
      // The server-only routes are no routes here: they answer like any unknown path.
      ['MISSING_AUTHENTICATION_TOKEN', api.gatewayErrors.routeNotFound],
      ['REQUEST_TOO_LARGE', api.gatewayErrors.requestTooLarge],
      ['THROTTLED', api.gatewayErrors.throttled],
      ['QUOTA_EXCEEDED', api.gatewayErrors.throttled],
    ] as const) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        StatusCode: String(error.status),
        ResponseTemplates: { 'application/json': JSON.stringify({ reason: error.reason, message: error.message }) },
      });
    }
  });
});

/** A StorefrontApi on one plain function with these CORS origins, and its template. */
function corsApi(corsOrigins?: readonly string[]): {
  construct: StorefrontApi;
  template: Template;
  functionId: string;
} {
  const stack = newTestStack();
  const fn = newPlainFunction(stack, 'Fn');
  const routeHandlers = everyRoute(fn);
  const construct = new StorefrontApi(stack, 'Api', {
    routeHandlers,
    ...(corsOrigins === undefined ? {} : { corsOrigins }),
  });
  return { construct, template: Template.fromStack(stack), functionId: logicalIdOf(fn) };
}

/** The OPTIONS methods of a template, by the logical id of their resource. */
function preflightsOf(template: Template): Map<string, Record<string, unknown>> {
  const found = template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } });
  return new Map(
    Object.values(found).map((method) => [
      (method.Properties.ResourceId as { Ref: string }).Ref,
      method.Properties as Record<string, unknown>,
    ]),
  );
}

const GATEWAY_RESPONSE_TYPES = [
  'INVALID_API_KEY',
  'MISSING_AUTHENTICATION_TOKEN',
  'REQUEST_TOO_LARGE',
  'THROTTLED',
  'QUOTA_EXCEEDED',
  'DEFAULT_4XX',
  'DEFAULT_5XX',
] as const;

describe('Construct: StorefrontApi CORS', () => {
  it('answers a preflight on every route path with a MOCK 204 that needs no API key', () => {
    // Act
    const { construct, template } = corsApi();

    // Assess
    const preflights = preflightsOf(template);
    const routePaths = new Set(routeNames.map((name) => api.routes[name]));
    expect(preflights.size).toBe(routePaths.size);
    expect([...construct.preflightMethods.keys()].sort()).toEqual([...routePaths].sort());
    for (const name of routeNames) {
      const preflight = preflights.get(logicalIdOf(methodOf(construct, name).resource));
      expect(preflight, name).toMatchObject({
        ApiKeyRequired: false,
        AuthorizationType: 'NONE',
        Integration: {
          Type: 'MOCK',
          IntegrationResponses: [
            {
              StatusCode: '204',
              ResponseParameters: {
                'method.response.header.Access-Control-Allow-Origin': "'*'",
                'method.response.header.Access-Control-Allow-Methods': `'${api.cors.allowMethods.join(',')}'`,
                'method.response.header.Access-Control-Allow-Headers': `'${api.cors.allowHeaders.join(',')}'`,
                'method.response.header.Access-Control-Max-Age': `'${api.cors.maxAgeSeconds}'`,
              },
            },
          ],
        },
      });
      expect(preflight?.RequestValidatorId, name).toBeUndefined();
    }
    for (const preflight of preflights.values()) expect(preflight.ApiKeyRequired).toBe(false);
  });

  it('allows the methods of the routes and the headers the SDK sends', () => {
    // Assess
    expect([...api.cors.allowMethods].sort()).toEqual([...new Set(Object.values(api.routeMethods))].sort());
    expect(api.cors.allowHeaders).toEqual(
      expect.arrayContaining(['content-type', api.apiKeyHeader, api.userTokenHeader]),
    );
    expect(api.cors.exposeHeaders).toEqual(expect.arrayContaining([api.cacheStatusHeader, 'retry-after']));
    expect(api.cors.allowOrigins).toEqual(['*']);
  });

  it('puts no preflight on paths that are no storefront route (/, /v1, /v1/users, /v1/users/{userId})', () => {
    // Act
    const { construct, template } = corsApi();

    // Assess
    const preflights = preflightsOf(template);
    const v1 = methodOf(construct, 'events').resource.parentResource;
    const user = methodOf(construct, 'userRecommendations').resource.parentResource;
    const users = user?.parentResource;
    for (const resource of [v1, user, users]) {
      expect(resource).toBeDefined();
      if (resource !== undefined) expect(preflights.has(logicalIdOf(resource))).toBe(false);
    }
    expect(construct.restApi.root.node.tryFindChild('OPTIONS')).toBeUndefined();
  });

  it('bindApiFunctions tells each function both API ids and the origins through its environment', () => {
    // Prepare
    const stack = newTestStack();
    const fn = newPlainFunction(stack, 'Fn');
    const corsOrigins = ['https://shop.example', 'https://www.shop.example'];
    const storefront = new StorefrontApi(stack, 'Storefront', { routeHandlers: everyRoute(fn), corsOrigins });
    const server = new ServerApi(stack, 'Server', { routeHandlers: everyRoute(fn) });

    // Act
    bindApiFunctions({ routeHandlers: everyRoute(fn), storefront, server, corsOrigins: storefront.corsOrigins });

    // Assess
    const variables = Template.fromStack(stack).findResources('AWS::Lambda::Function')[logicalIdOf(fn)]?.Properties
      .Environment.Variables as Record<string, unknown>;
    expect(variables).toEqual({
      [envVars.corsAllowOrigins]: 'https://shop.example,https://www.shop.example',
      [envVars.storefrontApiId]: { Ref: logicalIdOf(storefront.restApi) },
      [envVars.serverApiId]: { Ref: logicalIdOf(server.restApi) },
    });
  });

  it('adds Access-Control-Allow-Origin: * to every gateway response, DEFAULT_4XX and DEFAULT_5XX included', () => {
    // Act
    const { template } = corsApi();

    // Assess
    for (const type of GATEWAY_RESPONSE_TYPES) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: {
          'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
          'gatewayresponse.header.Access-Control-Expose-Headers': "'x-cache,retry-after'",
        },
      });
    }
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'DEFAULT_5XX',
      ResponseTemplates: {
        'application/json': '{"reason":"internal_error","message":$context.error.messageString}',
      },
    });
  });

  it('answers one listed origin statically, with Vary: Origin', () => {
    // Act
    const { template } = corsApi(['https://shop.example']);

    // Assess
    for (const preflight of preflightsOf(template).values()) {
      expect(preflight).toMatchObject({
        Integration: {
          IntegrationResponses: [
            {
              ResponseParameters: {
                'method.response.header.Access-Control-Allow-Origin': "'https://shop.example'",
                'method.response.header.Vary': "'Origin'",
              },
            },
          ],
        },
      });
    }
    for (const type of GATEWAY_RESPONSE_TYPES) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: {
          'gatewayresponse.header.Access-Control-Allow-Origin': "'https://shop.example'",
          'gatewayresponse.header.Vary': "'Origin'",
        },
      });
    }
  });

  it('echoes a listed origin among several: in preflights by template, in gateway responses from the request', () => {
    // Act
    const { template } = corsApi(['https://shop.example', 'https://www.shop.example']);

    // Assess
    for (const preflight of preflightsOf(template).values()) {
      const [response] = (preflight.Integration as { IntegrationResponses: Record<string, unknown>[] })
        .IntegrationResponses;
      expect(response?.ResponseParameters).toMatchObject({
        'method.response.header.Access-Control-Allow-Origin': "'https://shop.example'",
        'method.response.header.Vary': "'Origin'",
      });
      const template = (response?.ResponseTemplates as Record<string, string>)['application/json'];
      expect(template).toContain('$origin == "https://www.shop.example"');
      expect(template).toContain('#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)');
    }
    for (const type of GATEWAY_RESPONSE_TYPES) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: {
          'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
          'gatewayresponse.header.Vary': "'Origin'",
        },
      });
    }
  });

  it.each([
    ['no origin', []],
    ['* mixed with an origin', ['*', 'https://shop.example']],
    ['a trailing slash', ['https://shop.example/']],
    ['a path', ['https://shop.example/shop']],
    ['upper case', ['https://Shop.example']],
    ['a default port', ['https://shop.example:443']],
    ['no scheme', ['shop.example']],
  ])('refuses origins with %s, which no browser Origin could match', (_name, corsOrigins) => {
    // Act + Assess
    expect(() => corsApi(corsOrigins)).toThrow(/corsOrigins/);
  });
});

describe('App: CORS origins from context', () => {
  const preflightOrigin = (template: Template): unknown => {
    const [preflight] = preflightsOf(template).values();
    const [response] = (preflight?.Integration as { IntegrationResponses: Record<string, unknown>[] })
      .IntegrationResponses;
    return (response?.ResponseParameters as Record<string, unknown>)[
      'method.response.header.Access-Control-Allow-Origin'
    ];
  };
  const functionOrigins = (template: Template): unknown[] =>
    Object.values(template.findResources('AWS::Lambda::Function'))
      .map((fn) => fn.Properties.Environment?.Variables?.[envVars.corsAllowOrigins] as unknown)
      .filter((value) => value !== undefined);

  it('allows any origin without the context value', () => {
    // Act
    const { stack } = buildApp({ context: testContext(), nag: false });

    // Assess
    const template = Template.fromStack(stack);
    expect(testContext()).not.toHaveProperty(CORS_ORIGINS_CONTEXT_KEY);
    expect(preflightOrigin(template)).toBe("'*'");
    // The ingest, recommend, catalogue, erasure and admin functions.
    expect(functionOrigins(template)).toEqual(['*', '*', '*', '*', '*']);
  });

  it.each([
    ['a comma-separated string (-c)', ' https://shop.example , https://www.shop.example '],
    ['a list (cdk.json)', ['https://shop.example', 'https://www.shop.example']],
  ])('takes the origins of reco:corsOrigins as %s', (_name, value) => {
    // Act
    const { stack } = buildApp({ context: { ...testContext(), [CORS_ORIGINS_CONTEXT_KEY]: value }, nag: false });

    // Assess
    const template = Template.fromStack(stack);
    expect(stack.storefrontApi.corsOrigins).toEqual(['https://shop.example', 'https://www.shop.example']);
    expect(preflightOrigin(template)).toBe("'https://shop.example'");
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'INVALID_API_KEY',
      ResponseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin' },
    });
    // The ingest, recommend, catalogue, erasure and admin functions; not the processor or the rotation.
    expect(functionOrigins(template)).toEqual(Array(5).fill('https://shop.example,https://www.shop.example'));
  });

  it('refuses a context value that is no origin', () => {
    // Act + Assess
    expect(() =>
      buildApp({ context: { ...testContext(), [CORS_ORIGINS_CONTEXT_KEY]: 'shop.example' }, nag: false }),
    ).toThrow(`context "${CORS_ORIGINS_CONTEXT_KEY}"`);
  });
});
