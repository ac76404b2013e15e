import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, type ApiKind, envVars, type RouteName } from '#shared/config/index.ts';
import { buildApp, STOREFRONT_RATE_LIMIT_CONTEXT_KEY, STOREFRONT_WAF_CONTEXT_KEY } from '#infra/build-app.ts';
import { ERASURE_HASH_KEY_LENGTH } from '#infra/constructs/erasure-hash-key.ts';
import { RecoFunction } from '#infra/constructs/reco-function.ts';
import { DEFAULT_STOREFRONT_RATE_LIMIT } from '#infra/constructs/storefront-waf.ts';
import { repoRoot } from '#infra/paths.ts';
import type { RecoStack } from '#infra/stacks/reco-stack.ts';
import {
  defined,
  actionsOf,
  logicalIdOf,
  refersTo,
  resourcesOf,
  roleLogicalIdOf,
  type Statement,
  statementsOfRole,
  testContext,
} from './helpers.ts';

const allRouteNames = Object.keys(api.routes) as RouteName[];
const routesFor = (kind: ApiKind): RouteName[] =>
  allRouteNames.filter((name) => (api.routeApis[name] as readonly ApiKind[]).includes(kind));

/** `<METHOD> <path>` of every non-OPTIONS method of a REST API, from its L2 methods. */
function routeSet(methods: Readonly<Partial<Record<RouteName, { httpMethod: string; resource: { path: string } }>>>) {
  return Object.values(methods)
    .map((method) => `${method?.httpMethod} ${method?.resource.path}`)
    .sort();
}

/** Every statement of every identity policy (inline or managed) in the template, with the roles it is on. */
function identityStatements(template: Template): { roles: string[]; statement: Statement }[] {
  return ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].flatMap((type) =>
    Object.values(template.findResources(type)).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Statement[]).map((statement) => ({
        roles: ((policy.Properties.Roles ?? []) as { Ref: string }[]).map((role) => role.Ref),
        statement,
      })),
    ),
  );
}

/** Roles whose identity policies allow `action` on the resource with this logical id (or on `*`). */
function rolesAllowed(template: Template, action: string, logicalId: string): string[] {
  const matches = (granted: string) =>
    granted === action || granted === '*' || (granted.endsWith('*') && action.startsWith(granted.slice(0, -1)));
  return [
    ...new Set(
      identityStatements(template)
        .filter(({ statement }) => statement.Effect === 'Allow' && actionsOf(statement).some(matches))
        .filter(({ statement }) =>
          resourcesOf(statement).some((resource) => resource === '*' || refersTo(resource, logicalId)),
        )
        .flatMap(({ roles }) => roles),
    ),
  ].sort();
}

/** Roles the key policy lets decrypt (besides the account root, which delegates to IAM). */
function keyDecrypters(template: Template, keyLogicalId: string): string[] {
  const key = template.findResources('AWS::KMS::Key')[keyLogicalId];
  const statements = key?.Properties.KeyPolicy.Statement as (Statement & { Principal: { AWS: unknown } })[];
  return statements
    .filter((statement) => actionsOf(statement).includes('kms:Decrypt'))
    .flatMap((statement) =>
      Array.isArray(statement.Principal.AWS) ? statement.Principal.AWS : [statement.Principal.AWS],
    )
    .flatMap((principal) => {
      const getAtt = (principal as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      return getAtt === undefined ? [] : [getAtt[0]];
    })
    .sort();
}

describe('Stack: access control', () => {
  let stack: RecoStack;
  let template: Template;

  beforeAll(() => {
    // Prepare + Act
    stack = buildApp({ context: testContext(), nag: false }).stack;
    template = Template.fromStack(stack);
  });

  describe('the two APIs', () => {
    it('give each API exactly its routes of api.routeApis', () => {
      const expected = (kind: ApiKind) =>
        routesFor(kind)
          .map((name) => `${api.routeMethods[name]} ${api.routes[name]}`)
          .sort();
      expect(routeSet(stack.storefrontApi.methods)).toEqual(expected('storefront'));
      expect(routeSet(stack.serverApi.methods)).toEqual(expected('server'));
      // And in the template: the non-preflight methods of each REST API.
      for (const [restApi, kind] of [
        [stack.storefrontApi.restApi, 'storefront'],
        [stack.serverApi.restApi, 'server'],
      ] as const) {
        const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter(
          (method) =>
            method.Properties.HttpMethod !== 'OPTIONS' &&
            JSON.stringify(method.Properties.RestApiId) === JSON.stringify({ Ref: logicalIdOf(restApi) }),
        );
        expect(methods, kind).toHaveLength(routesFor(kind).length);
      }
    });

    it('require the API key on every storefront method but health, and AWS_IAM on every server method', () => {
      const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
      const of = (restApi: { node: unknown }) =>
        methods.filter(
          (method) =>
            JSON.stringify(method.Properties.RestApiId) ===
            JSON.stringify({ Ref: logicalIdOf(restApi as Parameters<typeof logicalIdOf>[0]) }),
        );
      for (const name of routesFor('storefront')) {
        const method = stack.storefrontApi.methods[name];
        const found = of(stack.storefrontApi.restApi).filter(
          (candidate) =>
            candidate.Properties.HttpMethod === api.routeMethods[name] &&
            JSON.stringify(candidate.Properties.ResourceId) ===
              JSON.stringify({ Ref: logicalIdOf(method?.resource ?? stack.storefrontApi.restApi.root) }),
        );
        expect(found, name).toHaveLength(1);
        expect(found[0]?.Properties, name).toMatchObject({
          AuthorizationType: 'NONE',
          ApiKeyRequired: name !== 'health',
        });
      }
      const server = of(stack.serverApi.restApi);
      expect(server.length).toBeGreaterThan(0);
      for (const method of server) {
        expect(method.Properties).toMatchObject({ AuthorizationType: 'AWS_IAM', ApiKeyRequired: false });
      }
    });

    it("map MISSING_AUTHENTICATION_TOKEN to each API's own reason", () => {
      const reasonOf = (restApi: { node: unknown }) =>
        Object.values(template.findResources('AWS::ApiGateway::GatewayResponse'))
          .filter(
            (response) =>
              response.Properties.ResponseType === 'MISSING_AUTHENTICATION_TOKEN' &&
              JSON.stringify(response.Properties.RestApiId) ===
                JSON.stringify({ Ref: logicalIdOf(restApi as Parameters<typeof logicalIdOf>[0]) }),
          )
          .map((response) => JSON.parse(response.Properties.ResponseTemplates['application/json']).reason as string);
      expect(reasonOf(stack.storefrontApi.restApi)).toEqual([api.gatewayErrors.routeNotFound.reason]);
      expect(reasonOf(stack.serverApi.restApi)).toEqual([api.gatewayErrors.missingAuthentication.reason]);
    });

    it("answer every gateway error of both APIs as {reason, message}, the defaults with API Gateway's message", () => {
      for (const restApi of [stack.storefrontApi.restApi, stack.serverApi.restApi]) {
        const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).filter(
          (response) => JSON.stringify(response.Properties.RestApiId) === JSON.stringify({ Ref: logicalIdOf(restApi) }),
        );
        const bodies = new Map<string, unknown>(
          responses.map((response) => [
            response.Properties.ResponseType as string,
            // The one template variable stands for a quoted JSON string.
            JSON.parse(
              (response.Properties.ResponseTemplates['application/json'] as string).replaceAll(
                '$context.error.messageString',
                '"from API Gateway"',
              ),
            ),
          ]),
        );
        for (const [type, body] of bodies) {
          expect(Object.keys(body as object).sort(), `${restApi.node.path} ${type}`).toEqual(['message', 'reason']);
        }
        expect(bodies.get('DEFAULT_4XX'), restApi.node.path).toEqual({
          reason: api.gatewayErrors.badRequest.reason,
          message: 'from API Gateway',
        });
        expect(bodies.get('DEFAULT_5XX'), restApi.node.path).toEqual({
          reason: api.gatewayErrors.internalError.reason,
          message: 'from API Gateway',
        });
      }
    });

    it("end every function behind an API within API Gateway's 29 s integration timeout", () => {
      const functions = template.findResources('AWS::Lambda::Function');
      for (const fn of new Set(Object.values(stack.routeHandlers))) {
        expect(functions[logicalIdOf(fn)]?.Properties.Timeout, fn.node.path).toBeLessThanOrEqual(28);
      }
    });

    it('set the execution-log role once, for both APIs', () => {
      template.resourceCountIs('AWS::ApiGateway::Account', 1);
    });

    it('let each API invoke the functions of its own routes only', () => {
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
        (permission) => permission.Properties.Principal === 'apigateway.amazonaws.com',
      );
      for (const [restApi, kind] of [
        [stack.storefrontApi.restApi, 'storefront'],
        [stack.serverApi.restApi, 'server'],
      ] as const) {
        const mine = permissions.filter((permission) =>
          refersTo(permission.Properties.SourceArn, logicalIdOf(restApi)),
        );
        expect(mine, kind).toHaveLength(routesFor(kind).length);
        for (const name of routesFor(kind)) {
          const fnId = logicalIdOf(stack.routeHandlers[name]);
          const suffix = `/${api.routeMethods[name]}${api.routes[name].replace(/\{\w+\}/g, '*')}`;
          expect(
            mine.some(
              (permission) =>
                refersTo(permission.Properties.FunctionName, fnId) &&
                JSON.stringify(permission.Properties.SourceArn).includes(suffix),
            ),
            `${kind} ${name}`,
          ).toBe(true);
        }
      }
    });
  });

  describe('the storefront WAF', () => {
    it('associates a regional web ACL with the storefront stage, not the server one', () => {
      template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
      const [association] = Object.values(template.findResources('AWS::WAFv2::WebACLAssociation'));
      const arn = association?.Properties.ResourceArn;
      expect(refersTo(arn, logicalIdOf(stack.storefrontApi.restApi))).toBe(true);
      expect(refersTo(arn, logicalIdOf(stack.storefrontApi.restApi.deploymentStage))).toBe(true);
      expect(refersTo(arn, logicalIdOf(stack.serverApi.restApi))).toBe(false);
      expect(association?.Properties.WebACLArn).toEqual({
        'Fn::GetAtt': [logicalIdOf(stack.storefrontWaf?.webAcl ?? stack), 'Arn'],
      });
    });

    it('blocks an IP over the rate limit with 429 throttled', () => {
      const { reason, message } = api.gatewayErrors.throttled;
      template.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        DefaultAction: { Allow: {} },
        CustomResponseBodies: {
          throttled: { ContentType: 'APPLICATION_JSON', Content: JSON.stringify({ reason, message }) },
        },
        Rules: [
          {
            Name: 'RateLimitPerIp',
            Priority: 0,
            Statement: {
              RateBasedStatement: {
                Limit: DEFAULT_STOREFRONT_RATE_LIMIT,
                AggregateKeyType: 'IP',
                EvaluationWindowSec: 300,
              },
            },
            Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'throttled' } } },
            VisibilityConfig: {
              CloudWatchMetricsEnabled: true,
              SampledRequestsEnabled: true,
              MetricName: 'reco-storefront-rate-limit-per-ip',
            },
          },
        ],
      });
    });
  });

  describe('outputs', () => {
    it('name both APIs, the storefront key and the invoke policy, and no longer the single API', () => {
      template.hasOutput('StorefrontApiUrl', {});
      template.hasOutput('ServerApiUrl', {});
      template.hasOutput('StorefrontApiKeyId', { Value: { Ref: logicalIdOf(stack.storefrontApi.apiKey) } });
      template.hasOutput('ServerInvokePolicyArn', { Value: { Ref: logicalIdOf(stack.serverApi.invokePolicy) } });
      const outputs = Object.keys(template.findOutputs('*'));
      expect(outputs).not.toContain('ApiUrl');
      expect(outputs).not.toContain('ApiKeyId');
      expect(JSON.stringify(template.findOutputs('StorefrontApiUrl'))).toContain(
        logicalIdOf(stack.storefrontApi.restApi),
      );
      expect(JSON.stringify(template.findOutputs('ServerApiUrl'))).toContain(logicalIdOf(stack.serverApi.restApi));
    });
  });

  describe('function environments', () => {
    it('tell every function behind an API both API ids and the CORS origins, and no other function', () => {
      const behind = new Set(Object.values(stack.routeHandlers).map((fn) => logicalIdOf(fn)));
      const functions = template.findResources('AWS::Lambda::Function');
      expect(behind.size).toBe(5);
      for (const [id, fn] of Object.entries(functions)) {
        const variables = (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
        if (behind.has(id)) {
          expect(variables, id).toMatchObject({
            [envVars.storefrontApiId]: { Ref: logicalIdOf(stack.storefrontApi.restApi) },
            [envVars.serverApiId]: { Ref: logicalIdOf(stack.serverApi.restApi) },
            [envVars.corsAllowOrigins]: '*',
          });
        } else {
          expect(variables, id).not.toHaveProperty(envVars.storefrontApiId);
          expect(variables, id).not.toHaveProperty(envVars.serverApiId);
        }
      }
    });

    it('name each secret to the functions that read it, and never a key inline', () => {
      const variablesOf = (fn: RecoFunction) =>
        template.findResources('AWS::Lambda::Function')[logicalIdOf(fn)]?.Properties.Environment.Variables as Record<
          string,
          unknown
        >;
      const tokenKeys = { Ref: logicalIdOf(stack.userTokenKeys.secret) };
      const hashKey = { Ref: logicalIdOf(stack.erasureHashKey.secret) };
      for (const fn of [stack.ingestion.ingestFunction, stack.serving.recommendFunction, stack.admin.adminFunction]) {
        expect(variablesOf(fn)[envVars.userTokenKeysSecretArn], fn.node.path).toEqual(tokenKeys);
      }
      for (const fn of [stack.privacy.erasureFunction, stack.ingestion.processorFunction]) {
        expect(variablesOf(fn)[envVars.erasureHashKeySecretArn], fn.node.path).toEqual(hashKey);
      }
      for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
        const variables = (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
        expect(variables).not.toHaveProperty(envVars.userTokenKeys);
        expect(variables).not.toHaveProperty(envVars.erasureHashKey);
      }
    });
  });

  describe('secrets', () => {
    it('let only ingest, recommend and admin read the user-token keys, and only the rotation function write them', () => {
      const secretId = logicalIdOf(stack.userTokenKeys.secret);
      const readers = [stack.ingestion.ingestFunction, stack.serving.recommendFunction, stack.admin.adminFunction].map(
        roleLogicalIdOf,
      );
      const rotation = roleLogicalIdOf(stack.userTokenKeys.rotationFunction);
      expect(rolesAllowed(template, 'secretsmanager:GetSecretValue', secretId)).toEqual([...readers, rotation].sort());
      for (const action of ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage']) {
        expect(rolesAllowed(template, action, secretId), action).toEqual([rotation]);
      }
      expect(keyDecrypters(template, logicalIdOf(stack.userTokenKeys.key))).toEqual([...readers, rotation].sort());
    });

    it('let only the erasure and processor functions and the training export read the erasure hash key, and nothing write it', () => {
      const secretId = logicalIdOf(stack.erasureHashKey.secret);
      const readers = [
        ...[stack.privacy.erasureFunction, stack.ingestion.processorFunction].map(roleLogicalIdOf),
        logicalIdOf(stack.training.roles.exportRole),
      ].sort();
      expect(rolesAllowed(template, 'secretsmanager:GetSecretValue', secretId)).toEqual(readers);
      expect(rolesAllowed(template, 'secretsmanager:PutSecretValue', secretId)).toEqual([]);
      expect(keyDecrypters(template, logicalIdOf(stack.erasureHashKey.key))).toEqual(readers);
    });

    it('rotate the user-token keys every 30 days with their own function, and never the erasure hash key', () => {
      template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
      template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
        SecretId: { Ref: logicalIdOf(stack.userTokenKeys.secret) },
        RotationLambdaARN: { 'Fn::GetAtt': [logicalIdOf(stack.userTokenKeys.rotationFunction), 'Arn'] },
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'secretsmanager.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [logicalIdOf(stack.userTokenKeys.rotationFunction), 'Arn'] },
      });
    });

    it('generate the erasure hash key at deploy, 64 letters and digits, kept when the stack is deleted', () => {
      const secret = template.findResources('AWS::SecretsManager::Secret')[logicalIdOf(stack.erasureHashKey.secret)];
      expect(secret?.Properties.GenerateSecretString).toEqual({
        PasswordLength: ERASURE_HASH_KEY_LENGTH,
        ExcludePunctuation: true,
      });
      expect(ERASURE_HASH_KEY_LENGTH).toBe(64);
      expect(secret?.DeletionPolicy).toBe('Retain');
      expect(secret?.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [logicalIdOf(stack.erasureHashKey.key), 'Arn'] });
      const key = template.findResources('AWS::KMS::Key')[logicalIdOf(stack.erasureHashKey.key)];
      expect(key?.DeletionPolicy).toBe('Retain');
    });

    it('encrypt the user-token keys with their own rotated KMS key', () => {
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(stack.userTokenKeys.key), 'Arn'] },
      });
      template.hasResourceProperties('AWS::KMS::Key', {
        Description: 'Encrypts the reco user-token signing keys',
        EnableKeyRotation: true,
      });
    });
  });

  describe('the Secrets Manager VPC endpoint', () => {
    it('serves the isolated subnets with private DNS, HTTPS from the recommend function only', () => {
      const endpoint = defined(stack.serving.network, 'serving network').secretsManagerEndpoint;
      expect(endpoint).toBeDefined();
      const resource = template.findResources('AWS::EC2::VPCEndpoint')[logicalIdOf(endpoint ?? stack)];
      expect(resource?.Properties).toMatchObject({
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        SubnetIds: defined(stack.serving.network, 'serving network').vpc.isolatedSubnets.map((subnet) => ({
          Ref: logicalIdOf(subnet),
        })),
      });
      expect(JSON.stringify(resource?.Properties.ServiceName)).toContain('.secretsmanager');
      const groupId = logicalIdOf(endpoint?.connections.securityGroups[0] ?? stack);
      const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter((rule) =>
        refersTo(rule.Properties.GroupId, groupId),
      );
      expect(ingress.map((rule) => rule.Properties)).toEqual([
        expect.objectContaining({
          FromPort: 443,
          ToPort: 443,
          SourceSecurityGroupId: {
            'Fn::GetAtt': [
              logicalIdOf(defined(stack.serving.functionSecurityGroup, 'function security group')),
              'GroupId',
            ],
          },
        }),
      ]);
      const group = template.findResources('AWS::EC2::SecurityGroup')[groupId];
      expect(group?.Properties.SecurityGroupIngress).toBeUndefined();
    });

    it('carries reads of the user-token keys only', () => {
      const endpoint = defined(stack.serving.network, 'serving network').secretsManagerEndpoint;
      const resource = template.findResources('AWS::EC2::VPCEndpoint')[logicalIdOf(endpoint ?? stack)];
      expect(resource?.Properties.PolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
          Resource: { Ref: logicalIdOf(stack.userTokenKeys.secret) },
        },
      ]);
    });
  });
});

describe('Stack: storefront WAF from context', () => {
  it('is switched off by reco:storefrontWaf=false', () => {
    // Act
    const { stack } = buildApp({ context: { ...testContext(), [STOREFRONT_WAF_CONTEXT_KEY]: 'false' }, nag: false });

    // Assess
    const template = Template.fromStack(stack);
    expect(stack.storefrontWaf).toBeUndefined();
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });

  it.each(['0', 'no', 'False', 'maybe'])('refuses reco:storefrontWaf=%s, naming the key', (value) => {
    // Act
    const build = () => buildApp({ context: { ...testContext(), [STOREFRONT_WAF_CONTEXT_KEY]: value }, nag: false });

    // Assess
    expect(build).toThrow(`context "${STOREFRONT_WAF_CONTEXT_KEY}" must be true or false, not "${value}"`);
  });

  it('refuses a misspelled reco: context key, naming it, rather than leave its setting at the default', () => {
    // Act
    const build = () => buildApp({ context: { ...testContext(), 'reco:shap': 'lean' }, nag: false });

    // Assess
    expect(build).toThrow(/unknown context "reco:shap"; the app reads .*reco:shape/);
  });

  it('takes its limit from reco:storefrontRateLimit', () => {
    // Act
    const { stack } = buildApp({
      context: { ...testContext(), [STOREFRONT_RATE_LIMIT_CONTEXT_KEY]: '5000' },
      nag: false,
    });

    // Assess
    expect(stack.storefrontWaf?.rateLimit).toBe(5000);
    Template.fromStack(stack).hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: [{ Statement: { RateBasedStatement: { Limit: 5000 } } }],
    });
  });

  it.each(['lots', '5'])('refuses reco:storefrontRateLimit=%s', (value) => {
    // Act + Assess
    expect(() =>
      buildApp({ context: { ...testContext(), [STOREFRONT_RATE_LIMIT_CONTEXT_KEY]: value }, nag: false }),
    ).toThrow(/storefrontRateLimit|rateLimit/);
  });
});

/** Repository files in a function's bundle (no dependencies), relative to the repository. */
async function bundledSources(entry: string): Promise<string[]> {
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs).filter((input) => !input.includes('node_modules'));
}

describe('Guard: every GetSecretValue the code makes is allowed by the synthesised policy', () => {
  it('lets each function that sends GetSecretValue read every secret its environment names', async () => {
    // Prepare
    const { stack } = buildApp({ context: testContext(), nag: false });
    const template = Template.fromStack(stack);
    const functions = stack.node
      .findAll()
      .filter((construct): construct is RecoFunction => construct instanceof RecoFunction);
    const secretIds = new Set(Object.keys(template.findResources('AWS::SecretsManager::Secret')));

    // Act
    const callers: string[] = [];
    for (const fn of functions) {
      const sources = await bundledSources(fn.entry);
      const sends = sources.filter((source) =>
        /new GetSecretValueCommand\(/.test(readFileSync(path.join(repoRoot, source), 'utf8')),
      );
      const variables = (template.findResources('AWS::Lambda::Function')[logicalIdOf(fn)]?.Properties.Environment
        ?.Variables ?? {}) as Record<string, unknown>;
      // Secrets a function reads: those its environment names, and those it rotates (Secrets
      // Manager passes the rotated secret's id in the event).
      const named = [
        ...Object.entries(variables)
          .filter(([name]) => name.endsWith('_SECRET_ARN'))
          .map(([name, value]) => [name, (value as { Ref?: string }).Ref] as const),
        ...Object.values(template.findResources('AWS::SecretsManager::RotationSchedule'))
          .filter((schedule) => refersTo(schedule.Properties.RotationLambdaARN, logicalIdOf(fn)))
          .map((schedule) => ['rotated secret', (schedule.Properties.SecretId as { Ref?: string }).Ref] as const),
      ];

      // Assess
      if (sends.length > 0) {
        callers.push(fn.node.path);
        expect(
          named.length,
          `${fn.node.path} sends GetSecretValue (${sends.join(', ')}) but names no secret`,
        ).toBeGreaterThan(0);
      }
      for (const [name, secretId] of named) {
        expect(secretId !== undefined && secretIds.has(secretId), `${fn.node.path} ${name}`).toBe(true);
        const allowed = statementsOfRole(template, roleLogicalIdOf(fn)).some(
          (statement) =>
            actionsOf(statement).includes('secretsmanager:GetSecretValue') &&
            resourcesOf(statement).some((resource) => refersTo(resource, secretId ?? '')),
        );
        expect(allowed, `${fn.node.path} may not GetSecretValue on ${name}`).toBe(true);
      }
    }
    // The admin function mints tokens with the keys it reads and the rotation function rewrites them:
    // the guard has at least those calls to hold.
    expect(callers).toEqual(
      expect.arrayContaining([stack.admin.adminFunction.node.path, stack.userTokenKeys.rotationFunction.node.path]),
    );
  }, 60_000);
});
