import { Construct } from 'constructs';
import { envVars } from '#shared/config/index.ts';
import { functionEntry } from '../paths.ts';
import type { FeatureStore } from './feature-store.ts';
import { RecoFunction } from './reco-function.ts';

/** Properties of a {@link Serving}. */
export interface ServingProps {
  /** The feature store the recommend function reads (read-only, including its indexes). */
  readonly featureStore: FeatureStore;

  /**
   * Version label of the ranking the recommend function serves, passed as
   * `envVars.modelVersion` and echoed in responses so clients and logs can tell rankings apart.
   */
  readonly modelVersion: string;
}

/**
 * The read path: the recommend function behind `GET /v1/users/{userId}/recommendations` and
 * `GET /v1/health`, bound read-only to the feature store.
 *
 * Where later pieces plug in:
 * - Low-latency cache and model endpoint: a VPC with private isolated subnets, an ElastiCache
 *   (Valkey) replication group and a SageMaker real-time endpoint belong in this construct, next
 *   to the function they serve. The function then takes `vpc`/`securityGroups` through a
 *   RecoFunction prop, reaches DynamoDB through a gateway endpoint and the SageMaker runtime
 *   through an interface endpoint (cdk-nag EC23: create that endpoint with `open: false` and call
 *   `endpoint.connections.allowDefaultPortFrom(functionSecurityGroup)`), and gets cache and
 *   endpoint names from `bind*()` methods, the same way it gets the table name today.
 * - Training: a separate `Training` construct (Step Functions state machine running SageMaker
 *   jobs over exported features) is composed in `RecoStack` beside this one. It publishes the
 *   model version it produced; Serving receives it through `modelVersion` instead of the
 *   deploy-time context value used now.
 */
export class Serving extends Construct {
  /** Recommendation handler (also answers the health check). */
  public readonly recommendFunction: RecoFunction;

  public constructor(scope: Construct, id: string, props: ServingProps) {
    super(scope, id);

    this.recommendFunction = new RecoFunction(this, 'RecommendFunction', {
      entry: functionEntry('recommend'),
      description: 'GET /v1/users/{userId}/recommendations and GET /v1/health',
      environment: { [envVars.modelVersion]: props.modelVersion },
    });
    props.featureStore.bindTable(this.recommendFunction, 'read');
  }
}
