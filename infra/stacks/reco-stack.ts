import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { serviceName } from '#shared/config/index.ts';
import { type DeploymentShape, deploymentShapes } from '#shared/config/shapes.ts';
import { Alarms } from '../constructs/alarms.ts';
import { Admin } from '../constructs/admin.ts';
import { bindApiFunctions, type RouteHandlers } from '../constructs/api.ts';
import { Catalogue } from '../constructs/catalogue.ts';
import { OperationsDashboard } from '../constructs/dashboard.ts';
import { DataLake } from '../constructs/data-lake.ts';
import { ErasureHashKeySecret } from '../constructs/erasure-hash-key.ts';
import { FeatureStore } from '../constructs/feature-store.ts';
import { Ingestion } from '../constructs/ingestion.ts';
import { ModelArtifacts } from '../constructs/model-artifacts.ts';
import type { ModelEndpointProps } from '../constructs/model-endpoint.ts';
import { ModelRegistry } from '../constructs/model-registry.ts';
import { PipelineTeardown } from '../constructs/pipeline-teardown.ts';
import { Privacy } from '../constructs/privacy.ts';
import { ServerApi } from '../constructs/server-api.ts';
import { Serving } from '../constructs/serving.ts';
import { StorefrontApi } from '../constructs/storefront-api.ts';
import { StorefrontWaf } from '../constructs/storefront-waf.ts';
import { TrainingPipeline } from '../constructs/training-pipeline.ts';
import { UserTokenKeysSecret } from '../constructs/user-token-keys.ts';

/** Properties of a {@link RecoStack}. Never set `env`: the stack is environment-agnostic. */
export interface RecoStackProps extends StackProps {
  /** Version label of the ranking served (see `ServingProps.modelVersion`). */
  readonly modelVersion: string;

  /**
   * Which billed-by-the-hour resources the stack has: the endpoint's mode, the cache (and with it
   * the VPC), the stream's capacity mode and the web ACL. Checked by `validateShape` in build-app.
   * @default deploymentShapes.default
   */
  readonly shape?: DeploymentShape;

  /**
   * Whether the feature table is deletion-protected.
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * Image and sizing of the model endpoint the training pipeline deploys; what is set here wins over
   * the shape's endpoint.
   * @default - the repository's model image (`model/Dockerfile`) and the sizing of the shape's endpoint
   */
  readonly model?: Omit<ModelEndpointProps, 'artifactsBucket'>;

  /**
   * Origins whose pages may call the API (CORS; see `ApiProps.corsOrigins`).
   * @default api.cors.allowOrigins (any origin)
   */
  readonly corsOrigins?: readonly string[];

  /**
   * Whether the storefront API gets its web ACL with the per-IP rate rule ({@link StorefrontWaf}).
   * @default - the shape's `waf`
   */
  readonly storefrontWaf?: boolean;

  /**
   * Requests one client IP may send the storefront API in 5 minutes (`StorefrontWafProps.rateLimit`).
   * @default DEFAULT_STOREFRONT_RATE_LIMIT (2,000)
   */
  readonly storefrontRateLimit?: number;
}

/** The endpoint part of the shape as {@link ModelEndpointProps}. */
function modelSizing(shape: DeploymentShape): Omit<ModelEndpointProps, 'artifactsBucket'> {
  const { endpoint } = shape;
  const networkIsolation =
    endpoint.networkIsolation === undefined ? {} : { networkIsolation: endpoint.networkIsolation };
  return endpoint.mode === 'serverless'
    ? { serverless: { memoryMb: endpoint.memoryMb, maxConcurrency: endpoint.maxConcurrency }, ...networkIsolation }
    : {
        instanceType: endpoint.instanceType,
        minInstances: endpoint.minInstances,
        maxInstances: endpoint.maxInstances,
        ...networkIsolation,
      };
}

/**
 * The whole real-time recommendation service in one environment-agnostic stack (no lookups,
 * so it synthesises offline), in the deployment shape of {@link RecoStackProps.shape}: feature
 * store, ingestion (stream + processor), data lake (stream to S3 through Firehose), model artifacts
 * bucket, model registry, serving (VPC and cache, or neither with the in-process cache; the model
 * endpoint's name, image and role; recommend function), the training pipeline (Step Functions,
 * SageMaker jobs, schedule; it owns the endpoint) and its teardown on stack deletion, catalogue,
 * privacy (erasure), admin (user tokens), the user-token keys and the erasure-log hash key
 * (Secrets Manager), the storefront API (API key, CORS, WAF) and the server API (IAM) over the
 * same functions, alarms on the functions' metrics and a dashboard of them.
 */
export class RecoStack extends Stack {
  public readonly featureStore: FeatureStore;
  public readonly ingestion: Ingestion;
  public readonly dataLake: DataLake;
  public readonly modelArtifacts: ModelArtifacts;
  public readonly registry: ModelRegistry;
  public readonly serving: Serving;
  public readonly training: TrainingPipeline;
  public readonly trainingTeardown: PipelineTeardown;
  public readonly catalogue: Catalogue;
  public readonly privacy: Privacy;
  public readonly admin: Admin;
  public readonly userTokenKeys: UserTokenKeysSecret;
  public readonly erasureHashKey: ErasureHashKeySecret;
  /** The function behind each route, on whichever API `api.routeApis` puts it. */
  public readonly routeHandlers: RouteHandlers;
  public readonly storefrontApi: StorefrontApi;
  public readonly serverApi: ServerApi;
  /** The storefront's web ACL; `undefined` with {@link RecoStackProps.storefrontWaf} false. */
  public readonly storefrontWaf: StorefrontWaf | undefined;
  public readonly alarms: Alarms;
  /** The CloudWatch dashboard of the operational charts of `GET /v1/admin/stats`. */
  public readonly dashboard: OperationsDashboard;
  /** The shape the stack was built with. */
  public readonly shape: DeploymentShape;

  public constructor(scope: Construct, id: string, props: RecoStackProps) {
    super(scope, id, {
      description: `${serviceName}: real-time e-commerce recommendations (events, features, API)`,
      ...props,
    });

    const shape = props.shape ?? deploymentShapes.default;
    this.shape = shape;

    this.featureStore = new FeatureStore(this, 'FeatureStore', {
      deletionProtection: props.deletionProtection ?? true,
    });
    this.userTokenKeys = new UserTokenKeysSecret(this, 'UserTokenKeys');
    this.erasureHashKey = new ErasureHashKeySecret(this, 'ErasureHashKey');
    this.ingestion = new Ingestion(this, 'Ingestion', {
      featureStore: this.featureStore,
      userTokenKeys: this.userTokenKeys,
      erasureHashKey: this.erasureHashKey,
      stream: shape.stream,
    });
    this.dataLake = new DataLake(this, 'DataLake', { ingestion: this.ingestion });
    this.modelArtifacts = new ModelArtifacts(this, 'ModelArtifacts', {
      accessLogBucket: this.dataLake.accessLogBucket,
    });
    this.registry = new ModelRegistry(this, 'ModelRegistry');
    this.serving = new Serving(this, 'Serving', {
      featureStore: this.featureStore,
      modelVersion: props.modelVersion,
      userTokenKeys: this.userTokenKeys,
      registry: this.registry,
      modelArtifacts: this.modelArtifacts,
      cacheMode: shape.cache,
      model: { ...modelSizing(shape), ...props.model },
    });
    this.training = new TrainingPipeline(this, 'Training', {
      featureStore: this.featureStore,
      dataLake: this.dataLake,
      modelArtifacts: this.modelArtifacts,
      erasureHashKey: this.erasureHashKey,
      registry: this.registry,
      modelEndpoint: this.serving.modelEndpoint,
    });
    this.trainingTeardown = new PipelineTeardown(this, 'TrainingTeardown', {
      pipeline: this.training,
      modelEndpoint: this.serving.modelEndpoint,
    });
    this.catalogue = new Catalogue(this, 'Catalogue', { featureStore: this.featureStore });
    this.privacy = new Privacy(this, 'Privacy', {
      featureStore: this.featureStore,
      erasureHashKey: this.erasureHashKey,
    });
    this.admin = new Admin(this, 'Admin', {
      userTokenKeys: this.userTokenKeys,
      featureStore: this.featureStore,
      processor: this.ingestion.processorFunction,
      modelVersion: props.modelVersion,
    });

    this.routeHandlers = {
      events: this.ingestion.ingestFunction,
      userRecommendations: this.serving.recommendFunction,
      similarItems: this.serving.recommendFunction,
      rankings: this.serving.recommendFunction,
      trending: this.serving.recommendFunction,
      health: this.serving.recommendFunction,
      catalogueItems: this.catalogue.catalogueFunction,
      catalogueItem: this.catalogue.catalogueFunction,
      userErasure: this.privacy.erasureFunction,
      readiness: this.serving.recommendFunction,
      userTokens: this.admin.adminFunction,
      trainModel: this.admin.adminFunction,
      models: this.admin.adminFunction,
      model: this.admin.adminFunction,
      promoteModel: this.admin.adminFunction,
      stats: this.admin.adminFunction,
    };
    this.registry.grantReadVersions(this.admin.adminFunction);
    this.training.grantStartExecution(this.admin.adminFunction);
    this.storefrontApi = new StorefrontApi(this, 'StorefrontApi', {
      routeHandlers: this.routeHandlers,
      ...(props.corsOrigins === undefined ? {} : { corsOrigins: props.corsOrigins }),
    });
    this.serverApi = new ServerApi(this, 'ServerApi', {
      routeHandlers: this.routeHandlers,
      cloudWatchAccount: this.storefrontApi.cloudWatchAccount,
    });
    bindApiFunctions({
      routeHandlers: this.routeHandlers,
      storefront: this.storefrontApi,
      server: this.serverApi,
      corsOrigins: this.storefrontApi.corsOrigins,
    });
    if (props.storefrontWaf ?? shape.waf) {
      this.storefrontWaf = new StorefrontWaf(this, 'StorefrontWaf', {
        stage: this.storefrontApi.restApi.deploymentStage,
        ...(props.storefrontRateLimit === undefined ? {} : { rateLimit: props.storefrontRateLimit }),
      });
    } else {
      this.storefrontWaf = undefined;
      this.storefrontApi.acknowledgeNoWaf();
    }

    this.alarms = new Alarms(this, 'Alarms', {
      processor: this.ingestion.processorFunction,
      failureQueue: this.ingestion.failureQueue,
      apis: { Storefront: this.storefrontApi.restApi, Server: this.serverApi.restApi },
      pipeline: this.training.stateMachine,
    });

    this.dashboard = new OperationsDashboard(this, 'Dashboard', { processor: this.ingestion.processorFunction });

    new CfnOutput(this, 'StorefrontApiUrl', {
      value: this.storefrontApi.url,
      description: "Invoke URL of the storefront API's stage (shoppers' browsers, API key)",
    });
    new CfnOutput(this, 'StorefrontApiKeyId', {
      value: this.storefrontApi.apiKey.keyId,
      description: 'Id of the storefront API key (value: aws apigateway get-api-key --include-value --api-key <id>)',
    });
    new CfnOutput(this, 'ServerApiUrl', {
      value: this.serverApi.url,
      description: "Invoke URL of the server API's stage (the shop's backend, AWS SigV4)",
    });
    new CfnOutput(this, 'ServerInvokePolicyArn', {
      value: this.serverApi.invokePolicy.managedPolicyArn,
      description: "Managed policy allowing execute-api:Invoke on the server API; attach it to the shop's server role",
    });
    new CfnOutput(this, 'FeatureTableName', { value: this.featureStore.table.tableName });
    new CfnOutput(this, 'EventStreamName', { value: this.ingestion.stream.streamName });
    new CfnOutput(this, 'ProcessorFailureQueueUrl', { value: this.ingestion.failureQueue.queueUrl });
    new CfnOutput(this, 'DataLakeBucketName', {
      value: this.dataLake.bucket.bucketName,
      description: 'Bucket of the raw events (events/dt=<yyyy-MM-dd>/, GZIP JSON, by arrival day)',
    });
    new CfnOutput(this, 'ModelArtifactsBucketName', {
      value: this.modelArtifacts.bucket.bucketName,
      description: 'Bucket of the training pipeline: datasets/<version>/ and models/<version>/',
    });
    new CfnOutput(this, 'ModelEndpointName', {
      value: this.serving.modelEndpoint.endpointName,
      description: 'SageMaker endpoint the training pipeline deploys to (absent until its first model is live)',
    });
    new CfnOutput(this, 'ModelRegistryTableName', { value: this.registry.table.tableName });
    new CfnOutput(this, 'TrainingStateMachineArn', {
      value: this.training.stateMachineArn,
      description:
        'Training pipeline; start a run with aws stepfunctions start-execution --input \'{"trigger":"manual"}\'',
    });
    new CfnOutput(this, 'TrainingNotificationsTopicArn', {
      value: this.training.topic.topicArn,
      description: 'SNS topic of the training outcomes (live, rejected, failed); subscribe to be told',
    });
  }
}
