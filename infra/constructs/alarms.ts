import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { metricsNamespace, serviceName } from '#shared/config/index.ts';

/** Properties of {@link Alarms}. */
export interface AlarmsProps {
  /**
   * Share of answers that may be degraded, in percent, before the degraded-answers alarm fires.
   * @default 20
   */
  readonly degradedAnswerPercent?: number;
}

/** Length of one alarm period. */
const PERIOD = Duration.minutes(5);

/**
 * CloudWatch alarms on the metrics the functions emit (Powertools Metrics, EMF; see
 * `functions/lib/observability.ts`): same namespace, metric names and `service` dimension as
 * emitted (the recommend function also emits by route; the alarms read the all-routes series).
 *
 * The alarms have no actions: whether they page someone, post to a chat or open a ticket (an SNS
 * topic and its subscriptions) is the deployer's choice, added with `alarm.addAlarmAction()`.
 */
export class Alarms extends Construct {
  /** Degraded answers above the allowed share of all answers for 3 of 3 periods of 5 minutes. */
  public readonly degradedAnswers: cloudwatch.Alarm;
  /** Any stream record reported back to Lambda as failed (to be retried) within 5 minutes. */
  public readonly failedRecords: cloudwatch.Alarm;

  public constructor(scope: Construct, id: string, props: AlarmsProps = {}) {
    super(scope, id);
    const degradedAnswerPercent = props.degradedAnswerPercent ?? 20;

    const answers = new cloudwatch.MathExpression({
      label: 'Degraded answers (% of answers)',
      expression:
        'IF(FILL(hit, 0) + FILL(miss, 0) + FILL(bypass, 0) > 0, ' +
        '100 * FILL(degraded, 0) / (FILL(hit, 0) + FILL(miss, 0) + FILL(bypass, 0)), 0)',
      usingMetrics: {
        degraded: serviceMetric('DegradedAnswer'),
        hit: serviceMetric('CacheHit'),
        miss: serviceMetric('CacheMiss'),
        bypass: serviceMetric('CacheBypass'),
      },
      period: PERIOD,
    });
    this.degradedAnswers = answers.createAlarm(this, 'DegradedAnswers', {
      alarmDescription:
        `More than ${degradedAnswerPercent} % of recommendation answers were degraded (a fallback answered) ` +
        'for 15 minutes: see the ModelShed / ModelBreakerOpen / ModelFailure / FeatureStoreFailure metrics.',
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: degradedAnswerPercent,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.failedRecords = serviceMetric('FailedRecords').createAlarm(this, 'FailedRecords', {
      alarmDescription:
        'The stream processor reported records as failed (feature writes failed); Lambda retries them, ' +
        'and gives them to the on-failure queue when retries run out.',
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}

/** The sum over 5 minutes of one of the functions' metrics, all routes together. */
function serviceMetric(metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: metricsNamespace,
    metricName,
    dimensionsMap: { service: serviceName },
    statistic: cloudwatch.Stats.SUM,
    period: PERIOD,
  });
}
