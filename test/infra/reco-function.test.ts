import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { lambdaDefaults, serviceName } from '#shared/config/index.ts';
import { functionEntry } from '#infra/paths.ts';
import { RecoFunction } from '#infra/constructs/reco-function.ts';
import { arnOf, logicalIdOf, newTestStack, roleLogicalIdOf, statementsOfRole } from './helpers.ts';

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
          POWERTOOLS_METRICS_NAMESPACE: serviceName,
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
