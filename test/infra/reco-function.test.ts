import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { lambdaDefaults, metricsNamespace, serviceName } from '#shared/config/index.ts';
import { functionEntry } from '#infra/paths.ts';
import {
  RecoFunction,
  VPC_CREATE_INTERFACE_ACTIONS,
  VPC_DESCRIBE_ACTIONS,
  VPC_MANAGE_INTERFACE_ACTIONS,
} from '#infra/constructs/reco-function.ts';
import {
  actionsOf,
  arnOf,
  logicalIdOf,
  newTestStack,
  resourcesOf,
  roleLogicalIdOf,
  type Statement,
  statementsOfRole,
} from './helpers.ts';

function synthFunction(props: Partial<ConstructorParameters<typeof RecoFunction>[2]> = {}) {
  const stack = newTestStack();
  const fn = new RecoFunction(stack, 'Fn', { entry: functionEntry('recommend'), ...props });
  return { stack, fn, template: Template.fromStack(stack) };
}

describe('Construct: RecoFunction', () => {
  it('runs on nodejs24.x, ARM64, with active tracing and the configured memory and timeout', () => {
    // Act
    const { template } = synthFunction();

    // Assess
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: lambdaDefaults.memoryMb,
      Timeout: lambdaDefaults.timeoutSeconds,
      Handler: 'index.handler',
    });
  });

  it('sets the service-wide environment and merges extra variables', () => {
    const { template } = synthFunction({ environment: { EXTRA: 'yes' } });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: serviceName,
          POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
          NODE_OPTIONS: '--enable-source-maps',
          EXTRA: 'yes',
        },
      },
    });
  });

  it('logs to its own log group with the configured retention', () => {
    // Act
    const { fn, template } = synthFunction();

    // Assess
    const logGroupId = logicalIdOf(fn.functionLogGroup);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: lambdaDefaults.logRetentionDays });
    template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: logGroupId } } });
  });

  it('has a role without managed policies that may only write its logs and send traces', () => {
    // Act
    const { fn, template } = synthFunction();

    // Assess
    const roleId = roleLogicalIdOf(fn);
    expect(template.findResources('AWS::IAM::Role')[roleId]?.Properties.ManagedPolicyArns).toBeUndefined();
    expect(statementsOfRole(template, roleId)).toEqual([
      { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: arnOf(logicalIdOf(fn.functionLogGroup)),
      },
    ]);
  });
});

describe('Construct: RecoFunction in a VPC', () => {
  function synthVpcFunction() {
    const stack = newTestStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      restrictDefaultSecurityGroup: false,
    });
    const securityGroup = new ec2.SecurityGroup(stack, 'FnSg', { vpc, allowAllOutbound: false });
    const fn = new RecoFunction(stack, 'Fn', {
      entry: functionEntry('recommend'),
      vpc,
      securityGroups: [securityGroup],
    });
    return { stack, vpc, securityGroup, fn, template: Template.fromStack(stack) };
  }

  it('puts its network interfaces in the isolated subnets with the given security group only', () => {
    // Act
    const { vpc, securityGroup, template } = synthVpcFunction();

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SubnetIds: vpc.isolatedSubnets.map((subnet) => ({ Ref: logicalIdOf(subnet) })),
        SecurityGroupIds: [{ 'Fn::GetAtt': [logicalIdOf(securityGroup), 'GroupId'] }],
      },
    });
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
  });

  it('lets Lambda manage its network interfaces through an inline policy the function depends on', () => {
    // Act
    const { fn, vpc, securityGroup, template } = synthVpcFunction();

    // Assess
    const roleId = roleLogicalIdOf(fn);
    expect(template.findResources('AWS::IAM::Role')[roleId]?.Properties.ManagedPolicyArns).toBeUndefined();
    const policy = fn.vpcAccessPolicy;
    if (policy === undefined) throw new Error('no VPC access policy');
    const policyId = logicalIdOf(policy);
    const statements = template.findResources('AWS::IAM::Policy')[policyId]?.Properties.PolicyDocument
      .Statement as Statement[];
    const byActions = (actions: readonly string[]) =>
      statements.find((s) => JSON.stringify(actionsOf(s).sort()) === JSON.stringify([...actions].sort()));
    expect(statements).toHaveLength(3);
    expect(byActions(VPC_DESCRIBE_ACTIONS)?.Resource).toBe('*');
    const create = resourcesOf(byActions(VPC_CREATE_INTERFACE_ACTIONS) as Statement).map((r) => JSON.stringify(r));
    expect(create).toHaveLength(1 + vpc.isolatedSubnets.length + 1);
    expect(create.filter((r) => r.includes(':network-interface/*'))).toHaveLength(1);
    for (const subnet of vpc.isolatedSubnets) {
      expect(create.some((r) => r.includes(':subnet/') && r.includes(`"${logicalIdOf(subnet)}"`))).toBe(true);
    }
    expect(create.some((r) => r.includes(':security-group/') && r.includes(`"${logicalIdOf(securityGroup)}"`))).toBe(
      true,
    );
    const manage = resourcesOf(byActions(VPC_MANAGE_INTERFACE_ACTIONS) as Statement).map((r) => JSON.stringify(r));
    expect(manage).toHaveLength(1);
    expect(manage[0]).toContain(':network-interface/*');
    expect(template.findResources('AWS::Lambda::Function')[logicalIdOf(fn)]?.DependsOn).toContain(policyId);
  });

  it('refuses a VPC without security groups and security groups without a VPC', () => {
    const stack = newTestStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, restrictDefaultSecurityGroup: false });
    const securityGroup = new ec2.SecurityGroup(stack, 'Sg', { vpc });
    expect(() => new RecoFunction(stack, 'A', { entry: functionEntry('recommend'), vpc })).toThrow('securityGroups');
    expect(
      () => new RecoFunction(stack, 'B', { entry: functionEntry('recommend'), securityGroups: [securityGroup] }),
    ).toThrow('securityGroups');
  });

  it('creates no VPC access policy without a VPC', () => {
    const stack = newTestStack();
    const fn = new RecoFunction(stack, 'Fn', { entry: functionEntry('recommend') });
    expect(fn.vpcAccessPolicy).toBeUndefined();
  });
});
