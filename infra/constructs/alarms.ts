import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { alarms as alarmConfig } from '#shared/config/index.ts';
import { functionMetrics } from '#shared/stats/metrics.ts';

/** What {@link Alarms} watches besides the functions' own metrics; each alarm exists when its resource is given. */
export interface AlarmsProps {
  /**
   * Share of answers that may be degraded, in percent, before the degraded-answers alarm fires.
   * @default alarms.degradedAnswerPercent
   */
  readonly degradedAnswerPercent?: number;
  /** The stream processor: its IteratorAge says whether it keeps up. */
  readonly processor?: lambda.IFunction;
  /** The processor's failure queue: records given up after retries, and parked poison records. */
  readonly failureQueue?: sqs.IQueue;
  /** The APIs whose 5xx answers count, by a name for the alarm's id (`Storefront`, `Server`). */
  readonly apis?: Readonly<Record<string, apigw.RestApiBase>>;
  /** The training pipeline's state machine. */
  readonly pipeline?: sfn.IStateMachine;
}

const PERIOD = Duration.minutes(alarmConfig.periodMinutes);

/**
 * CloudWatch alarms on the functions' metrics (Powertools Metrics, EMF; see
 * `functions/lib/observability.ts`: same namespace, metric names and `service` dimension as
 * emitted; the recommend function also emits by route, the alarms read the all-routes series)
 * and on the services' own metrics for the stream, the failure queue, the APIs and the pipeline.
 * What each means and what to do: docs/runbook.md.
 *
 * The alarms have no actions: whether they page someone, post to a chat or open a ticket (an SNS
 * topic and its subscriptions) is the deployer's choice, added with `alarm.addAlarmAction()`.
 */
export class Alarms extends Construct {
  /** Degraded answers above the allowed share, with at least the minimum of answers, for 3 of 3 periods. */
  public readonly degradedAnswers: cloudwatch.Alarm;
  /** Any stream record reported back to Lambda as failed (to be retried) within a period. */
  public readonly failedRecords: cloudwatch.Alarm;
  /** The processor falls behind the stream. */
  public readonly processorBehind: cloudwatch.Alarm | undefined;
  /** Records wait in the failure queue: given up after retries, or parked. */
  public readonly recordsParked: cloudwatch.Alarm | undefined;
  /** 5xx answers of each API given, by the name given. */
  public readonly apiServerErrors: Readonly<Record<string, cloudwatch.Alarm>>;
  /** A training run failed, timed out or was aborted. */
  public readonly pipelineFailed: cloudwatch.Alarm | undefined;

  public constructor(scope: Construct, id: string, props: AlarmsProps = {}) {
    super(scope, id);
    this.degradedAnswers = this.degradedAnswersAlarm(props.degradedAnswerPercent ?? alarmConfig.degradedAnswerPercent);

    this.failedRecords = serviceMetric('FailedRecords').createAlarm(this, 'FailedRecords', {
      alarmDescription:
        'The stream processor reported records as failed (feature writes failed); Lambda retries them, ' +
        'and gives them to the on-failure queue when retries run out.',
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.processorBehind = props.processor
      ?.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: PERIOD })
      .createAlarm(this, 'ProcessorBehind', {
        alarmDescription:
          `The stream processor's oldest unread record was over ${alarmConfig.processorIteratorAgeMs / 1000} s old ` +
          'for 15 minutes: lists lag behind shoppers, and records near the stream retention can be lost.',
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold: alarmConfig.processorIteratorAgeMs,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    this.recordsParked = props.failureQueue
      ?.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: PERIOD })
      .createAlarm(this, 'RecordsParked', {
        alarmDescription:
          'Stream records wait in the processor failure queue (parked poison records, or batches given up ' +
          'after retries): read the reason, fix it, then `npm run replay:parked` (docs/runbook.md).',
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold: 0,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    const apiAlarms: Record<string, cloudwatch.Alarm> = {};
    for (const [name, restApi] of Object.entries(props.apis ?? {})) {
      apiAlarms[name] = restApi
        .metricServerError({ statistic: cloudwatch.Stats.SUM, period: PERIOD })
        .createAlarm(this, `${name}ApiServerErrors`, {
          alarmDescription:
            `The ${name.toLowerCase()} API answered more than ${alarmConfig.apiServerErrors} 5xx in each of ` +
            '2 periods: the functions fail or are throttled (see their logs and the Throttles metric).',
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          threshold: alarmConfig.apiServerErrors,
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
    }
    this.apiServerErrors = apiAlarms;

    this.pipelineFailed = props.pipeline
      ? new cloudwatch.MathExpression({
          label: 'Training runs failed, timed out or aborted',
          expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
          usingMetrics: {
            failed: props.pipeline.metricFailed({ period: PERIOD }),
            timedOut: props.pipeline.metricTimedOut({ period: PERIOD }),
            aborted: props.pipeline.metricAborted({ period: PERIOD }),
          },
          period: PERIOD,
        }).createAlarm(this, 'PipelineFailed', {
          alarmDescription:
            'A training run failed, timed out or was aborted; the live model stays. The failed state and ' +
            'its error are in the execution history and the pipeline topic (docs/training.md).',
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          threshold: 0,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        })
      : undefined;
  }

  private degradedAnswersAlarm(percent: number): cloudwatch.Alarm {
    const total = 'FILL(hit, 0) + FILL(miss, 0) + FILL(bypass, 0)';
    const answers = new cloudwatch.MathExpression({
      label: 'Degraded answers (% of answers, periods with enough answers)',
      expression: `IF(${total} >= ${alarmConfig.degradedMinAnswers}, 100 * FILL(degraded, 0) / (${total}), 0)`,
      usingMetrics: {
        degraded: serviceMetric(functionMetrics.degradedAnswer),
        hit: serviceMetric(functionMetrics.cacheHit),
        miss: serviceMetric(functionMetrics.cacheMiss),
        bypass: serviceMetric(functionMetrics.cacheBypass),
      },
      period: PERIOD,
    });
    return answers.createAlarm(this, 'DegradedAnswers', {
      alarmDescription:
        `More than ${percent} % of recommendation answers were degraded (a fallback answered) for 15 minutes, ` +
        `in periods of at least ${alarmConfig.degradedMinAnswers} answers: see the ModelShed / ModelBreakerOpen / ` +
        'ModelFailure / FeatureStoreFailure metrics.',
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: percent,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}

/** The sum over a period of one of the functions' metrics, all routes together. */
function serviceMetric(metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: functionMetrics.namespace,
    metricName,
    dimensionsMap: { [functionMetrics.serviceDimension]: functionMetrics.service },
    statistic: cloudwatch.Stats.SUM,
    period: PERIOD,
  });
}
