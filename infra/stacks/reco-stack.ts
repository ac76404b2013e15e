import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { serviceName } from '#shared/config/index.ts';
import { Alarms } from '../constructs/alarms.ts';
import { Api } from '../constructs/api.ts';
import { Catalogue } from '../constructs/catalogue.ts';
import { DataLake } from '../constructs/data-lake.ts';
import { FeatureStore } from '../constructs/feature-store.ts';
import { Ingestion } from '../constructs/ingestion.ts';
import { ModelArtifacts } from '../constructs/model-artifacts.ts';
import type { ModelEndpointProps } from '../constructs/model-endpoint.ts';
import { Privacy } from '../constructs/privacy.ts';
import { Serving } from '../constructs/serving.ts';

/** Properties of a {@link RecoStack}. Never set `env`: the stack is environment-agnostic. */
export interface RecoStackProps extends StackProps {
  /** Version label of the ranking served (see `ServingProps.modelVersion`). */
  readonly modelVersion: string;

  /**
   * Whether the feature table is deletion-protected.
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * The trained model to serve from a SageMaker endpoint (`modelDataUrl` and sizing).
   * @default - no model endpoint: the recommend function serves the popularity ranking
   */
  readonly model?: ModelEndpointProps;

  /**
   * Origins whose pages may call the API (CORS; see `ApiProps.corsOrigins`).
   * @default api.cors.allowOrigins (any origin)
   */
  readonly corsOrigins?: readonly string[];
}

/**
 * The whole real-time recommendation service in one environment-agnostic stack (no lookups,
 * so it synthesises offline): feature store, ingestion (stream + processor), data lake (stream to
 * S3 through Firehose), model artifacts bucket, serving (VPC, cache, optional SageMaker endpoint,
 * recommend function), catalogue, privacy (erasure), API, alarms on the functions' metrics.
 * A later `Training` construct joins here; see the note on {@link Serving}.
 */
export class RecoStack extends Stack {
  public readonly featureStore: FeatureStore;
  public readonly ingestion: Ingestion;
  public readonly dataLake: DataLake;
  public readonly modelArtifacts: ModelArtifacts;
  public readonly serving: Serving;
  public readonly catalogue: Catalogue;
  public readonly privacy: Privacy;
  public readonly api: Api;
  public readonly alarms: Alarms;

  public constructor(scope: Construct, id: string, props: RecoStackProps) {
    super(scope, id, {
      description: `${serviceName}: real-time e-commerce recommendations (events, features, API)`,
      ...props,
    });

    this.featureStore = new FeatureStore(this, 'FeatureStore', {
      deletionProtection: props.deletionProtection ?? true,
    });
    this.ingestion = new Ingestion(this, 'Ingestion', { featureStore: this.featureStore });
    this.dataLake = new DataLake(this, 'DataLake', { ingestion: this.ingestion });
    this.modelArtifacts = new ModelArtifacts(this, 'ModelArtifacts', {
      accessLogBucket: this.dataLake.accessLogBucket,
    });
    this.serving = new Serving(this, 'Serving', {
      featureStore: this.featureStore,
      modelVersion: props.modelVersion,
      ...(props.model === undefined ? {} : { model: props.model }),
    });
    this.catalogue = new Catalogue(this, 'Catalogue', { featureStore: this.featureStore });
    this.privacy = new Privacy(this, 'Privacy', { featureStore: this.featureStore });
    this.api = new Api(this, 'Api', {
      routeHandlers: {
        events: this.ingestion.ingestFunction,
        userRecommendations: this.serving.recommendFunction,
        similarItems: this.serving.recommendFunction,
        rankings: this.serving.recommendFunction,
        trending: this.serving.recommendFunction,
        health: this.serving.recommendFunction,
        catalogueItems: this.catalogue.catalogueFunction,
        catalogueItem: this.catalogue.catalogueFunction,
        userErasure: this.privacy.erasureFunction,
      },
      ...(props.corsOrigins === undefined ? {} : { corsOrigins: props.corsOrigins }),
    });

    this.alarms = new Alarms(this, 'Alarms');

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Invoke URL of the API stage' });
    new CfnOutput(this, 'ApiKeyId', {
      value: this.api.apiKey.keyId,
      description: 'Id of the storefront API key (value: aws apigateway get-api-key --include-value --api-key <id>)',
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
      description: 'Bucket of trained models; deploy one with -c reco:modelDataUrl=s3://<bucket>/<key>/model.tar.gz',
    });
    if (this.serving.modelEndpoint !== undefined) {
      new CfnOutput(this, 'ModelEndpointName', { value: this.serving.modelEndpoint.endpointName });
    }
  }
}
