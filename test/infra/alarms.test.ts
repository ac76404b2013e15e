import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { metricsNamespace, serviceName } from '#shared/config/index.ts';
import { Alarms } from '#infra/constructs/alarms.ts';
import { newTestStack } from './helpers.ts';

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

  it('alarms when over 20 % of answers are degraded for 3 of 3 periods of 5 minutes', () => {
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
      'IF(FILL(hit, 0) + FILL(miss, 0) + FILL(bypass, 0) > 0, ' +
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
