import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { envVars, serviceName } from '#shared/config/index.ts';
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
   * Usage limits of the recommendation cache.
   * @default - the defaults of {@link RecommendationCacheProps}
   */
  readonly cache?: Omit<RecommendationCacheProps, 'network'>;
}

/**
 * The read path: the recommend function behind the recommendation routes (personal, similar items,
 * rankings, trending) and `GET /v1/health`, in a private network with a cache and the model
 * endpoint the training pipeline deploys:
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
  public readonly network: ServingNetwork;

  /** Security group of the recommend function's network interfaces. */
  public readonly functionSecurityGroup: ec2.SecurityGroup;

  public readonly cache: RecommendationCache;

  /** What the stack keeps of the model endpoint the pipeline deploys (name, image, role). */
  public readonly modelEndpoint: ModelEndpoint;

  /** Recommendation handler (also answers the health check). */
  public readonly recommendFunction: RecoFunction;

  public constructor(scope: Construct, id: string, props: ServingProps) {
    super(scope, id);

    this.network = new ServingNetwork(this, 'Network', {
      sageMakerRuntimeEndpoint: true,
      secretsManagerEndpoint: true,
    });
    this.network.dynamoDbEndpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: [...TABLE_READ_ACTIONS, ...RECOMMENDATION_LOG_ACTIONS],
        resources: props.featureStore.tableAndIndexArns(),
      }),
    );
    this.network.dynamoDbEndpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: [...READ_LIVE_ACTIONS],
        resources: [props.registry.table.tableArn],
      }),
    );

    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.network.vpc,
      description: `${serviceName} recommend function: HTTPS to AWS endpoints, TLS to the cache`,
      allowAllOutbound: false,
    });
    this.functionSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'AWS APIs over HTTPS; only the DynamoDB gateway route and in-VPC endpoints exist',
    );

    this.cache = new RecommendationCache(this, 'Cache', { network: this.network, ...props.cache });

    this.modelEndpoint = new ModelEndpoint(this, 'ModelEndpoint', {
      ...props.model,
      artifactsBucket: props.modelArtifacts.bucket,
    });

    this.recommendFunction = new RecoFunction(this, 'RecommendFunction', {
      entry: functionEntry('recommend'),
      description: 'Recommendations (personal, similar items, rankings, trending) and GET /v1/health',
      environment: { [envVars.modelVersion]: props.modelVersion },
      vpc: this.network.vpc,
      vpcSubnets: SERVING_SUBNETS,
      securityGroups: [this.functionSecurityGroup],
    });
    props.featureStore.bindTable(this.recommendFunction, 'read');
    props.featureStore.bindRecommendationLog(this.recommendFunction);
    this.cache.bindCache(this.recommendFunction);
    props.userTokenKeys.bindReader(this.recommendFunction);
    this.network.allowSecretsManagerFrom(this.recommendFunction);
    // The endpoint carries nothing but reads of the user-token keys, whoever asks through it.
    this.network.secretsManagerEndpoint?.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [props.userTokenKeys.secret.secretArn],
      }),
    );
    this.modelEndpoint.bindEndpoint(this.recommendFunction);
    this.network.allowSageMakerRuntimeFrom(this.recommendFunction);
    props.registry.grantReadLive(this.recommendFunction);
  }
}
