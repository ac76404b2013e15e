import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { lambdaDefaults } from '#shared/config/index.ts';
import { ServingNetwork } from '#infra/constructs/serving-network.ts';
import { logicalIdOf, newTestStack } from './helpers.ts';

function synthNetwork(props?: ConstructorParameters<typeof ServingNetwork>[2]) {
  const stack = newTestStack();
  const network = new ServingNetwork(stack, 'Network', props);
  return { stack, network, template: Template.fromStack(stack) };
}

const sgId = (construct: ec2.ISecurityGroup) => ({ 'Fn::GetAtt': [logicalIdOf(construct), 'GroupId'] });

describe('Construct: ServingNetwork', () => {
  it('has two isolated subnets in two AZs and no way to the internet', () => {
    // Act
    const { network, template } = synthNetwork();

    // Assess
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    expect(network.vpc.isolatedSubnets).toHaveLength(2);
    expect(network.vpc.publicSubnets).toHaveLength(0);
    expect(network.vpc.privateSubnets).toHaveLength(0);
    for (const [index, subnet] of Object.values(template.findResources('AWS::EC2::Subnet')).entries()) {
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
      // Environment-agnostic: AZs are resolved at deploy time, no lookup.
      expect(subnet.Properties.AvailabilityZone).toEqual({ 'Fn::Select': [index, { 'Fn::GetAZs': '' }] });
    }
    for (const type of [
      'AWS::EC2::InternetGateway',
      'AWS::EC2::VPCGatewayAttachment',
      'AWS::EC2::NatGateway',
      'AWS::EC2::EgressOnlyInternetGateway',
      'AWS::EC2::EIP',
      'AWS::EC2::Route',
      'AWS::EC2::TransitGatewayAttachment',
    ]) {
      template.resourceCountIs(type, 0);
    }
  });

  it('logs all traffic to a CloudWatch log group with the service retention', () => {
    const { network, template } = synthNetwork();

    template.resourceCountIs('AWS::EC2::FlowLog', 1);
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceId: { Ref: logicalIdOf(network.vpc) },
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: { Ref: logicalIdOf(network.flowLogGroup) },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: lambdaDefaults.logRetentionDays });
  });

  it('routes DynamoDB through a gateway endpoint on the isolated subnets', () => {
    const { stack, network, template } = synthNetwork();

    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.dynamodb$')])] }),
      RouteTableIds: network.vpc.isolatedSubnets.map((subnet) => stack.resolve(subnet.routeTable.routeTableId)),
    });
  });

  it('creates no interface endpoint unless the SageMaker runtime or Secrets Manager is asked for', () => {
    const { network, template } = synthNetwork();

    expect(network.sageMakerRuntimeEndpoint).toBeUndefined();
    expect(network.secretsManagerEndpoint).toBeUndefined();
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 0);
  });

  it('opens the SageMaker runtime endpoint (private DNS) on HTTPS to the given security group only', () => {
    // Prepare
    const stack = newTestStack();
    const network = new ServingNetwork(stack, 'Network', { sageMakerRuntimeEndpoint: true });
    const caller = new ec2.SecurityGroup(stack, 'Caller', { vpc: network.vpc, allowAllOutbound: false });

    // Act
    network.allowSageMakerRuntimeFrom(caller);
    const template = Template.fromStack(stack);

    // Assess
    const endpoint = network.sageMakerRuntimeEndpoint;
    if (endpoint === undefined) throw new Error('no SageMaker runtime endpoint');
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      ServiceName: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.sagemaker\\.runtime$')])],
      }),
      PrivateDnsEnabled: true,
      SubnetIds: network.vpc.isolatedSubnets.map((subnet) => ({ Ref: logicalIdOf(subnet) })),
    });
    const [endpointGroup] = endpoint.connections.securityGroups;
    if (endpointGroup === undefined) throw new Error('endpoint has no security group');
    // `open: false`: no ingress from the VPC CIDR in the group itself (cdk-nag EC23 cannot read that token).
    const group = template.findResources('AWS::EC2::SecurityGroup')[logicalIdOf(endpointGroup)];
    expect(group?.Properties.SecurityGroupIngress).toBeUndefined();
    // It only answers: no egress (the CDK's placeholder rule matching no traffic).
    expect(group?.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp' }),
    ]);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(ingress).toEqual([
      expect.objectContaining({
        GroupId: sgId(endpointGroup),
        SourceSecurityGroupId: sgId(caller),
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
      }),
    ]);
  });

  it('opens the Secrets Manager endpoint (private DNS) on HTTPS to the given security group only', () => {
    // Prepare
    const stack = newTestStack();
    const network = new ServingNetwork(stack, 'Network', { secretsManagerEndpoint: true });
    const caller = new ec2.SecurityGroup(stack, 'Caller', { vpc: network.vpc, allowAllOutbound: false });

    // Act
    network.allowSecretsManagerFrom(caller);
    const template = Template.fromStack(stack);

    // Assess
    const endpoint = network.secretsManagerEndpoint;
    if (endpoint === undefined) throw new Error('no Secrets Manager endpoint');
    expect(network.sageMakerRuntimeEndpoint).toBeUndefined();
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 1);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      ServiceName: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.secretsmanager$')])],
      }),
      PrivateDnsEnabled: true,
      SubnetIds: network.vpc.isolatedSubnets.map((subnet) => ({ Ref: logicalIdOf(subnet) })),
    });
    const [endpointGroup] = endpoint.connections.securityGroups;
    if (endpointGroup === undefined) throw new Error('endpoint has no security group');
    const group = template.findResources('AWS::EC2::SecurityGroup')[logicalIdOf(endpointGroup)];
    expect(group?.Properties.SecurityGroupIngress).toBeUndefined();
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(ingress).toEqual([
      expect.objectContaining({ GroupId: sgId(endpointGroup), SourceSecurityGroupId: sgId(caller), FromPort: 443 }),
    ]);
  });
});
