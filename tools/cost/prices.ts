/**
 * The list prices `npm run cost` uses: the only place a price is written. Each carries the day it
 * was taken and where from; `confirmed: false` marks a price no stored copy of a pricing page
 * showed when it was taken (it is the author's reading of the AWS page, to be checked).
 *
 * Only us-east-1: other regions differ per service by unrelated amounts, so a multiplier would be
 * a guess; {@link priceBook} names the supported regions instead.
 */

/** One list price. */
export interface Price {
  /** US dollars per {@link Price.unit}. */
  readonly usd: number;
  readonly unit: string;
  /** The pricing page. */
  readonly source: string;
  /** Day the price was taken (ISO date). */
  readonly taken: string;
  /** Whether a copy of a page showing this figure was seen when it was taken. */
  readonly confirmed: boolean;
  /** What confirmed it, or what is uncertain. */
  readonly note?: string;
}

const TAKEN = '2026-12-07';

const p = (usd: number, unit: string, source: string, confirmed: boolean, note?: string): Price => ({
  usd,
  unit,
  source,
  taken: TAKEN,
  confirmed,
  ...(note === undefined ? {} : { note }),
});

const APIGW = 'https://aws.amazon.com/api-gateway/pricing/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const KDS = 'https://aws.amazon.com/kinesis/data-streams/pricing/';
const FIREHOSE = 'https://aws.amazon.com/firehose/pricing/';
const S3 = 'https://aws.amazon.com/s3/pricing/';
const DDB = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const EC = 'https://aws.amazon.com/elasticache/pricing/';
const SM = 'https://aws.amazon.com/sagemaker/pricing/';
const SFN = 'https://aws.amazon.com/step-functions/pricing/';
const SCHED = 'https://aws.amazon.com/eventbridge/pricing/';
const PL = 'https://aws.amazon.com/privatelink/pricing/';
const SECRETS = 'https://aws.amazon.com/secrets-manager/pricing/';
const KMS = 'https://aws.amazon.com/kms/pricing/';
const WAF = 'https://aws.amazon.com/waf/pricing/';
const CW = 'https://aws.amazon.com/cloudwatch/pricing/';
const XRAY = 'https://aws.amazon.com/xray/pricing/';
const ECR = 'https://aws.amazon.com/ecr/pricing/';
const EC2 = 'https://aws.amazon.com/ec2/pricing/on-demand/';
const PERSONALIZE = 'https://aws.amazon.com/personalize/pricing/';

const APIGW_NOTE =
  'docs.aws.amazon.com whitepaper "Best Practices for Designing Amazon API Gateway Private APIs", cost optimization, table 4';
const DEPLOY_MD = 'the same figure is in docs/deploy.md (us-east-1, 2026-12-07)';

const usEast1 = {
  apiGatewayRestTiers: [
    { upTo: 333e6, price: p(3.5, 'per million REST API requests, first 333 million a month', APIGW, true, APIGW_NOTE) },
    { upTo: 1e9, price: p(2.8, 'per million REST API requests, next 667 million a month', APIGW, true, APIGW_NOTE) },
    { upTo: 20e9, price: p(2.38, 'per million REST API requests, next 19 billion a month', APIGW, true, APIGW_NOTE) },
    {
      upTo: Number.POSITIVE_INFINITY,
      price: p(1.51, 'per million REST API requests over 20 billion a month', APIGW, true, APIGW_NOTE),
    },
  ],
  lambdaRequestPerMillion: p(0.2, 'per million requests', LAMBDA, true, 'lambda pricing table copies, 2026-05'),
  lambdaArmGbSecond: p(
    0.0000133334,
    'per GB-second, arm64 (first 7.5 billion GB-s a month)',
    LAMBDA,
    true,
    'cloudchipr.com Lambda pricing guide and a 2026-05 copy of the Lambda pricing table',
  ),
  kinesisOnDemandStreamHour: p(0.04, 'per on-demand stream-hour', KDS, false),
  kinesisOnDemandIngestGb: p(
    0.08,
    'per GB written, on-demand (each record rounded up to 1 KB)',
    KDS,
    false,
    'the 1 KB rounding is on the stored KDS pricing page, the figure is not; c3x.dev gives $0.04, which this model does not take',
  ),
  kinesisOnDemandRetrievalGb: p(0.04, 'per GB read, on-demand, per consumer', KDS, false),
  kinesisShardHour: p(
    0.015,
    'per provisioned shard-hour',
    KDS,
    true,
    'c3x.dev aws_kinesis_stream and kindatechnical.com Kinesis pricing lesson',
  ),
  kinesisPutUnitsPerMillion: p(0.014, 'per million PUT payload units (25 KB each)', KDS, false),
  firehoseIngestGb: p(
    0.029,
    'per GB ingested (first 500 TB a month; each record rounded up to 5 KB)',
    FIREHOSE,
    false,
    'the 5 KB rounding is documented for Direct PUT; assumed to apply to a Kinesis stream source too',
  ),
  s3StandardGbMonth: p(0.023, 'per GB-month, S3 Standard (first 50 TB)', S3, false),
  s3PutPerThousand: p(0.005, 'per 1,000 PUT, COPY, POST, LIST requests', S3, false),
  s3GetPerThousand: p(0.0004, 'per 1,000 GET requests', S3, false),
  dynamoWritePerMillion: p(
    0.625,
    'per million write request units, on-demand',
    DDB,
    true,
    'airbyte.com DynamoDB pricing guide, 2025-07-21 (after the November 2024 cut)',
  ),
  dynamoReadPerMillion: p(
    0.125,
    'per million read request units, on-demand',
    DDB,
    true,
    'airbyte.com DynamoDB pricing guide, 2025-07-21',
  ),
  dynamoStorageGbMonth: p(0.25, 'per GB-month, Standard table class', DDB, false),
  dynamoPitrGbMonth: p(0.2, 'per GB-month, continuous backups (PITR)', DDB, false),
  valkeyServerlessGbHour: p(
    0.084,
    'per GB-hour of data stored, ElastiCache Serverless for Valkey (100 MB minimum)',
    EC,
    true,
    'usage.ai ElastiCache Serverless pricing page, rates as of June 2026',
  ),
  valkeyServerlessEcpuPerMillion: p(
    0.0023,
    'per million ECPUs, ElastiCache Serverless for Valkey',
    EC,
    true,
    'usage.ai ElastiCache Serverless pricing page, rates as of June 2026',
  ),
  sagemakerHostingHour: {
    'ml.c6i.large': p(0.102, 'per instance-hour, real-time inference', SM, false),
  } as Readonly<Record<string, Price>>,
  sagemakerTrainingHour: {
    'ml.m5.xlarge': p(0.23, 'per instance-hour, training', SM, false),
  } as Readonly<Record<string, Price>>,
  sagemakerProcessingHour: {
    'ml.m5.2xlarge': p(0.461, 'per instance-hour, processing', SM, false),
  } as Readonly<Record<string, Price>>,
  sagemakerServerlessGbSecond: p(
    0.00002,
    'per GB-second of serverless inference (e.g. $0.00006 a second at 3 GB)',
    SM,
    false,
  ),
  sagemakerDataProcessedGb: p(0.016, 'per GB in and out of an endpoint', SM, false),
  sagemakerStorageGbMonth: p(0.14, 'per GB-month of ML storage (job volumes)', SM, false),
  stepFunctionsPerThousandTransitions: p(0.025, 'per 1,000 state transitions, Standard workflows', SFN, false),
  schedulerPerMillion: p(1, 'per million EventBridge Scheduler invocations (14 million free a month)', SCHED, false),
  interfaceEndpointAzHour: p(0.01, 'per interface VPC endpoint per AZ-hour', PL, false, DEPLOY_MD),
  interfaceEndpointGb: p(0.01, 'per GB processed (first PB)', PL, false, DEPLOY_MD),
  secretMonth: p(0.4, 'per secret-month', SECRETS, false, DEPLOY_MD),
  secretsPer10kCalls: p(0.05, 'per 10,000 API calls', SECRETS, false, DEPLOY_MD),
  kmsKeyMonth: p(1, 'per customer-managed key-month', KMS, false, DEPLOY_MD),
  kmsPer10kRequests: p(0.03, 'per 10,000 requests', KMS, false),
  wafWebAclMonth: p(5, 'per web ACL-month', WAF, false, DEPLOY_MD),
  wafRuleMonth: p(1, 'per rule-month', WAF, false, DEPLOY_MD),
  wafPerMillionRequests: p(0.6, 'per million requests', WAF, false, DEPLOY_MD),
  logsIngestGb: p(
    0.5,
    'per GB of logs ingested (standard class; first tier of vended Lambda logs)',
    CW,
    true,
    'blog.raulnq.com "Estimating observability costs in AWS" and go-cloud.io API Gateway pricing guide (2026)',
  ),
  logsStorageGbMonth: p(
    0.03,
    'per GB-month of logs stored (compressed)',
    CW,
    true,
    'blog.raulnq.com "Estimating observability costs in AWS" (with a 0.15 compression factor)',
  ),
  metricMonth: p(0.3, 'per custom metric-month (first 10,000), prorated by the hour', CW, false),
  alarmMetricMonth: p(0.1, 'per standard-resolution alarm metric-month (each metric of a math alarm)', CW, false),
  dashboardMonth: p(3, 'per dashboard-month beyond the first 3', CW, false),
  xrayPerMillionTraces: p(
    5,
    'per million traces recorded (100,000 free a month)',
    XRAY,
    true,
    'aws.amazon.com/de/xray/pricing (5 USD per million recorded traces)',
  ),
  ecrGbMonth: p(0.1, 'per GB-month of image storage', ECR, false),
  dataTransferOutGb: p(
    0.09,
    'per GB out to the internet (first 10 TB after the free 100 GB)',
    EC2,
    true,
    'awsforengineers.com API Gateway pricing, 2025-05-19',
  ),
  personalizeIngestGb: p(
    0.05,
    'per GB of data ingested (PutEvents or bulk)',
    PERSONALIZE,
    false,
    'the stored page (German) shows the dimensions (GB ingested, training hours of 4 vCPU and 8 GiB, TPS-hours) but no figure',
  ),
  personalizeTrainingHour: p(0.24, 'per training hour (4 vCPU, 8 GiB)', PERSONALIZE, false),
  personalizeTpsHourTiers: [
    { upTo: 20_000, price: p(0.2, 'per TPS-hour, first 20,000 a month', PERSONALIZE, false) },
    { upTo: 200_000, price: p(0.1, 'per TPS-hour, next 180,000 a month', PERSONALIZE, false) },
    { upTo: Number.POSITIVE_INFINITY, price: p(0.05, 'per TPS-hour over 200,000 a month', PERSONALIZE, false) },
  ],
} as const;

export type PriceBook = typeof usEast1;

export const SUPPORTED_REGIONS = ['us-east-1'] as const;
export type Region = (typeof SUPPORTED_REGIONS)[number];

const books: Readonly<Record<Region, PriceBook>> = { 'us-east-1': usEast1 };

/** A region without a price book. */
export class UnsupportedRegionError extends Error {
  override readonly name = 'UnsupportedRegionError';
  public constructor(region: string) {
    super(`no prices for region ${region}; supported: ${SUPPORTED_REGIONS.join(', ')}`);
  }
}

/** The price book of `region`; throws {@link UnsupportedRegionError} for any other. */
export function priceBook(region: string): PriceBook {
  if (!(SUPPORTED_REGIONS as readonly string[]).includes(region)) throw new UnsupportedRegionError(region);
  return books[region as Region];
}

/** The price of `instanceType` in a table by type; throws naming the types priced. */
export function instancePrice(table: Readonly<Record<string, Price>>, instanceType: string, what: string): Price {
  const price = table[instanceType];
  if (price === undefined) {
    throw new Error(
      `no ${what} price for ${instanceType}; priced: ${Object.keys(table).join(', ')} (tools/cost/prices.ts)`,
    );
  }
  return price;
}
