import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { buildApp, type RecoApp } from '#infra/build-app.ts';
import { ErasureHashKeySecret } from '#infra/constructs/erasure-hash-key.ts';
import { UserTokenKeysSecret } from '#infra/constructs/user-token-keys.ts';
import { repoRoot } from '#infra/paths.ts';

/** Context key telling the CDK to bundle no stack's assets (no esbuild run in tests). */
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] } as const;

/**
 * The context `cdk synth` runs with (feature flags and `reco:*` values from cdk.json), plus
 * "skip bundling": tests synthesise what the CLI synthesises, minus the esbuild runs.
 */
export function testContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(repoRoot, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return { ...cdkJson.context, ...SKIP_BUNDLING };
}

/** Files of {@link stubModelImageDirectory}, relative to it. */
const STUB_MODEL_CONTEXT: Readonly<Record<string, string>> = {
  'model/Dockerfile': 'FROM scratch\n',
  'model/Dockerfile.dockerignore': '# comment\n**\n!model/\n',
  'model/serve.ts': '// stub\n',
  'other/ignored.txt': 'not part of the context\n',
};

/**
 * A build context (one fixed directory under the OS temp dir, never in the repository) holding a
 * one-line `model/Dockerfile`, its `.dockerignore` and a file that must not be staged: a stand-in
 * for the repository root that synthesis can stage quickly. The image is never built in tests.
 * Files are only written when missing or different, so parallel test files can share it.
 */
export function stubModelImageDirectory(): string {
  const directory = path.join(tmpdir(), 'reco-infra-test-model-image');
  for (const [file, content] of Object.entries(STUB_MODEL_CONTEXT)) {
    const target = path.join(directory, file);
    if (existsSync(target) && readFileSync(target, 'utf8') === content) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return directory;
}

/** An empty, environment-agnostic stack in an app with {@link testContext}. */
export function newTestStack(): Stack {
  return new Stack(new App({ context: testContext() }), 'Test');
}

/** A minimal function (inline code, nothing to bundle) to bind resources to. */
export function newPlainFunction(scope: Stack, id: string): lambda.Function {
  return new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('export const handler = async () => {};'),
  });
}

/**
 * The two secrets the function constructs bind to. The user-token keys bring their rotation
 * function, so a stack holding them has one Lambda function more than the construct under test.
 */
export function newSecrets(scope: Stack): { userTokenKeys: UserTokenKeysSecret; erasureHashKey: ErasureHashKeySecret } {
  return {
    userTokenKeys: new UserTokenKeysSecret(scope, 'UserTokenKeys'),
    erasureHashKey: new ErasureHashKeySecret(scope, 'ErasureHashKey'),
  };
}

/** Logical id of an L2 construct's CloudFormation resource (or of an L1 resource itself). */
export function logicalIdOf(construct: IConstruct): string {
  if (construct instanceof CfnElement) return Stack.of(construct).getLogicalId(construct);
  const resource = construct.node.defaultChild as CfnElement | undefined;
  if (resource === undefined) throw new Error(`${construct.node.path} has no default child`);
  return Stack.of(construct).getLogicalId(resource);
}

/** Logical id of a function's execution role. */
export function roleLogicalIdOf(fn: lambda.IFunction): string {
  if (fn.role === undefined) throw new Error(`${fn.node.path} has no role`);
  return logicalIdOf(fn.role);
}

/** One IAM policy statement as synthesised. */
export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** Actions of a statement, always as an array. */
export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** Resources of a statement, always as an array. */
export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** Every statement of every `AWS::IAM::Policy` attached to the role with this logical id. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/** Whether `value` (a resource ARN expression) refers to the resource with this logical id. */
export function refersTo(value: unknown, logicalId: string): boolean {
  return JSON.stringify(value).includes(`"${logicalId}"`);
}

/** `{ 'Fn::GetAtt': [logicalId, 'Arn'] }` */
export function arnOf(logicalId: string): { 'Fn::GetAtt': [string, string] } {
  return { 'Fn::GetAtt': [logicalId, 'Arn'] };
}

/** `Fn::Join` of `<bucket ARN>/<pattern>`, as `bucket.arnForObjects(pattern)` synthesises. */
export function objectArnOf(bucketLogicalId: string, pattern: string): unknown {
  return { 'Fn::Join': ['', [arnOf(bucketLogicalId), `/${pattern}`]] };
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>`, as the stack's `formatArn` synthesises it. */
export function stackArnOf(service: string, resource: string): unknown {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        `:${service}:`,
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:${resource}`,
      ],
    ],
  };
}

/** The statements that allow `action`. */
export function statementsAllowing(statements: readonly Statement[], action: string): Statement[] {
  return statements.filter((statement) => statement.Effect === 'Allow' && actionsOf(statement).includes(action));
}

/** The app as `cdk synth` builds it, minus bundling and cdk-nag, with the stub model image context. */
export function buildTestApp(context: Record<string, unknown> = {}): RecoApp {
  return buildApp({
    context: { ...testContext(), ...context },
    nag: false,
    modelImageDirectory: stubModelImageDirectory(),
  });
}

/** `value`, or a thrown error naming what is missing (for parts only some shapes have). */
export function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not part of this stack`);
  return value;
}
