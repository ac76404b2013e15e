import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IDependable } from 'constructs';
import { api, serviceName, type RouteName } from '#shared/config/index.ts';
import {
  addGatewayDefaultErrors,
  addGatewayErrors,
  addRouteMethod,
  newRestApi,
  type RecoApiProps,
  routesOf,
} from './api.ts';

/** Properties of a {@link ServerApi}. */
export interface ServerApiProps extends RecoApiProps {
  /**
   * What sets API Gateway's account-level CloudWatch role (`StorefrontApi.cloudWatchAccount`); the
   * stage, which writes execution logs, is deployed after it.
   * @default - this API sets the role itself (only one API of an account and region should)
   */
  readonly cloudWatchAccount?: IDependable;
}

/** Why the server API's methods have AWS IAM authorization and no Cognito user pool. */
const IAM_AUTH_REASON =
  "Callers are the shop's backend services, which sign every request with AWS SigV4 (AWS_IAM " +
  'authorization, as Amazon Personalize does); their IAM role needs execute-api:Invoke on this API ' +
  '(the ServerInvokePolicyArn output). They are no end users, so there is no Cognito user pool.';

/**
 * The server REST API, for the shop's backend: the routes `api.routeApis` gives `server` (every
 * list route, events for any user, the catalogue, erasure, readiness and the admin routes), each
 * with `AuthorizationType.IAM` (SigV4) and no API key, no usage plan and no CORS (no browser calls
 * it). The functions take the caller's IAM identity from the request context.
 *
 * Gateway errors answer in the `{reason, message}` shape: no credentials (or a route this API does
 * not have, the same response type) `missing_authentication`, a bad signature `invalid_signature`,
 * expired credentials `expired_credentials`, a caller whose policy does not allow the route
 * `access_denied`, plus throttling and a body too large.
 *
 * {@link ServerApi.invokePolicy} is the managed policy to attach to the shop's server role. The
 * stage has X-Ray tracing, JSON access logs, error-level execution logs and metrics.
 */
export class ServerApi extends Construct {
  /** The REST API (regional endpoint). */
  public readonly restApi: apigw.RestApi;

  /** Access logs of the deployment stage. */
  public readonly accessLogGroup: logs.LogGroup;

  /** Validator of required parameters and of request bodies against a method's request model. */
  public readonly requestValidator: apigw.RequestValidator;

  /** The method of each server route (`routesOf('server')`), keyed like `api.routes`. */
  public readonly methods: Readonly<Partial<Record<RouteName, apigw.Method>>>;

  /** Managed policy allowing `execute-api:Invoke` on every route of the deployment stage. */
  public readonly invokePolicy: iam.ManagedPolicy;

  /** Invoke URL of the deployment stage, ending in `/`. */
  public readonly url: string;

  public constructor(scope: Construct, id: string, props: ServerApiProps) {
    super(scope, id);

    const { restApi, accessLogGroup, requestValidator } = newRestApi(this, {
      restApiName: `${serviceName}-server`,
      description: `${serviceName} server API: the shop's backend, signed with AWS IAM credentials (SigV4)`,
      cloudWatchRole: props.cloudWatchAccount === undefined,
      ...(props.stageName === undefined ? {} : { stageName: props.stageName }),
      ...(props.accessLogRetention === undefined ? {} : { accessLogRetention: props.accessLogRetention }),
    });
    this.restApi = restApi;
    this.accessLogGroup = accessLogGroup;
    this.requestValidator = requestValidator;
    this.url = restApi.url;
    if (props.cloudWatchAccount !== undefined) restApi.deploymentStage.node.addDependency(props.cloudWatchAccount);

    const methods: Partial<Record<RouteName, apigw.Method>> = {};
    for (const name of routesOf('server')) {
      const method = addRouteMethod(restApi, name, props.routeHandlers[name], {
        authorizationType: apigw.AuthorizationType.IAM,
        apiKeyRequired: false,
        requestValidator,
      });
      Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason: IAM_AUTH_REASON });
      methods[name] = method;
    }
    this.methods = methods;

    Validations.of(restApi.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'No web ACL on the server API: every request must carry a valid SigV4 signature of a principal ' +
        'allowed execute-api:Invoke, which API Gateway checks before any function runs, so anonymous ' +
        'floods are refused unbilled by Lambda; the storefront API, which has a public key, has the WAF.',
    });

    addGatewayErrors(restApi, [
      // Without credentials; API Gateway gives a route this API does not have the same type.
      [
        'MissingAuthenticationToken',
        apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
        api.gatewayErrors.missingAuthentication,
      ],
      ['InvalidSignature', apigw.ResponseType.INVALID_SIGNATURE, api.gatewayErrors.invalidSignature],
      ['ExpiredToken', apigw.ResponseType.EXPIRED_TOKEN, api.gatewayErrors.expiredCredentials],
      ['AccessDenied', apigw.ResponseType.ACCESS_DENIED, api.gatewayErrors.accessDenied],
      ['RequestTooLarge', apigw.ResponseType.REQUEST_TOO_LARGE, api.gatewayErrors.requestTooLarge],
      ['Throttled', apigw.ResponseType.THROTTLED, api.gatewayErrors.throttled],
    ]);
    addGatewayDefaultErrors(restApi);

    this.invokePolicy = new iam.ManagedPolicy(this, 'InvokePolicy', {
      description: `Lets the shop's backend call every route of the ${serviceName} server API (SigV4)`,
      statements: [
        new iam.PolicyStatement({
          actions: ['execute-api:Invoke'],
          resources: [restApi.arnForExecuteApi('*', '/*', restApi.deploymentStage.stageName)],
        }),
      ],
    });
    const logicalId = (construct: Construct): string =>
      Stack.of(this).getLogicalId(construct.node.defaultChild as CfnElement);
    Validations.of(this.invokePolicy).acknowledge({
      id:
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:' +
        `<${logicalId(restApi)}>/<${logicalId(restApi.deploymentStage)}>/*/*]`,
      reason:
        "The policy is for the shop's backend, which may call every route of the server API: the " +
        'resource is this one API and stage, and the wildcards only span its methods and paths, all of ' +
        'which are server routes (path parameters such as {userId} are wildcards in execute-api ARNs anyway).',
    });
  }
}
