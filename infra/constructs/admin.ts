import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { api, envVars } from '#shared/config/index.ts';
import { functionEntry } from '../paths.ts';
import type { FeatureStore } from './feature-store.ts';
import { RecoFunction } from './reco-function.ts';
import type { UserTokenKeysSecret } from './user-token-keys.ts';

/** Properties of an {@link Admin}. */
export interface AdminProps {
  /** The user-token signing keys; the admin function mints tokens with the current one. */
  readonly userTokenKeys: UserTokenKeysSecret;
  /** The feature table, whose attribution counters `GET /v1/admin/stats` reads (nothing else of it). */
  readonly featureStore: FeatureStore;
  /** The stream processor, whose Lambda `IteratorAge` is the stats' processor lag. */
  readonly processor: lambda.IFunction;
  /** Version label of the fallback ranking (`ServingProps.modelVersion`), whose attribution the stats report too. */
  readonly modelVersion: string;
}

/** Why the stats' metric reads name no resource. */
const GET_METRIC_DATA_REASON =
  'cloudwatch:GetMetricData supports no resource-level permissions (the Service Authorization ' +
  'Reference lists only "*" for it), so it cannot be narrowed to the RecoStack namespace or the ' +
  "processor's metrics. It reads metric values only; this policy holds no other action.";

/**
 * The shop backend's administration, on the server API only: `POST /v1/admin/user-tokens` (mints a
 * signed-in shopper's user token, so the signing key never leaves AWS), the model routes (start
 * a training run, list and show versions, promote one) and `GET /v1/admin/stats` (CloudWatch
 * metrics, the registry and attribution). Bound here to the user-token keys, the feature table's
 * attribution counters (query only) and CloudWatch `GetMetricData`; the stack binds the registry's
 * versions (read) and the training state machine (start). Outside the VPC: DynamoDB, Step
 * Functions and CloudWatch are reached over their public endpoints with IAM.
 */
export class Admin extends Construct {
  /** Handler of the `userTokens` route, the model routes and the stats route. */
  public readonly adminFunction: RecoFunction;

  /** `cloudwatch:GetMetricData` of the admin function, on its own so its `*` resource is acknowledged alone. */
  public readonly metricsReadPolicy: iam.Policy;

  public constructor(scope: Construct, id: string, props: AdminProps) {
    super(scope, id);

    this.adminFunction = new RecoFunction(this, 'AdminFunction', {
      entry: functionEntry('admin'),
      description:
        `${api.routeMethods.userTokens} ${api.routes.userTokens} (mints user tokens), the model routes ` +
        `under ${api.routes.models} and ${api.routes.trainModel}, and ${api.routes.stats}`,
    });
    props.userTokenKeys.bindReader(this.adminFunction);
    props.featureStore.bindAttributionReader(this.adminFunction);
    this.adminFunction.addEnvironment(envVars.processorFunctionName, props.processor.functionName);
    this.adminFunction.addEnvironment(envVars.modelVersion, props.modelVersion);

    this.metricsReadPolicy = new iam.Policy(this, 'MetricsReadPolicy', {
      roles: [this.adminFunction.executionRole],
      statements: [new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] })],
    });
    Validations.of(this.metricsReadPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: GET_METRIC_DATA_REASON,
    });
  }
}
