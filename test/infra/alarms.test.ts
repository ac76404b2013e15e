import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarms, metricsNamespace, serviceName } from '#shared/config/index.ts';
import { Alarms } from '#infra/constructs/alarms.ts';
import { buildApp } from '#infra/build-app.ts';
import type { RecoStack } from '#infra/stacks/reco-stack.ts';
import { logicalIdOf, newTestStack, testContext } from './helpers.ts';

interface AlarmQuery {
  readonly Id: string;
  readonly Expression?: string;
  readonly ReturnData?: boolean;
  readonly MetricStat?: {
    readonly Metric: {
      readonly Namespace: string;
      readonly MetricName: string;
      readonly Dimensions: readonly { Name: string; Value: string }[];
    };
    readonly Period: number;
    readonly Stat: string;
  };
}

describe('Construct: Alarms', () => {
  let template: Template;

  beforeAll(() => {
    // Prepare
    const stack = newTestStack();

    // Act
    new Alarms(stack, 'Alarms');
    template = Template.fromStack(stack);
  });

  it('creates two alarms and nothing else, without actions (the deployer chooses them)', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    expect(Object.keys(template.toJSON().Resources as object)).toHaveLength(2);
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect((alarm.Properties as Record<string, unknown>).AlarmActions).toBeUndefined();
    }
  });

  it('alarms when processor records failed in 5 minutes, on the metric the processor emits', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: metricsNamespace,
      MetricName: 'FailedRecords',
      Dimensions: [{ Name: 'service', Value: serviceName }],
      Statistic: 'Sum',
      Period: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms when over 20 % of answers are degraded for 3 of 3 periods of 5 minutes, in periods with enough answers', () => {
    const degraded = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find(
      (alarm) => (alarm.Properties as { Metrics?: unknown }).Metrics !== undefined,
    );
    const properties = degraded?.Properties as {
      Metrics: AlarmQuery[];
      Threshold: number;
      EvaluationPeriods: number;
      DatapointsToAlarm: number;
      ComparisonOperator: string;
      TreatMissingData: string;
    };
    expect(properties).toMatchObject({
      Threshold: 20,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    const expression = properties.Metrics.find((query) => query.Expression !== undefined);
    expect(expression?.Expression).toBe(
      `IF(FILL(hit, 0) + FILL(miss, 0) + FILL(bypass, 0) >= ${alarms.degradedMinAnswers}, ` +
        '100 * FILL(degraded, 0) / (FILL(hit, 0) + FILL(miss, 0) + FILL(bypass, 0)), 0)',
    );
    const inputs = Object.fromEntries(
      properties.Metrics.filter((query) => query.MetricStat !== undefined).map((query) => [query.Id, query]),
    );
    expect(Object.keys(inputs).sort()).toEqual(['bypass', 'degraded', 'hit', 'miss']);
    const names = { degraded: 'DegradedAnswer', hit: 'CacheHit', miss: 'CacheMiss', bypass: 'CacheBypass' };
    for (const [id, metricName] of Object.entries(names)) {
      expect(inputs[id]).toEqual({
        Id: id,
        ReturnData: false,
        MetricStat: {
          Metric: {
            Namespace: metricsNamespace,
            MetricName: metricName,
            Dimensions: [{ Name: 'service', Value: serviceName }],
          },
          Period: 300,
          Stat: 'Sum',
        },
      });
    }
  });
});

describe('Stack: RecoStack alarms', () => {
  let stack: RecoStack;
  let template: Template;

  beforeAll(() => {
    // Prepare: the app as `cdk synth` builds it, minus bundling and cdk-nag.
    stack = buildApp({ context: testContext(), nag: false }).stack;

    // Act
    template = Template.fromStack(stack);
  });

  it('creates the function alarms and one per resource: processor, failure queue, each API, pipeline', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 7);
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect((alarm.Properties as Record<string, unknown>).AlarmActions).toBeUndefined();
    }
  });

  it("alarms when the processor's IteratorAge stays over the limit for 3 of 3 periods", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(stack.ingestion.processorFunction) } }],
      Statistic: 'Maximum',
      Threshold: alarms.processorIteratorAgeMs,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
  });

  it('alarms when any record waits in the failure queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(stack.ingestion.failureQueue), 'QueueName'] } },
      ],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it.each([
    ['storefront', () => stack.storefrontApi.restApi],
    ['server', () => stack.serverApi.restApi],
  ])('alarms on the %s API 5xx for 2 of 2 periods', (_name, restApi) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: restApi().restApiName }],
      Statistic: 'Sum',
      Threshold: alarms.apiServerErrors,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
    });
  });

  it('alarms on failed, timed-out and aborted training runs of the state machine', () => {
    const pipeline = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find((alarm) =>
      JSON.stringify(alarm.Properties).includes('ExecutionsFailed'),
    );
    const metrics = (pipeline?.Properties as { Metrics: AlarmQuery[] }).Metrics;
    expect(metrics.find((query) => query.Expression)?.Expression).toBe(
      'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
    );
    expect(metrics.flatMap((query) => (query.MetricStat ? [query.MetricStat.Metric.MetricName] : [])).sort()).toEqual([
      'ExecutionsAborted',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]);
    for (const query of metrics.filter((q) => q.MetricStat)) {
      expect(query.MetricStat?.Metric.Dimensions).toEqual([
        { Name: 'StateMachineArn', Value: { Ref: logicalIdOf(stack.training.stateMachine) } },
      ]);
    }
  });
});
