import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { envVars } from '#shared/config/index.ts';
import { functionEntry } from '#infra/paths.ts';
import { CACHE_PORT, RecommendationCache } from '#infra/constructs/recommendation-cache.ts';
import { RecoFunction } from '#infra/constructs/reco-function.ts';
import { ServingNetwork } from '#infra/constructs/serving-network.ts';
import { logicalIdOf, newTestStack } from './helpers.ts';

function synthCache(props: { maxDataStorageGb?: number; maxEcpuPerSecond?: number } = {}) {
  const stack = newTestStack();
  const network = new ServingNetwork(stack, 'Network');
  const functionGroup = new ec2.SecurityGroup(stack, 'FnSg', { vpc: network.vpc, allowAllOutbound: false });
  const fn = new RecoFunction(stack, 'Fn', {
    entry: functionEntry('recommend'),
    vpc: network.vpc,
    securityGroups: [functionGroup],
  });
  const cache = new RecommendationCache(stack, 'Cache', { network, ...props });
  cache.bindCache(fn);
  return { stack, network, functionGroup, fn, cache, template: Template.fromStack(stack) };
}

const sgId = (construct: ec2.ISecurityGroup) => ({ 'Fn::GetAtt': [logicalIdOf(construct), 'GroupId'] });

describe('Construct: RecommendationCache', () => {
  it('is a serverless Valkey 8 cache in the isolated subnets with its own security group', () => {
    // Act
    const { network, cache, template } = synthCache();

    // Assess
    template.resourceCountIs('AWS::ElastiCache::ServerlessCache', 1);
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      Engine: 'valkey',
      MajorEngineVersion: '8',
      SubnetIds: network.vpc.isolatedSubnets.map((subnet) => ({ Ref: logicalIdOf(subnet) })),
      SecurityGroupIds: [sgId(cache.securityGroup)],
    });
    const name = cache.cache.serverlessCacheName;
    expect(name).toMatch(/^[a-z][a-z0-9-]{0,39}$/);
    expect(name).not.toMatch(/--|-$/);
  });

  it('caps data and ECPU/s, keeps no snapshots and uses the AWS-owned key', () => {
    const { template } = synthCache();

    const [resource] = Object.values(template.findResources('AWS::ElastiCache::ServerlessCache'));
    expect(resource?.Properties).toMatchObject({
      CacheUsageLimits: { DataStorage: { Maximum: 1, Unit: 'GB' }, ECPUPerSecond: { Maximum: 5000 } },
      SnapshotRetentionLimit: 0,
    });
    expect(resource?.Properties.KmsKeyId).toBeUndefined();
    expect(resource?.Properties.UserGroupId).toBeUndefined();
  });

  it('takes other usage limits from its props', () => {
    const { template } = synthCache({ maxDataStorageGb: 5, maxEcpuPerSecond: 20_000 });

    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      CacheUsageLimits: { DataStorage: { Maximum: 5, Unit: 'GB' }, ECPUPerSecond: { Maximum: 20_000 } },
    });
  });

  it('lets in only the bound function, on the Valkey port, and sends nothing out', () => {
    // Act
    const { cache, functionGroup, template } = synthCache();

    // Assess
    const group = template.findResources('AWS::EC2::SecurityGroup')[logicalIdOf(cache.securityGroup)];
    expect(group?.Properties.SecurityGroupIngress).toBeUndefined();
    // allowAllOutbound: false renders as the CDK's placeholder rule that matches no traffic.
    expect(group?.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp' }),
    ]);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(ingress).toEqual([
      expect.objectContaining({
        GroupId: sgId(cache.securityGroup),
        SourceSecurityGroupId: sgId(functionGroup),
        IpProtocol: 'tcp',
        FromPort: CACHE_PORT,
        ToPort: CACHE_PORT,
      }),
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: sgId(functionGroup),
      DestinationSecurityGroupId: sgId(cache.securityGroup),
      FromPort: CACHE_PORT,
      ToPort: CACHE_PORT,
    });
  });

  it('tells the function a TLS (rediss://) URL of the primary endpoint', () => {
    const { cache, template } = synthCache();

    const cacheId = logicalIdOf(cache.cache);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          [envVars.cacheUrl]: {
            'Fn::Join': [
              '',
              [
                'rediss://',
                { 'Fn::GetAtt': [cacheId, 'Endpoint.Address'] },
                ':',
                { 'Fn::GetAtt': [cacheId, 'Endpoint.Port'] },
              ],
            ],
          },
        },
      },
    });
  });
});
