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
import { INVOKE_ENDPOINT_ACTIONS } from '#infra/constructs/model-endpoint.ts';
import { CACHE_PORT } from '#infra/constructs/recommendation-cache.ts';
import { Serving, type ServingProps } from '#infra/constructs/serving.ts';
import {
  actionsOf,
  logicalIdOf,
  newTestStack,
  roleLogicalIdOf,
  statementsOfRole,
  stubModelImageDirectory,
  TEST_MODEL_DATA_URL,
  newSecrets,
} from './helpers.ts';

function synthServing(props: Partial<ServingProps> = {}) {
  const stack = newTestStack();
  const featureStore = new FeatureStore(stack, 'FeatureStore');
  const { userTokenKeys } = newSecrets(stack);
  const serving = new Serving(stack, 'Serving', { featureStore, modelVersion: 'test-model', userTokenKeys, ...props });
  return { stack, featureStore, serving, template: Template.fromStack(stack) };
}

const sgId = (group: ec2.ISecurityGroup) => ({ 'Fn::GetAtt': [logicalIdOf(group), 'GroupId'] });

const withModel = (): Partial<ServingProps> => ({
  model: { modelDataUrl: TEST_MODEL_DATA_URL, imageDirectory: stubModelImageDirectory() },
});

describe('Construct: Serving without a model', () => {
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

  it('tells the function the table, the model version and the cache, but no model endpoint', () => {
    const { template, featureStore, serving } = built;
    const variables = template.findResources('AWS::Lambda::Function')[logicalIdOf(serving.recommendFunction)]
      ?.Properties.Environment.Variables as Record<string, unknown>;

    expect(variables).toMatchObject({
      [envVars.featureTableName]: { Ref: logicalIdOf(featureStore.table) },
      [envVars.modelVersion]: 'test-model',
      [envVars.cacheUrl]: { 'Fn::Join': ['', expect.arrayContaining(['rediss://'])] },
    });
    expect(variables).not.toHaveProperty(envVars.modelEndpointName);
  });

  it('creates no SageMaker resources and only the Secrets Manager interface endpoint (the function serves popularity)', () => {
    const { template, serving } = built;

    expect(serving.modelEndpoint).toBeUndefined();
    expect(serving.network.sageMakerRuntimeEndpoint).toBeUndefined();
    for (const type of [
      'AWS::SageMaker::Model',
      'AWS::SageMaker::EndpointConfig',
      'AWS::SageMaker::Endpoint',
      'AWS::ApplicationAutoScaling::ScalableTarget',
    ]) {
      template.resourceCountIs(type, 0);
    }
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 1);
    expect(serving.network.secretsManagerEndpoint).toBeDefined();
    template.resourceCountIs('AWS::ElastiCache::ServerlessCache', 1);
  });

  it('runs the function in the isolated subnets with its own security group', () => {
    const { template, serving } = built;

    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SubnetIds: serving.network.vpc.isolatedSubnets.map((subnet) => ({ Ref: logicalIdOf(subnet) })),
        SecurityGroupIds: [sgId(serving.functionSecurityGroup)],
      },
    });
  });

  it('lets the function out only on HTTPS and to the cache on its port', () => {
    const { template, serving } = built;
    const group = template.findResources('AWS::EC2::SecurityGroup')[logicalIdOf(serving.functionSecurityGroup)];
    const inline = group?.Properties.SecurityGroupEgress as Record<string, unknown>[];
    const separate = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'))
      .map((r) => r.Properties as Record<string, unknown>)
      .filter((rule) => JSON.stringify(rule.GroupId) === JSON.stringify(sgId(serving.functionSecurityGroup)));

    expect(group?.Properties.SecurityGroupIngress).toBeUndefined();
    expect(inline).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
    expect(separate).toEqual([
      expect.objectContaining({
        DestinationSecurityGroupId: sgId(serving.cache.securityGroup),
        FromPort: CACHE_PORT,
        ToPort: CACHE_PORT,
      }),
      expect.objectContaining({
        DestinationSecurityGroupId: sgId(
          serving.network.secretsManagerEndpoint?.connections.securityGroups[0] as ec2.ISecurityGroup,
        ),
        FromPort: 443,
        ToPort: 443,
      }),
    ]);
  });

  it('grants table reads, REC# puts, logs and traces, and nothing of SageMaker', () => {
    const { template, featureStore, serving } = built;
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
      ]),
    );
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: RECOMMENDATION_LOG_ACTIONS[0],
      Resource: { 'Fn::GetAtt': [logicalIdOf(featureStore.table), 'Arn'] },
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RECOMMENDATION_KEY_PREFIX}*`] } },
    });
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('sagemaker:'))).toEqual([]);
  });

  it("lets only the function's DynamoDB calls on the feature table through the gateway endpoint", () => {
    const { template, featureStore } = built;
    const [endpoint] = Object.values(
      template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Gateway' } }),
    );
    const tableArn = { 'Fn::GetAtt': [logicalIdOf(featureStore.table), 'Arn'] };

    expect(endpoint?.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [...TABLE_READ_ACTIONS, ...RECOMMENDATION_LOG_ACTIONS].sort(),
        Resource: [
          tableArn,
          ...featureTable.globalSecondaryIndexes.map((index) => ({
            'Fn::Join': ['', [tableArn, `/index/${index.indexName}`]],
          })),
        ],
      },
    ]);
  });
});

describe('Construct: Serving with a model', () => {
  let built: ReturnType<typeof synthServing>;
  beforeAll(() => {
    built = synthServing(withModel());
  });

  it('deploys the model endpoint with auto scaling', () => {
    const { template, serving } = built;

    expect(serving.modelEndpoint).toBeDefined();
    template.resourceCountIs('AWS::SageMaker::Model', 1);
    template.resourceCountIs('AWS::SageMaker::EndpointConfig', 1);
    template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 1);
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 1);
  });

  it('tells the function the endpoint name and grants InvokeEndpoint on that endpoint only', () => {
    const { template, serving } = built;
    const endpoint = serving.modelEndpoint;
    if (endpoint === undefined) throw new Error('no model endpoint');

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          [envVars.modelEndpointName]: { 'Fn::GetAtt': [logicalIdOf(endpoint.endpoint), 'EndpointName'] },
        },
      },
    });
    const invoke = statementsOfRole(template, roleLogicalIdOf(serving.recommendFunction)).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('sagemaker:')),
    );
    expect(invoke).toEqual([
      { Effect: 'Allow', Action: INVOKE_ENDPOINT_ACTIONS[0], Resource: { Ref: logicalIdOf(endpoint.endpoint) } },
    ]);
  });

  it('reaches the SageMaker runtime through an interface endpoint open to the function only', () => {
    const { template, serving } = built;
    const runtime = serving.network.sageMakerRuntimeEndpoint;
    const [endpointGroup] = runtime?.connections.securityGroups ?? [];
    if (endpointGroup === undefined) throw new Error('no SageMaker runtime endpoint');

    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties as Record<string, unknown>)
      .filter((rule) => JSON.stringify(rule.GroupId) === JSON.stringify(sgId(endpointGroup)));
    expect(ingress).toEqual([
      expect.objectContaining({
        SourceSecurityGroupId: sgId(serving.functionSecurityGroup),
        FromPort: 443,
        ToPort: 443,
      }),
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: sgId(serving.functionSecurityGroup),
      DestinationSecurityGroupId: sgId(endpointGroup),
      FromPort: 443,
      ToPort: 443,
    });
  });
});
