/**
 * Deployment shapes: which billed-by-the-hour resources a deployment has. Read by the CDK app
 * (`-c reco:shape=lean`), validated at synth time, and priced by `npm run cost`.
 */
import { training } from './index.ts';

/** The model endpoint the training pipeline deploys. */
export type EndpointShape =
  | {
      /** Real-time instances behind auto scaling, in the serving VPC. */
      readonly mode: 'realtime';
      readonly instanceType: string;
      readonly minInstances: number;
      readonly maxInstances: number;
      /**
       * Whether the SageMaker model runs network-isolated (no network, no credentials in the container).
       * @default true
       */
      readonly networkIsolation?: boolean;
    }
  | {
      /**
       * SageMaker Serverless Inference: billed per request and compute-second, no idle cost; x86
       * only, no VPC and no network isolation; the first call after idle time is a cold start,
       * which the serving path answers with a fallback.
       */
      readonly mode: 'serverless';
      /** 1024 to 6144, in steps of 1024. */
      readonly memoryMb: number;
      /** 1 to 200 concurrent invocations. */
      readonly maxConcurrency: number;
      /**
       * SageMaker refuses network isolation on serverless endpoints: only `false` (or absent) is valid.
       * @default false
       */
      readonly networkIsolation?: boolean;
    };

/** Where served lists are cached. */
export type CacheShape =
  /** ElastiCache Serverless (Valkey), in the serving VPC (the recommend function joins it). */
  | 'elasticache'
  /** Each recommend function instance's own LRU: no VPC at all. */
  | 'in-process';

/** The event stream's capacity mode. */
export type StreamShape =
  | { readonly mode: 'on-demand' }
  | {
      readonly mode: 'provisioned';
      /** 1 MB/s or 1,000 records/s of writes each. */
      readonly shards: number;
    };

export interface DeploymentShape {
  readonly endpoint: EndpointShape;
  readonly cache: CacheShape;
  readonly stream: StreamShape;
  /** The storefront API's web ACL with the per-IP rate rule. */
  readonly waf: boolean;
}

export const SHAPE_NAMES = ['default', 'lean'] as const;
export type ShapeName = (typeof SHAPE_NAMES)[number];

export const deploymentShapes: Readonly<Record<ShapeName, DeploymentShape>> = {
  /** For traffic that keeps an endpoint busy: no cold starts, the shared cache, elastic stream. */
  default: {
    endpoint: { mode: 'realtime', instanceType: training.endpointInstanceType, minInstances: 1, maxInstances: 4 },
    cache: 'elasticache',
    stream: { mode: 'on-demand' },
    waf: true,
  },
  /** For small shops: the lowest idle floor; cold starts of the endpoint answer with the fallback. */
  lean: {
    endpoint: { mode: 'serverless', memoryMb: 3072, maxConcurrency: 5 },
    cache: 'in-process',
    stream: { mode: 'provisioned', shards: 1 },
    waf: false,
  },
};
