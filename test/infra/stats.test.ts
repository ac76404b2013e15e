import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { featureKeys } from '#shared/adapters/dynamoFeatureStore.ts';
import { api, envVars, metricsNamespace, type RouteName } from '#shared/config/index.ts';
import { DEGRADED_CAUSES } from '#shared/stats/report.ts';
import { ATTRIBUTION_KEY_PREFIX } from '#infra/constructs/feature-store.ts';
import type { RecoStack } from '#infra/stacks/reco-stack.ts';
import {
  actionsOf,
  buildTestApp,
  logicalIdOf,
  refersTo,
  resourcesOf,
  roleLogicalIdOf,
  statementsAllowing,
  statementsOfRole,
} from './helpers.ts';

/*
 * What `GET /v1/admin/stats` needs in AWS: the admin function (outside the VPC) reads CloudWatch
 * metrics and the feature table's attribution counters and nothing more of it, knows the processor
 * it reports the lag of; and the CloudWatch dashboard charts the same metrics.
 */

describe('Stack: stats', () => {
  let stack: RecoStack;
  let template: Template;

  beforeAll(() => {
    stack = buildTestApp().stack;
    template = Template.fromStack(stack);
  });

  describe('the admin function', () => {
    it('is the only function that may GetMetricData, alone in its statement on "*"', () => {
      // Prepare
      const adminRole = roleLogicalIdOf(stack.admin.adminFunction);
      const policies = template.findResources('AWS::IAM::Policy');

      // Act
      const granted = Object.values(policies).filter((policy) =>
        JSON.stringify(policy.Properties.PolicyDocument).includes('cloudwatch:GetMetricData'),
      );

      // Assess
      expect(granted).toHaveLength(1);
      expect(granted[0]?.Properties.Roles).toEqual([{ Ref: adminRole }]);
      expect(granted[0]?.Properties.PolicyDocument.Statement).toEqual([
        { Action: 'cloudwatch:GetMetricData', Effect: 'Allow', Resource: '*' },
      ]);
    });

    it('may only Query the feature table, only for attribution keys, and no index', () => {
      // Prepare
      const tableId = logicalIdOf(stack.featureStore.table);

      // Act
      const onTable = statementsOfRole(template, roleLogicalIdOf(stack.admin.adminFunction)).filter((statement) =>
        resourcesOf(statement).some((resource) => refersTo(resource, tableId)),
      );

      // Assess
      expect(onTable).toEqual([
        {
          Action: 'dynamodb:Query',
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${ATTRIBUTION_KEY_PREFIX}*`] } },
        },
      ]);
      expect(featureKeys.attribution('v1', '2026-12-07', 'personal').pk.startsWith(ATTRIBUTION_KEY_PREFIX)).toBe(true);
    });

    it('is told the feature table, the processor and the fallback version, and runs outside the VPC', () => {
      // Act
      const fn = template.findResources('AWS::Lambda::Function')[logicalIdOf(stack.admin.adminFunction)];

      // Assess
      expect(fn?.Properties.VpcConfig).toBeUndefined();
      expect(fn?.Properties.Environment.Variables).toMatchObject({
        [envVars.featureTableName]: { Ref: logicalIdOf(stack.featureStore.table) },
        [envVars.processorFunctionName]: { Ref: logicalIdOf(stack.ingestion.processorFunction) },
        [envVars.modelVersion]: expect.any(String),
      });
    });

    it('serves the stats route on the server API only', () => {
      expect(api.routeApis.stats).toEqual(['server']);
      expect(stack.routeHandlers.stats).toBe(stack.admin.adminFunction);
      expect(stack.serverApi.methods.stats).toBeDefined();
      const writes = statementsOfRole(template, roleLogicalIdOf(stack.admin.adminFunction)).flatMap(actionsOf);
      expect(writes.filter((action) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(action))).toEqual([]);
      expect(
        statementsAllowing(statementsOfRole(template, roleLogicalIdOf(stack.admin.adminFunction)), 'dynamodb:Scan'),
      ).toEqual([]);
    });
  });

  describe('the CloudWatch dashboard', () => {
    let body: string;

    beforeAll(() => {
      const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
      body = JSON.stringify(dashboard?.Properties.DashboardBody);
    });

    it('charts events, cache hits, degraded answers and every fallback cause of the functions’ namespace', () => {
      for (const metric of [
        'EventsAccepted',
        'EventsProcessed',
        'CacheHit',
        'CacheMiss',
        'DegradedAnswer',
        ...DEGRADED_CAUSES,
      ]) {
        expect(body).toContain(`\\"${metricsNamespace}\\",\\"${metric}\\"`);
      }
      expect(body).toContain('100 * hit / (hit + miss)');
    });

    it("charts the processor's IteratorAge maximum", () => {
      expect(body).toContain('\\"AWS/Lambda\\",\\"IteratorAge\\",\\"FunctionName\\",\\"');
      expect(body).toContain(logicalIdOf(stack.ingestion.processorFunction));
      expect(body).toContain('\\"stat\\":\\"Maximum\\"');
    });

    it('charts latency p50, p90 and p99 of every route', () => {
      for (const route of Object.keys(api.routes) as RouteName[]) {
        expect(body).toContain(`\\"Latency\\",\\"route\\",\\"${route}\\",\\"service\\",\\"reco\\"`);
      }
      for (const percentile of ['p50', 'p90', 'p99']) expect(body).toContain(`\\"stat\\":\\"${percentile}\\"`);
    });
  });
});
