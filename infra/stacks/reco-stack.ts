import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { serviceName } from '#shared/config/index.ts';
import { Api } from '../constructs/api.ts';
import { FeatureStore } from '../constructs/feature-store.ts';
import { Ingestion } from '../constructs/ingestion.ts';
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
}

/**
 * The whole real-time recommendation service in one environment-agnostic stack (no lookups,
 * so it synthesises offline): feature store, ingestion (stream + processor), serving, API.
 * A later `Training` construct joins here; see the note on {@link Serving}.
 */
export class RecoStack extends Stack {
  public readonly featureStore: FeatureStore;
  public readonly ingestion: Ingestion;
  public readonly serving: Serving;
  public readonly api: Api;

  public constructor(scope: Construct, id: string, props: RecoStackProps) {
    super(scope, id, {
      description: `${serviceName}: real-time e-commerce recommendations (events, features, API)`,
      ...props,
    });

    this.featureStore = new FeatureStore(this, 'FeatureStore', {
      deletionProtection: props.deletionProtection ?? true,
    });
    this.ingestion = new Ingestion(this, 'Ingestion', { featureStore: this.featureStore });
    this.serving = new Serving(this, 'Serving', {
      featureStore: this.featureStore,
      modelVersion: props.modelVersion,
    });
    this.api = new Api(this, 'Api', {
      routeHandlers: {
        events: this.ingestion.ingestFunction,
        userRecommendations: this.serving.recommendFunction,
        health: this.serving.recommendFunction,
      },
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Invoke URL of the API stage' });
    new CfnOutput(this, 'ApiKeyId', {
      value: this.api.apiKey.keyId,
      description: 'Id of the storefront API key (value: aws apigateway get-api-key --include-value --api-key <id>)',
    });
    new CfnOutput(this, 'FeatureTableName', { value: this.featureStore.table.tableName });
    new CfnOutput(this, 'EventStreamName', { value: this.ingestion.stream.streamName });
    new CfnOutput(this, 'ProcessorFailureQueueUrl', { value: this.ingestion.failureQueue.queueUrl });
  }
}
