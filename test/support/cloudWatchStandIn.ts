import { startAwsJsonStandIn } from './awsJsonStandIn.ts';

/** A CloudWatch stand-in that answers `GetMetricData` and keeps what it was asked. */
export interface CloudWatchStandIn {
  /** Where `AWS_ENDPOINT_URL_CLOUDWATCH` points. */
  readonly url: string;
  /** The input of each `GetMetricData` call, in order. */
  readonly requests: readonly Record<string, unknown>[];
  stop(): Promise<void>;
}

/**
 * CloudWatch on loopback, over its JSON 1.0 protocol: `GetMetricData` answers every query with one
 * value of 1 at the window's start (epoch seconds, as the protocol carries timestamps), so a reader
 * sees data without any metric having been put. Anything else is refused.
 */
export async function startCloudWatchStandIn(): Promise<CloudWatchStandIn> {
  const requests: Record<string, unknown>[] = [];
  const standIn = await startAwsJsonStandIn('GraniteServiceVersion20100801', 'application/x-amz-json-1.0', {
    GetMetricData: (input) => {
      requests.push(input);
      const queries = (input.MetricDataQueries ?? []) as { Id: string }[];
      return {
        MetricDataResults: queries.map((query) => ({
          Id: query.Id,
          StatusCode: 'Complete',
          Timestamps: [input.StartTime],
          Values: [1],
        })),
      };
    },
  });
  return { url: standIn.url, requests, stop: () => standIn.stop() };
}
