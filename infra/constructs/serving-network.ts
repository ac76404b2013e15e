import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { lambdaDefaults } from '#shared/config/index.ts';
import { retentionDays } from '../retention.ts';

/** The only subnet type of the serving VPC. */
export const SERVING_SUBNETS: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

/** Properties of a {@link ServingNetwork}. */
export interface ServingNetworkProps {
  /**
   * Whether to create the SageMaker runtime interface endpoint. Only worth its hourly price per
   * AZ when a model endpoint is deployed; without one the recommend function never calls SageMaker.
   * @default false
   */
  readonly sageMakerRuntimeEndpoint?: boolean;

  /**
   * Whether to create the Secrets Manager interface endpoint, for functions in the VPC that read
   * secrets (the recommend function verifies user tokens with keys from Secrets Manager).
   * @default false
   */
  readonly secretsManagerEndpoint?: boolean;
}

/**
 * The private network of the serving path: a VPC over two AZs with **isolated subnets only**
 * (no internet gateway, no NAT gateway, so no route to the internet exists), flow logs of all
 * traffic to CloudWatch Logs, and the VPC endpoints the recommend function needs from there:
 *
 * - DynamoDB **gateway** endpoint (no hourly charge) for the feature table;
 * - SageMaker runtime **interface** endpoint with private DNS, only when
 *   {@link ServingNetworkProps.sageMakerRuntimeEndpoint} is set. It is created closed
 *   (`open: false`, no ingress rule for the VPC CIDR, which cdk-nag EC23 cannot evaluate as a
 *   token): callers are let in with {@link ServingNetwork.allowSageMakerRuntimeFrom}.
 * - Secrets Manager **interface** endpoint with private DNS, only when
 *   {@link ServingNetworkProps.secretsManagerEndpoint} is set; closed the same way, callers let in
 *   with {@link ServingNetwork.allowSecretsManagerFrom}.
 *
 * No endpoint for CloudWatch Logs or X-Ray: Lambda sends the function's logs and its active
 * tracing segments itself, outside the VPC (see `RecoFunction`). No S3 endpoint: nothing in the VPC
 * reads S3 (the SageMaker model is network-isolated and not attached to this VPC).
 *
 * The default security group of the VPC keeps its AWS defaults (`restrictDefaultSecurityGroup:
 * false`): nothing is placed in it, every network interface here has a security group of its own,
 * and closing it would take a custom-resource Lambda function with an AWS managed policy.
 */
export class ServingNetwork extends Construct {
  public readonly vpc: ec2.Vpc;

  /** Flow log group (retention `lambdaDefaults.logRetentionDays`). */
  public readonly flowLogGroup: logs.LogGroup;

  /** DynamoDB gateway endpoint on the route tables of the isolated subnets. */
  public readonly dynamoDbEndpoint: ec2.GatewayVpcEndpoint;

  /** SageMaker runtime endpoint; `undefined` unless requested. */
  public readonly sageMakerRuntimeEndpoint: ec2.InterfaceVpcEndpoint | undefined;

  /** Secrets Manager endpoint; `undefined` unless requested. */
  public readonly secretsManagerEndpoint: ec2.InterfaceVpcEndpoint | undefined;

  public constructor(scope: Construct, id: string, props: ServingNetworkProps = {}) {
    super(scope, id);

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      // Two AZs without a lookup: the stack stays environment-agnostic (Fn::GetAZs at deploy time).
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      restrictDefaultSecurityGroup: false,
    });

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: retentionDays(lambdaDefaults.logRetentionDays),
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    this.dynamoDbEndpoint = this.vpc.addGatewayEndpoint('DynamoDb', {
      service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
      subnets: [SERVING_SUBNETS],
    });

    this.sageMakerRuntimeEndpoint = props.sageMakerRuntimeEndpoint
      ? this.vpc.addInterfaceEndpoint('SageMakerRuntime', {
          service: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
          subnets: SERVING_SUBNETS,
          privateDnsEnabled: true,
          open: false,
          // An endpoint only answers; its group needs no egress (security groups are stateful).
          securityGroups: [
            new ec2.SecurityGroup(this, 'SageMakerRuntimeSecurityGroup', {
              vpc: this.vpc,
              description: 'SageMaker runtime VPC endpoint: HTTPS from allowed callers only',
              allowAllOutbound: false,
            }),
          ],
        })
      : undefined;

    this.secretsManagerEndpoint = props.secretsManagerEndpoint
      ? this.vpc.addInterfaceEndpoint('SecretsManager', {
          service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
          subnets: SERVING_SUBNETS,
          privateDnsEnabled: true,
          open: false,
          securityGroups: [
            new ec2.SecurityGroup(this, 'SecretsManagerSecurityGroup', {
              vpc: this.vpc,
              description: 'Secrets Manager VPC endpoint: HTTPS from allowed callers only',
              allowAllOutbound: false,
            }),
          ],
        })
      : undefined;
  }

  /** Subnet ids of the isolated subnets (one per AZ). */
  public get subnetIds(): string[] {
    return this.vpc.selectSubnets(SERVING_SUBNETS).subnetIds;
  }

  /**
   * Lets `peer` reach the SageMaker runtime endpoint on HTTPS (ingress on the endpoint's group and,
   * if `peer`'s group restricts egress, the matching egress rule). No-op without that endpoint.
   */
  public allowSageMakerRuntimeFrom(peer: ec2.IConnectable): void {
    this.sageMakerRuntimeEndpoint?.connections.allowDefaultPortFrom(peer, 'SageMaker runtime calls (InvokeEndpoint)');
  }

  /**
   * Lets `peer` reach the Secrets Manager endpoint on HTTPS, as {@link ServingNetwork.allowSageMakerRuntimeFrom}
   * does for SageMaker. No-op without that endpoint.
   */
  public allowSecretsManagerFrom(peer: ec2.IConnectable): void {
    this.secretsManagerEndpoint?.connections.allowDefaultPortFrom(peer, 'Secrets Manager calls (GetSecretValue)');
  }
}
