/** A month of one deployment shape: every service's line items and their total. */
import type { DeploymentShape } from '#shared/config/shapes.ts';
import { defaultAssumptions, type Assumptions } from './assumptions.ts';
import { readBenchFigures, type BenchFigures } from './bench.ts';
import { effectiveHitRatio, type HitRatio } from './cacheHits.ts';
import type { CostContext, LineItem, Load } from './model.ts';
import { priceBook, type PriceBook } from './prices.ts';
import { apiGateway, dataTransfer } from './services/api.ts';
import { elastiCache } from './services/cache.ts';
import { lambda } from './services/lambda.ts';
import { vpcEndpoints } from './services/network.ts';
import { cloudWatch, xRay } from './services/observability.ts';
import { stepFunctions } from './services/orchestration.ts';
import { ecr, modelEndpoint, trainingJobs } from './services/sagemaker.ts';
import { kms, secretsManager, waf } from './services/security.ts';
import { dynamoDb, s3 } from './services/storage.ts';
import { firehose, kinesis } from './services/stream.ts';

/** Every service of the stack, in the order the output lists them. */
export const SERVICES: readonly ((context: CostContext) => LineItem[])[] = [
  apiGateway,
  lambda,
  kinesis,
  firehose,
  s3,
  dynamoDb,
  elastiCache,
  modelEndpoint,
  trainingJobs,
  stepFunctions,
  vpcEndpoints,
  secretsManager,
  kms,
  waf,
  cloudWatch,
  xRay,
  ecr,
  dataTransfer,
];

export interface Estimate {
  readonly lines: readonly LineItem[];
  readonly totalUsd: number;
  /** The cache's hit ratio the month was priced at (see `cacheHits.ts`). */
  readonly hitRatio: HitRatio;
}

export interface EstimateOptions {
  readonly load: Load;
  readonly shape: DeploymentShape;
  /** @default priceBook('us-east-1') */
  readonly prices?: PriceBook;
  /** @default readBenchFigures() */
  readonly bench?: BenchFigures;
  /** @default defaultAssumptions */
  readonly assumptions?: Assumptions;
}

export function estimate(options: EstimateOptions): Estimate {
  const given: CostContext = {
    load: options.load,
    shape: options.shape,
    prices: options.prices ?? priceBook('us-east-1'),
    bench: options.bench ?? readBenchFigures(),
    assumptions: options.assumptions ?? defaultAssumptions,
  };
  const hitRatio = effectiveHitRatio(given);
  const context: CostContext = { ...given, load: { ...given.load, cacheHitRatio: hitRatio.ratio } };
  const lines = SERVICES.flatMap((service) => service(context));
  return { lines, totalUsd: lines.reduce((sum, line) => sum + line.usd, 0), hitRatio };
}

/** Total per service, largest first. */
export function byService(lines: readonly LineItem[]): { service: string; usd: number }[] {
  const totals = new Map<string, number>();
  for (const line of lines) totals.set(line.service, (totals.get(line.service) ?? 0) + line.usd);
  return [...totals].map(([service, usd]) => ({ service, usd })).sort((a, b) => b.usd - a.usd);
}

/** The load of an idle month: no events, no lists, the same catalogue. */
export function idle(load: Load): Load {
  return { ...load, eventsPerDay: 0, recommendationsPerDay: 0 };
}
