import { Fn, Names } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { envVars, serviceName } from '#shared/config/index.ts';
import type { ServingNetwork } from './serving-network.ts';

/** Port of a serverless Valkey/Redis cache's (primary) endpoint. Its reader endpoint uses 6380. */
export const CACHE_PORT = 6379;

/** Engine and major version of the cache (ElastiCache Serverless accepts Valkey 7 and 8). */
export const CACHE_ENGINE = { engine: 'valkey', majorEngineVersion: '8' } as const;

/** Properties of a {@link RecommendationCache}. */
export interface RecommendationCacheProps {
  /** Network whose isolated subnets the cache's endpoints are placed in. */
  readonly network: ServingNetwork;

  /**
   * Upper limit of the data kept, in GB. Serverless caches bill stored data per GB-hour (at least
   * 100 MB for Valkey), so the limit caps the bill; at the limit the cache evicts keys (every entry
   * has a TTL anyway).
   * @default 1
   */
  readonly maxDataStorageGb?: number;

  /**
   * Upper limit of ElastiCache Processing Units per second; requests beyond it are throttled,
   * which the serving path treats like a cache miss (it falls back to DynamoDB and the model).
   * @default 5000
   */
  readonly maxEcpuPerSecond?: number;
}

/**
 * The recommendation cache: an ElastiCache **Serverless** cache with the Valkey engine
 * ({@link CACHE_ENGINE}), reachable only inside the serving VPC, only from security groups let in
 * with {@link RecommendationCache.bindCache}, and only over TLS (serverless caches accept no
 * plain-text connections).
 *
 * Choices:
 * - **No snapshots** (`snapshotRetentionLimit: 0`): everything in it is derived and short-lived
 *   (answers cached for `serving.recommendationTtlSeconds`/`sharedListTtlSeconds`, keyed by feature
 *   version), so an empty cache after a restore is correct, while a restored one would serve stale
 *   answers and keep copies of cached answers for erased shoppers.
 * - **AWS-owned encryption key** at rest (no `kmsKeyId`): entries hold pseudonymous shopper keys and
 *   item ids for minutes; a customer-managed key would add a monthly key fee and KMS calls but no
 *   control anyone needs over such data (the feature table, which holds the same kind of data for
 *   longer, makes the same choice).
 * - **No AUTH/RBAC user group**: access is decided by the network (isolated subnets, security
 *   group ingress from the recommend function only) and connections are TLS.
 * - Usage limits (data and ECPU/s) cap cost; see the props.
 */
export class RecommendationCache extends Construct {
  public readonly cache: elasticache.CfnServerlessCache;

  /** The cache's security group: no egress, ingress on {@link CACHE_PORT} from bound functions only. */
  public readonly securityGroup: ec2.SecurityGroup;

  /** `rediss://<endpoint address>:<port>` of the primary endpoint (a token). */
  public readonly url: string;

  public constructor(scope: Construct, id: string, props: RecommendationCacheProps) {
    super(scope, id);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.network.vpc,
      description: `${serviceName} recommendation cache (Valkey serverless): TLS ${CACHE_PORT} from the recommend function`,
      allowAllOutbound: false,
    });

    this.cache = new elasticache.CfnServerlessCache(this, 'Cache', {
      ...CACHE_ENGINE,
      // The name is required; derived from the construct path, lower case as ElastiCache wants it.
      serverlessCacheName: Names.uniqueResourceName(this, { maxLength: 40, separator: '-' }).toLowerCase(),
      description: `${serviceName}: cached recommendation answers`,
      subnetIds: props.network.subnetIds,
      securityGroupIds: [this.securityGroup.securityGroupId],
      cacheUsageLimits: {
        dataStorage: { maximum: props.maxDataStorageGb ?? 1, unit: 'GB' },
        ecpuPerSecond: { maximum: props.maxEcpuPerSecond ?? 5000 },
      },
      snapshotRetentionLimit: 0,
    });

    this.url = Fn.join('', ['rediss://', this.cache.attrEndpointAddress, ':', this.cache.attrEndpointPort]);
  }

  /**
   * Lets `fn` use the cache: ingress on {@link CACHE_PORT} from its security groups (and the
   * matching egress rule on them) and `envVars.cacheUrl` = {@link RecommendationCache.url}.
   * `fn` must be connected to the cache's VPC.
   */
  public bindCache(fn: lambda.Function): void {
    this.securityGroup.connections.allowFrom(fn, ec2.Port.tcp(CACHE_PORT), `Valkey over TLS from ${fn.node.id}`);
    fn.addEnvironment(envVars.cacheUrl, this.url);
  }
}
