import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { envVars, serviceName } from '#shared/config/index.ts';
import type { CacheShape } from '#shared/config/shapes.ts';
import { functionEntry } from '../paths.ts';
import { type FeatureStore, RECOMMENDATION_LOG_ACTIONS, TABLE_READ_ACTIONS } from './feature-store.ts';
import type { ModelArtifacts } from './model-artifacts.ts';
import { ModelEndpoint, type ModelEndpointProps } from './model-endpoint.ts';
import { type ModelRegistry, READ_LIVE_ACTIONS } from './model-registry.ts';
import { RecoFunction } from './reco-function.ts';
import { RecommendationCache, type RecommendationCacheProps } from './recommendation-cache.ts';
import { SERVING_SUBNETS, ServingNetwork } from './serving-network.ts';
import type { UserTokenKeysSecret } from './user-token-keys.ts';

/** Properties of a {@link Serving}. */
export interface ServingProps {
  /**
   * The feature store the recommend function reads (read-only, including its indexes) and where it
   * records served lists (`REC#` keys only).
   */
  readonly featureStore: FeatureStore;

  /**
   * Version label of the ranking the recommend function serves, passed as
   * `envVars.modelVersion` and echoed in responses so clients and logs can tell rankings apart.
   */
  readonly modelVersion: string;

  /**
   * The user-token signing keys the recommend function verifies storefront tokens with; it reads
   * them through the network's Secrets Manager endpoint, whose policy allows reading this secret only.
   */
  readonly userTokenKeys: UserTokenKeysSecret;

  /** The model registry; the recommend function reads the live version from it, nothing else. */
  readonly registry: ModelRegistry;

  /** The bucket of trained models the endpoint's SageMaker models are created from. */
  readonly modelArtifacts: ModelArtifacts;

  /**
   * Image and sizing of the model endpoint (see {@link ModelEndpoint}).
   * @default - the repository's model image and the defaults of {@link ModelEndpointProps}
   */
  readonly model?: Omit<ModelEndpointProps, 'artifactsBucket'>;

  /**
   * Where served lists are cached: `elasticache` builds the VPC, its endpoints and the ElastiCache
   * Serverless cache and puts the recommend function in the VPC; `in-process` builds none of them,
   * and the function, outside any VPC and without `envVars.cacheUrl`, caches in its own LRU.
   * @default 'elasticache'
   */
  readonly cacheMode?: CacheShape;

  /**
   * Usage limits of the recommendation cache (with `cacheMode` `elasticache`).
   * @default - the defaults of {@link RecommendationCacheProps}
   */
  readonly cache?: Omit<RecommendationCacheProps, 'network'>;
}

/**
 * The read path: the recommend function behind the recommendation routes (personal, similar items,
 * rankings, trending) and `GET /v1/health`, with the model endpoint the training pipeline deploys.
 *
 * With the in-process cache ({@link ServingProps.cacheMode}) that is all: no VPC, no subnets, no
 * VPC endpoints; the function calls DynamoDB, Secrets Manager and the SageMaker runtime over their
 * public AWS endpoints (TLS, SigV4, its role's grants) and caches served lists in its own LRU,
 * per function instance, so a list is computed once per instance rather than once per deployment.
 *
 * With ElastiCache it runs in a private network with the shared cache:
 *
 * - {@link Serving.network}: isolated-subnet VPC with flow logs, DynamoDB gateway endpoint, and
 *   the Secrets Manager (user-token keys) and SageMaker runtime interface endpoints;
 * - {@link Serving.cache}: ElastiCache Serverless (Valkey) over TLS, `envVars.cacheUrl`;
 * - {@link Serving.modelEndpoint}: the endpoint's fixed name (`envVars.modelEndpointName`),
 *   `sagemaker:InvokeEndpoint` on it, and the registry's live version (`envVars.registryTableName`,
 *   `GetItem` on the `LIVE` item only). Until the pipeline has deployed a model, and whenever the
 *   model is slow or failing, the function falls back to popularity.
 *
 * The function's security group allows outbound traffic only on 443 (AWS APIs: the route tables
 * send DynamoDB to the gateway endpoint and have no other route out of the VPC; the Secrets Manager
 * and SageMaker runtime endpoints are inside it) and to the cache on its port. The DynamoDB
 * endpoint's policy only lets through what the function is granted, on the feature table and the
 * registry, and the
 * Secrets Manager endpoint's only reads of the user-token keys, so neither endpoint can carry data
 * to other resources or accounts.

 */
export class Serving extends Construct {
  /** The serving VPC; `undefined` with the in-process cache. */
  public readonly network: ServingNetwork | undefined;

  /** Security group of the recommend function's network interfaces; `undefined` without a VPC. */
  public readonly functionSecurityGroup: ec2.SecurityGroup | undefined;

  /** The ElastiCache cache; `undefined` with the in-process cache. */
  public readonly cache: RecommendationCache | undefined;

  /** What the stack keeps of the model endpoint the pipeline deploys (name, image, role). */
  public readonly modelEndpoint: ModelEndpoint;

  /** Recommendation handler (also answers the health check). */
  public readonly recommendFunction: RecoFunction;

  public constructor(scope: Construct, id: string, props: ServingProps) {
    super(scope, id);

    this.modelEndpoint = new ModelEndpoint(this, 'ModelEndpoint', {
      ...props.model,
      artifactsBucket: props.modelArtifacts.bucket,
    });

    const inVpc = (props.cacheMode ?? 'elasticache') === 'elasticache';
    const vpc = inVpc ? this.createNetwork(props) : undefined;
    this.network = vpc?.network;
    this.functionSecurityGroup = vpc?.securityGroup;

    this.recommendFunction = new RecoFunction(this, 'RecommendFunction', {
      entry: functionEntry('recommend'),
      description: 'Recommendations (personal, similar items, rankings, trending) and GET /v1/health',
      environment: { [envVars.modelVersion]: props.modelVersion },
      ...(vpc === undefined
        ? {}
        : { vpc: vpc.network.vpc, vpcSubnets: SERVING_SUBNETS, securityGroups: [vpc.securityGroup] }),
    });
    props.featureStore.bindTable(this.recommendFunction, 'read');
    props.featureStore.bindRecommendationLog(this.recommendFunction);
    props.userTokenKeys.bindReader(this.recommendFunction);
    this.modelEndpoint.bindEndpoint(this.recommendFunction);
    props.registry.grantReadLive(this.recommendFunction);

    if (vpc === undefined) {
      // No envVars.cacheUrl: the function caches in its own LRU.
      this.cache = undefined;
      return;
    }
    const { network } = vpc;
    this.cache = new RecommendationCache(this, 'Cache', { network, ...props.cache });
    this.cache.bindCache(this.recommendFunction);
    network.allowSecretsManagerFrom(this.recommendFunction);
    // The endpoint carries nothing but reads of the user-token keys, whoever asks through it.
    network.secretsManagerEndpoint?.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [props.userTokenKeys.secret.secretArn],
      }),
    );
    network.allowSageMakerRuntimeFrom(this.recommendFunction);
  }

  /** The serving VPC with its endpoints and the function's security group. */
  private createNetwork(props: ServingProps): { network: ServingNetwork; securityGroup: ec2.SecurityGroup } {
    const network = new ServingNetwork(this, 'Network', {
      sageMakerRuntimeEndpoint: true,
      secretsManagerEndpoint: true,
    });
    network.dynamoDbEndpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: [...TABLE_READ_ACTIONS, ...RECOMMENDATION_LOG_ACTIONS],
        resources: props.featureStore.tableAndIndexArns(),
      }),
    );
    network.dynamoDbEndpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: [...READ_LIVE_ACTIONS],
        resources: [props.registry.table.tableArn],
      }),
    );

    const securityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: network.vpc,
      description: `${serviceName} recommend function: HTTPS to AWS endpoints, TLS to the cache`,
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'AWS APIs over HTTPS; only the DynamoDB gateway route and in-VPC endpoints exist',
    );
    return { network, securityGroup };
  }
}
