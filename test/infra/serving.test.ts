import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { envVars, featureTable } from '#shared/config/index.ts';
import {
  FeatureStore,
  RECOMMENDATION_KEY_PREFIX,
  RECOMMENDATION_LOG_ACTIONS,
  TABLE_READ_ACTIONS,
} from '#infra/constructs/feature-store.ts';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModelArtifacts } from '#infra/constructs/model-artifacts.ts';
import { INVOKE_ENDPOINT_ACTIONS } from '#infra/constructs/model-endpoint.ts';
import { ModelRegistry, READ_LIVE_ACTIONS, REGISTRY_LIVE_KEY } from '#infra/constructs/model-registry.ts';
import { CACHE_PORT } from '#infra/constructs/recommendation-cache.ts';
import { Serving, type ServingProps } from '#infra/constructs/serving.ts';
import {
  defined,
  actionsOf,
  logicalIdOf,
  newTestStack,
  roleLogicalIdOf,
  statementsOfRole,
  stubModelImageDirectory,
  newSecrets,
  resourcesOf,
  type Statement,
} from './helpers.ts';

function synthServing(props: Partial<ServingProps> = {}) {
  const stack = newTestStack();
  const featureStore = new FeatureStore(stack, 'FeatureStore');
  const { userTokenKeys } = newSecrets(stack);
  const registry = new ModelRegistry(stack, 'Registry');
  const modelArtifacts = new ModelArtifacts(stack, 'Artifacts', {
    accessLogBucket: new s3.Bucket(stack, 'AccessLogs', { encryption: s3.BucketEncryption.S3_MANAGED }),
  });
  const serving = new Serving(stack, 'Serving', {
    featureStore,
    modelVersion: 'test-model',
    userTokenKeys,
    registry,
    modelArtifacts,
    model: { imageDirectory: stubModelImageDirectory() },
    ...props,
  });
  return { stack, featureStore, registry, serving, template: Template.fromStack(stack) };
}

const sgId = (group: ec2.ISecurityGroup) => ({ 'Fn::GetAtt': [logicalIdOf(group), 'GroupId'] });

describe('Construct: Serving', () => {
  let built: ReturnType<typeof synthServing>;
  beforeAll(() => {
    built = synthServing();
  });

  it('creates only the recommend function (beside the key rotation function of the test stack)', () => {
    built.template.resourceCountIs('AWS::Lambda::Function', 2);
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('tells the function the table, the model version, the cache, the fixed endpoint name and the registry', () => {
    const { template, featureStore, registry, serving } = built;
    const variables = template.findResources('AWS::Lambda::Function')[logicalIdOf(serving.recommendFunction)]
      ?.Properties.Environment.Variables as Record<string, unknown>;

    expect(variables).toMatchObject({
      [envVars.featureTableName]: { Ref: logicalIdOf(featureStore.table) },
      [envVars.modelVersion]: 'test-model',
      [envVars.cacheUrl]: { 'Fn::Join': ['', expect.arrayContaining(['rediss://'])] },
      [envVars.modelEndpointName]: serving.modelEndpoint.endpointName,
      [envVars.registryTableName]: { Ref: logicalIdOf(registry.table) },
    });
  });

  it('creates no SageMaker resources (the pipeline deploys the endpoint), and both interface endpoints', () => {
    const { template, serving } = built;

    for (const type of [
      'AWS::SageMaker::Model',
      'AWS::SageMaker::EndpointConfig',
      'AWS::SageMaker::Endpoint',
      'AWS::ApplicationAutoScaling::ScalableTarget',
    ]) {
      template.resourceCountIs(type, 0);
    }
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 2);
    expect(defined(serving.network, 'serving network').secretsManagerEndpoint).toBeDefined();
    expect(defined(serving.network, 'serving network').sageMakerRuntimeEndpoint).toBeDefined();
    template.resourceCountIs('AWS::ElastiCache::ServerlessCache', 1);
  });

  it('runs the function in the isolated subnets with its own security group', () => {
    const { template, serving } = built;

    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SubnetIds: defined(serving.network, 'serving network').vpc.isolatedSubnets.map((subnet) => ({
          Ref: logicalIdOf(subnet),
        })),
        SecurityGroupIds: [sgId(defined(serving.functionSecurityGroup, 'function security group'))],
      },
    });
  });

  it('lets the function out only on HTTPS and to the cache on its port', () => {
    const { template, serving } = built;
    const group =
      template.findResources('AWS::EC2::SecurityGroup')[
        logicalIdOf(defined(serving.functionSecurityGroup, 'function security group'))
      ];
    const inline = group?.Properties.SecurityGroupEgress as Record<string, unknown>[];
    const separate = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'))
      .map((r) => r.Properties as Record<string, unknown>)
      .filter(
        (rule) =>
          JSON.stringify(rule.GroupId) ===
          JSON.stringify(sgId(defined(serving.functionSecurityGroup, 'function security group'))),
      );

    expect(group?.Properties.SecurityGroupIngress).toBeUndefined();
    expect(inline).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
    expect(separate).toEqual([
      expect.objectContaining({
        DestinationSecurityGroupId: sgId(defined(serving.cache, 'cache').securityGroup),
        FromPort: CACHE_PORT,
        ToPort: CACHE_PORT,
      }),
      expect.objectContaining({
        DestinationSecurityGroupId: sgId(
          defined(serving.network, 'serving network').secretsManagerEndpoint?.connections
            .securityGroups[0] as ec2.ISecurityGroup,
        ),
        FromPort: 443,
        ToPort: 443,
      }),
      expect.objectContaining({
        DestinationSecurityGroupId: sgId(
          defined(serving.network, 'serving network').sageMakerRuntimeEndpoint?.connections
            .securityGroups[0] as ec2.ISecurityGroup,
        ),
        FromPort: 443,
        ToPort: 443,
      }),
    ]);
  });

  it('grants table reads, REC# puts, the LIVE registry item, InvokeEndpoint, logs and traces', () => {
    const { stack, template, featureStore, registry, serving } = built;
    const statements = statementsOfRole(template, roleLogicalIdOf(serving.recommendFunction));

    // The network-interface actions live in their own policy (see reco-function.test.ts).
    const nonNetwork = statements.filter((statement) => !actionsOf(statement).some((a) => a.startsWith('ec2:')));
    expect(new Set(nonNetwork.flatMap(actionsOf))).toEqual(
      new Set([
        ...TABLE_READ_ACTIONS,
        ...RECOMMENDATION_LOG_ACTIONS,
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
        // The user-token keys (see secrets.test.ts).
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        ...INVOKE_ENDPOINT_ACTIONS,
      ]),
    );
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: READ_LIVE_ACTIONS[0],
      Resource: { 'Fn::GetAtt': [logicalIdOf(registry.table), 'Arn'] },
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [REGISTRY_LIVE_KEY] } },
    });
    expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sagemaker:')))).toEqual([
      {
        Effect: 'Allow',
        Action: INVOKE_ENDPOINT_ACTIONS[0],
        Resource: stack.resolve(serving.modelEndpoint.endpointArn),
      },
    ]);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: RECOMMENDATION_LOG_ACTIONS[0],
      Resource: { 'Fn::GetAtt': [logicalIdOf(featureStore.table), 'Arn'] },
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RECOMMENDATION_KEY_PREFIX}*`] } },
    });
  });

  it("lets only the function's DynamoDB calls on the feature table and the registry through the gateway endpoint", () => {
    const { template, featureStore, registry } = built;
    const [endpoint] = Object.values(
      template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Gateway' } }),
    );
    const tableArn = { 'Fn::GetAtt': [logicalIdOf(featureStore.table), 'Arn'] };

    // Statement merging sorts resources: compare them as sets.
    const statements = (endpoint?.Properties.PolicyDocument.Statement as Statement[]).map((statement) => ({
      ...statement,
      Resource: new Set(resourcesOf(statement).map((resource) => JSON.stringify(resource))),
    }));
    const set = (resources: unknown[]) => new Set(resources.map((resource) => JSON.stringify(resource)));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [...TABLE_READ_ACTIONS, ...RECOMMENDATION_LOG_ACTIONS].sort(),
        Resource: set([
          tableArn,
          ...featureTable.globalSecondaryIndexes.map((index) => ({
            'Fn::Join': ['', [tableArn, `/index/${index.indexName}`]],
          })),
        ]),
      },
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: READ_LIVE_ACTIONS[0],
        Resource: set([{ 'Fn::GetAtt': [logicalIdOf(registry.table), 'Arn'] }]),
      },
    ]);
  });

  it('reaches the SageMaker runtime through an interface endpoint open to the function only', () => {
    const { template, serving } = built;
    const runtime = defined(serving.network, 'serving network').sageMakerRuntimeEndpoint;
    const [endpointGroup] = runtime?.connections.securityGroups ?? [];
    if (endpointGroup === undefined) throw new Error('no SageMaker runtime endpoint');

    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties as Record<string, unknown>)
      .filter((rule) => JSON.stringify(rule.GroupId) === JSON.stringify(sgId(endpointGroup)));
    expect(ingress).toEqual([
      expect.objectContaining({
        SourceSecurityGroupId: sgId(defined(serving.functionSecurityGroup, 'function security group')),
        FromPort: 443,
        ToPort: 443,
      }),
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: sgId(defined(serving.functionSecurityGroup, 'function security group')),
      DestinationSecurityGroupId: sgId(endpointGroup),
      FromPort: 443,
      ToPort: 443,
    });
  });
});
