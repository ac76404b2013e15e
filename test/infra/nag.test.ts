import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type App, type PolicyValidationPluginReport, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, type IApplyRule, NagRuleCompliance } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type BuildAppOptions, SHAPE_CONTEXT_KEY, STOREFRONT_WAF_CONTEXT_KEY } from '#infra/build-app.ts';
import { dataLake } from '#shared/config/index.ts';
import { pipelinePaths } from '#shared/training/pipeline.ts';
import { DELIVERY_OBJECT_ACTIONS } from '#infra/constructs/data-lake.ts';
import { TEARDOWN_LIST_ACTIONS } from '#infra/constructs/pipeline-teardown.ts';
import { CLEAN_UP_LIST_ACTIONS } from '#infra/constructs/pipeline-function.ts';
import {
  VPC_CREATE_INTERFACE_ACTIONS,
  VPC_DESCRIBE_ACTIONS,
  VPC_MANAGE_INTERFACE_ACTIONS,
} from '#infra/constructs/reco-function.ts';
import { actionsOf, logicalIdOf, resourcesOf, type Statement, testContext } from './helpers.ts';

/** An acknowledgement as recorded by `Validations.of(scope).acknowledge()`. */
interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: unknown;
}

/** A rule hit before acknowledgements are applied. */
interface RawFinding {
  readonly path: string;
  readonly ruleId: string;
}

/**
 * AwsSolutionsChecks that also records every finding before acknowledgements filter it, so the
 * test can tell which acknowledgements are still needed. Rule ids are built exactly as in
 * NagPack.applyRule: `<pack>-<rule>` or `<pack>-<rule>[<finding>]`.
 */
class RecordingAwsSolutionsChecks extends AwsSolutionsChecks {
  public readonly rawFindings: RawFinding[] = [];

  protected override applyRule(params: IApplyRule): void {
    const ruleId = `${this.readPackName}-${params.ruleSuffixOverride ?? params.rule.name}`;
    const path = params.node.node.path;
    try {
      const result = params.rule(params.node);
      if (result === NagRuleCompliance.NON_COMPLIANT) this.rawFindings.push({ path, ruleId });
      else if (Array.isArray(result)) {
        for (const finding of result) this.rawFindings.push({ path, ruleId: `${ruleId}[${finding}]` });
      }
    } catch {
      this.rawFindings.push({ path, ruleId });
    }
    super.applyRule(params);
  }
}

/**
 * Acknowledgements aws-cdk-lib makes itself for its own CloudFormation validation (e.g. `Stack`
 * for `Fn::GetAZs`, `FlowLog` for camelCase destination options); not ours, not cdk-nag's.
 */
const CDK_VALIDATION_ACK = /^CloudFormation-Validate::/;

function collectAcknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>)
          .filter(([qualifiedId]) => !CDK_VALIDATION_ACK.test(qualifiedId))
          .map(([qualifiedId, reason]) => ({
            path: construct.node.path,
            // Validations stores ids as 'Annotation::<id>'; cdk-nag strips the prefix the same way.
            id: qualifiedId.replace(/^annotation::/i, ''),
            reason,
          })),
      ),
  );
}

function describeViolations(report: PolicyValidationPluginReport): string[] {
  return report.violations.map(
    (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
  );
}

/**
 * The shapes of the app: as cdk.json builds it (the default shape), with the storefront's web ACL
 * switched off (its stage then acknowledges APIG3 instead), and the lean shape (no VPC, serverless
 * endpoint, no web ACL).
 */
const shapes: [string, () => BuildAppOptions][] = [
  ['as configured', () => ({ context: testContext() })],
  ['without the storefront WAF', () => ({ context: { ...testContext(), [STOREFRONT_WAF_CONTEXT_KEY]: false } })],
  ['in the lean shape', () => ({ context: { ...testContext(), [SHAPE_CONTEXT_KEY]: 'lean' } })],
];

describe.each(shapes)('cdk-nag: AwsSolutionsChecks, app %s', (_, optionsOf) => {
  let app: App;
  let report: PolicyValidationPluginReport;
  let recorder: RecordingAwsSolutionsChecks;
  let acknowledgements: Acknowledgement[];
  let outdir: string;

  beforeAll(() => {
    // Prepare: the app exactly as infra/app.ts builds it (the pack is registered), minus bundling.
    outdir = mkdtempSync(path.join(tmpdir(), 'reco-nag-'));
    const built = buildApp({ ...optionsOf(), outdir });
    app = built.app;
    if (built.nagPack === undefined) throw new Error('buildApp() registered no cdk-nag pack');

    // Act
    report = built.nagPack.validateScope(app);
    recorder = new RecordingAwsSolutionsChecks();
    recorder.validateScope(app);
    acknowledgements = collectAcknowledgements(app);
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  it('reports zero unacknowledged errors and warnings', () => {
    expect(describeViolations(report)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('lets the synth pass CDK policy validation with an empty report', () => {
    // Act: synth runs the registered plugin and throws on errors.
    app.synth();

    // Assess: warnings (and annotations, with @aws-cdk/core:annotationsInValidationReport) land here too.
    const reportFile = path.join(outdir, 'validation-report.json');
    const violations = existsSync(reportFile)
      ? (
          JSON.parse(readFileSync(reportFile, 'utf8')) as { pluginReports: { violations?: unknown[] }[] }
        ).pluginReports.flatMap((plugin) => plugin.violations ?? [])
      : [];
    expect(violations).toEqual([]);
  });

  it('gives every acknowledgement a specific written reason', () => {
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { path: at, id, reason } of acknowledgements) {
      expect(id, at).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(typeof reason, `${id} at ${at}`).toBe('string');
      expect((reason as string).trim().length, `${id} at ${at}`).toBeGreaterThanOrEqual(80);
    }
  });

  it('acknowledges only findings that occur at or below the acknowledging construct', () => {
    const unused = acknowledgements.filter(
      (ack) =>
        !recorder.rawFindings.some(
          (finding) =>
            finding.ruleId === ack.id && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`)),
        ),
    );
    expect(unused.map((ack) => `${ack.id} at ${ack.path}`)).toEqual([]);
  });

  it('acknowledges nothing at app or stack level', () => {
    const stackPaths = new Set(app.node.children.map((child) => child.node.path));
    expect(acknowledgements.filter((ack) => ack.path === '' || stackPaths.has(ack.path))).toEqual([]);
  });

  it('uses wildcard resources only where AWS allows nothing narrower (acknowledged IAM5)', () => {
    // Prepare
    const { stack } = buildApp({ ...optionsOf(), nag: false });
    const template = Template.fromStack(stack);
    const prefix = stack.training.namePrefix;
    const lakeId = logicalIdOf(stack.dataLake.bucket);
    const artifactsId = logicalIdOf(stack.modelArtifacts.bucket);
    const objectsOf = (bucketId: string, objectPrefix: string) =>
      JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${objectPrefix}*`]] });
    const lakeObjects = [dataLake.eventsPrefix, dataLake.errorsPrefix].map((lakePrefix) =>
      objectsOf(lakeId, lakePrefix),
    );
    const artifactObjects = [pipelinePaths.datasets, pipelinePaths.models].map((artifactPrefix) =>
      objectsOf(artifactsId, artifactPrefix),
    );

    // Act
    const wildcardStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
      .filter((statement) => resourcesOf(statement).some((resource) => JSON.stringify(resource).includes('*')));

    // Assess: every action on Resource "*" is one that supports no resource-level permission.
    const star = wildcardStatements.filter((statement) => resourcesOf(statement).includes('*'));
    const allowedOnStar = new Set<string>([
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      // The rotation function: addRotationSchedule grants GetRandomPassword.
      'secretsmanager:GetRandomPassword',
      ...VPC_DESCRIBE_ACTIONS,
      'ecr:GetAuthorizationToken',
      'cloudwatch:PutMetricData',
      // The admin function's stats read metrics (GetMetricData has no resource-level permission).
      'cloudwatch:GetMetricData',
      // The state machine's execution log (vended log delivery).
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
      // Clean-up and teardown list SageMaker names before acting on the prefixed ones.
      ...CLEAN_UP_LIST_ACTIONS,
      ...TEARDOWN_LIST_ACTIONS,
    ]);
    expect(star.length).toBeGreaterThan(0);
    for (const statement of star) {
      expect(
        actionsOf(statement).filter((action) => !allowedOnStar.has(action)),
        JSON.stringify(statement),
      ).toEqual([]);
      if (actionsOf(statement).includes('cloudwatch:GetMetricData')) {
        expect(actionsOf(statement)).toEqual(['cloudwatch:GetMetricData']);
      }
      if (actionsOf(statement).includes('cloudwatch:PutMetricData')) {
        expect(actionsOf(statement)).toEqual(['cloudwatch:PutMetricData']);
        expect(statement.Condition).toEqual({
          StringEquals: {
            'cloudwatch:namespace': expect.stringMatching(
              /^\/aws\/sagemaker\/(Endpoints|TrainingJobs|ProcessingJobs)$/,
            ),
          },
        });
      }
    }

    // Every other wildcard is a pattern of names AWS or the pipeline gives at run time, each for its actions only.
    const teardownHandlerId = logicalIdOf(stack.trainingTeardown.handler);
    const patterns: {
      readonly name: string;
      readonly matches: (resource: string) => boolean;
      readonly actions: RegExp;
    }[] = [
      {
        name: 'network interfaces Lambda names',
        matches: (resource) => resource.includes(':network-interface/*'),
        actions: new RegExp(`^(${[...VPC_CREATE_INTERFACE_ACTIONS, ...VPC_MANAGE_INTERFACE_ACTIONS].join('|')})$`),
      },
      {
        name: 'lake objects Firehose names',
        matches: (resource) => lakeObjects.includes(resource),
        actions: new RegExp(`^(${[...DELIVERY_OBJECT_ACTIONS].join('|')})$`),
      },
      {
        name: 'datasets and models the pipeline names',
        matches: (resource) => artifactObjects.includes(resource),
        actions: /^s3:(GetObject|PutObject|AbortMultipartUpload|DeleteObject)$/,
      },
      {
        name: 'SageMaker names with the pipeline prefix',
        matches: (resource) => resource.includes(`/${prefix}-*"`),
        actions: /^sagemaker:/,
      },
      {
        name: "the pipeline's job log streams",
        matches: (resource) => resource.includes(`:log-stream:${prefix}-*"`),
        actions: /^logs:(CreateLogStream|PutLogEvents)$/,
      },
      {
        name: 'scalable targets (generated ids, conditions on namespace and dimension)',
        matches: (resource) => resource.includes(':scalable-target/*"'),
        actions: /^application-autoscaling:/,
      },
      {
        name: "the variant's target tracking alarms",
        matches: (resource) =>
          resource.includes(`:alarm:TargetTracking-endpoint/${stack.serving.modelEndpoint.endpointName}/`),
        actions: /^cloudwatch:(PutMetricAlarm|DescribeAlarms|DeleteAlarms)$/,
      },
      {
        name: "the pipeline's executions",
        matches: (resource) => resource.includes(':execution:'),
        actions: /^states:StopExecution$/,
      },
      {
        name: 'versions of the teardown handler (CDK provider framework)',
        matches: (resource) => resource.includes(teardownHandlerId) && resource.endsWith(':*"]]}'),
        actions: /^lambda:InvokeFunction$/,
      },
    ];
    const rest = wildcardStatements.filter((statement) => !star.includes(statement));
    const used = new Set<string>();
    for (const statement of rest) {
      for (const resource of resourcesOf(statement).map((item) => JSON.stringify(item))) {
        if (!resource.includes('*')) continue;
        const pattern = patterns.find((candidate) => candidate.matches(resource));
        expect(pattern?.name, resource).toBeDefined();
        used.add(pattern?.name ?? '');
        for (const action of actionsOf(statement))
          expect(action, `${pattern?.name}: ${resource}`).toMatch(pattern?.actions ?? /$^/);
        if (pattern?.name.startsWith('scalable targets')) {
          expect(statement.Condition).toMatchObject({
            StringEquals: { 'application-autoscaling:service-namespace': 'sagemaker' },
          });
        }
      }
    }
    // Without a VPC no function manages network interfaces; without real-time instances nothing scales them.
    const inVpc = stack.serving.network !== undefined;
    const realtime = stack.serving.modelEndpoint.deployment.mode === 'realtime';
    const expected = patterns
      .map((pattern) => pattern.name)
      .filter((name) => inVpc || name !== 'network interfaces Lambda names')
      .filter((name) => realtime || name !== "the variant's target tracking alarms");
    expect([...used].sort()).toEqual(expected.sort());
    expect(
      rest.filter((statement) => JSON.stringify(statement.Resource).includes(':network-interface/*')),
    ).toHaveLength(inVpc ? 2 : 0);
  });
});
