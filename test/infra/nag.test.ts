import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type App, type PolicyValidationPluginReport, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, type IApplyRule, NagRuleCompliance } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type BuildAppOptions, STOREFRONT_WAF_CONTEXT_KEY } from '#infra/build-app.ts';
import { dataLake } from '#shared/config/index.ts';
import { DELIVERY_OBJECT_ACTIONS } from '#infra/constructs/data-lake.ts';
import {
  VPC_CREATE_INTERFACE_ACTIONS,
  VPC_DESCRIBE_ACTIONS,
  VPC_MANAGE_INTERFACE_ACTIONS,
} from '#infra/constructs/reco-function.ts';
import {
  actionsOf,
  logicalIdOf,
  modelTestContext,
  resourcesOf,
  type Statement,
  stubModelImageDirectory,
  testContext,
} from './helpers.ts';

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
 * The shapes of the app: without a model (popularity only), with a SageMaker endpoint, and with the
 * storefront's web ACL switched off (its stage then acknowledges APIG3 instead).
 */
const shapes: [string, () => BuildAppOptions][] = [
  ['without a model', () => ({ context: testContext() })],
  ['without the storefront WAF', () => ({ context: { ...testContext(), [STOREFRONT_WAF_CONTEXT_KEY]: false } })],
  [
    'with a model (reco:modelDataUrl)',
    () => ({ context: modelTestContext(), modelImageDirectory: stubModelImageDirectory() }),
  ],
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
    const bucketArn = { 'Fn::GetAtt': [logicalIdOf(stack.dataLake.bucket), 'Arn'] };
    const lakeObjectPatterns = [dataLake.eventsPrefix, dataLake.errorsPrefix].map((prefix) =>
      JSON.stringify({ 'Fn::Join': ['', [bucketArn, `/${prefix}*`]] }),
    );
    const isLakeObjectPattern = (resource: unknown): boolean => lakeObjectPatterns.includes(JSON.stringify(resource));

    // Act
    const wildcardStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
      .filter((statement) => resourcesOf(statement).some((resource) => JSON.stringify(resource).includes('*')));

    // Assess: every action on Resource "*" is one that supports no resource-level permission.
    const sorted = (statement: Statement) => JSON.stringify(actionsOf(statement).sort());
    const star = wildcardStatements.filter((statement) => resourcesOf(statement).includes('*'));
    const allowedOnStar = [
      ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
      // The rotation function: addRotationSchedule grants GetRandomPassword, merged with its X-Ray actions.
      ['secretsmanager:GetRandomPassword', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
      [...VPC_DESCRIBE_ACTIONS],
      ['ecr:GetAuthorizationToken'],
      ['cloudwatch:PutMetricData'],
    ].map((actions) => JSON.stringify(actions.sort()));
    expect(star.filter((statement) => sorted(statement) === allowedOnStar[0]).length).toBeGreaterThan(0);
    for (const statement of star) {
      expect(allowedOnStar, sorted(statement)).toContain(sorted(statement));
      if (actionsOf(statement).includes('cloudwatch:PutMetricData')) {
        expect(statement.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/Endpoints' } });
      }
    }
    // Network interfaces Lambda names itself: only the ENI actions, only on network-interface/*.
    const rest = wildcardStatements.filter((statement) => !star.includes(statement));
    const eni = rest.filter((statement) => JSON.stringify(statement.Resource).includes(':network-interface/*'));
    for (const statement of eni) {
      const actions = actionsOf(statement);
      const allowed = [...VPC_CREATE_INTERFACE_ACTIONS, ...VPC_MANAGE_INTERFACE_ACTIONS] as string[];
      expect(
        actions.every((action) => allowed.includes(action)),
        actions.join(),
      ).toBe(true);
    }
    expect(eni).toHaveLength(2);
    // Firehose objects under the lake prefixes.
    const lake = rest.filter((statement) => !eni.includes(statement));
    expect(lake).toHaveLength(1);
    for (const statement of lake) {
      expect(resourcesOf(statement).every(isLakeObjectPattern)).toBe(true);
      expect(actionsOf(statement)).toEqual([...DELIVERY_OBJECT_ACTIONS]);
    }
  });
});
