import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { envVars, lambdaDefaults, training } from '#shared/config/index.ts';
import { DataLake } from '#infra/constructs/data-lake.ts';
import { FeatureStore } from '#infra/constructs/feature-store.ts';
import { Ingestion } from '#infra/constructs/ingestion.ts';
import { ModelArtifacts } from '#infra/constructs/model-artifacts.ts';
import { ModelEndpoint } from '#infra/constructs/model-endpoint.ts';
import { ModelRegistry } from '#infra/constructs/model-registry.ts';
import {
  SCHEDULED_REQUEST,
  TrainingPipeline,
  type TrainingPipelineProps,
} from '#infra/constructs/training-pipeline.ts';
import type { RecoStack } from '#infra/stacks/reco-stack.ts';
import {
  actionsOf,
  arnOf,
  buildTestApp,
  logicalIdOf,
  newPlainFunction,
  newSecrets,
  newTestStack,
  refersTo,
  resourcesOf,
  roleLogicalIdOf,
  stackArnOf as stackArn,
  type Statement,
  statementsAllowing as allowing,
  statementsOfRole,
  stubModelImageDirectory,
} from './helpers.ts';

describe('Construct: TrainingPipeline', () => {
  let stack: RecoStack;
  let template: Template;
  let prefix: string;

  beforeAll(() => {
    // Prepare + Act: the app as `cdk synth` builds it, with a stub image context.
    stack = buildTestApp().stack;
    template = Template.fromStack(stack);
    prefix = stack.training.namePrefix;
  });

  describe('the state machine', () => {
    it('logs everything to its own group, is traced, bounded in time and runs with its own role', () => {
      template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
      const machine = template.findResources('AWS::StepFunctions::StateMachine')[
        logicalIdOf(stack.training.stateMachine)
      ];
      expect(machine?.Properties).toMatchObject({
        RoleArn: arnOf(logicalIdOf(stack.training.role)),
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: true,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: arnOf(logicalIdOf(stack.training.logGroup)) } }],
        },
      });
      expect(machine?.DependsOn).toEqual(expect.arrayContaining([logicalIdOf(stack.training.policy)]));
      const group = template.findResources('AWS::Logs::LogGroup')[logicalIdOf(stack.training.logGroup)];
      expect(group?.Properties.RetentionInDays).toBe(lambdaDefaults.logRetentionDays);
    });

    it('names every SageMaker resource with a prefix the guard accepts, the same for every synth', () => {
      expect(prefix).toMatch(/^[a-z0-9](-*[a-z0-9])*$/);
      expect(prefix.length).toBeLessThanOrEqual(29);
      expect(prefix).toBe(buildTestApp().stack.training.namePrefix);
    });
  });

  describe('the state machine role', () => {
    let statements: Statement[];
    beforeAll(() => {
      statements = statementsOfRole(template, logicalIdOf(stack.training.role));
    });

    it('has only the pipeline policy, none from the tasks', () => {
      const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, policy]) =>
        refersTo(policy.Properties.Roles, logicalIdOf(stack.training.role)),
      );
      expect(policies.map(([id]) => id)).toEqual([logicalIdOf(stack.training.policy)]);
    });

    it('invokes only the pipeline function', () => {
      expect(allowing(statements, 'lambda:InvokeFunction')).toEqual([
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: arnOf(logicalIdOf(stack.training.pipelineFunction)),
        },
      ]);
    });

    it('starts, watches and stops only jobs named with the prefix', () => {
      for (const action of [
        'sagemaker:CreateTrainingJob',
        'sagemaker:CreateProcessingJob',
        'sagemaker:StopTrainingJob',
      ]) {
        const [statement, ...more] = allowing(statements, action);
        expect(more, action).toEqual([]);
        expect(resourcesOf(statement as Statement)).toEqual([
          stackArn('sagemaker', `processing-job/${prefix}-*`),
          stackArn('sagemaker', `training-job/${prefix}-*`),
        ]);
      }
    });

    it('creates only prefixed models and configs, and creates or updates only its own endpoint', () => {
      const endpoint = stackArn('sagemaker', `endpoint/${stack.serving.modelEndpoint.endpointName}`);
      const configs = stackArn('sagemaker', `endpoint-config/${prefix}-*`);
      expect(allowing(statements, 'sagemaker:CreateModel').flatMap(resourcesOf)).toEqual([
        stackArn('sagemaker', `model/${prefix}-*`),
      ]);
      expect(allowing(statements, 'sagemaker:CreateEndpointConfig').flatMap(resourcesOf)).toEqual([configs]);
      for (const action of ['sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint']) {
        expect(allowing(statements, action).flatMap(resourcesOf), action).toEqual([configs, endpoint]);
      }
      expect(allowing(statements, 'sagemaker:DescribeEndpoint').flatMap(resourcesOf)).toEqual([endpoint]);
      // No SageMaker statement reaches beyond the prefix or the endpoint.
      for (const statement of statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sagemaker:')))) {
        for (const resource of resourcesOf(statement)) {
          expect(JSON.stringify(resource)).toMatch(
            new RegExp(`/(${prefix}-\\*|${stack.serving.modelEndpoint.endpointName})"`),
          );
        }
      }
    });

    it('passes only the training, export and model roles, and only to SageMaker', () => {
      expect(allowing(statements, 'iam:PassRole')).toEqual([
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: [
            arnOf(logicalIdOf(stack.serving.modelEndpoint.role)),
            arnOf(logicalIdOf(stack.training.roles.exportRole)),
            arnOf(logicalIdOf(stack.training.roles.trainingRole)),
          ],
          Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        },
      ]);
    });

    it('scales only SageMaker variant instance counts, and publishes only to its topic', () => {
      expect(allowing(statements, 'application-autoscaling:RegisterScalableTarget')).toEqual([
        expect.objectContaining({
          Resource: stackArn('application-autoscaling', 'scalable-target/*'),
          Condition: {
            StringEquals: {
              'application-autoscaling:service-namespace': 'sagemaker',
              'application-autoscaling:scalable-dimension': 'sagemaker:variant:DesiredInstanceCount',
            },
          },
        }),
      ]);
      expect(allowing(statements, 'sns:Publish')).toEqual([
        { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: logicalIdOf(stack.training.topic) } },
      ]);
    });

    it('uses Resource "*" only for log delivery and X-Ray', () => {
      const star = statements.filter((statement) => resourcesOf(statement).includes('*'));
      expect(star.flatMap(actionsOf).every((action) => /^(logs|xray):/.test(action))).toBe(true);
    });
  });

  describe('the schedule', () => {
    it('starts a run on training.schedule with the scheduled request, with a role that may only start it', () => {
      template.resourceCountIs('AWS::Scheduler::Schedule', 1);
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: training.schedule,
        State: 'ENABLED',
        Target: {
          Arn: { Ref: logicalIdOf(stack.training.stateMachine) },
          Input: JSON.stringify(SCHEDULED_REQUEST),
          RoleArn: arnOf(logicalIdOf(stack.training.scheduleRole ?? stack)),
        },
      });
      expect(SCHEDULED_REQUEST).toEqual({ trigger: 'schedule' });
      const roleId = logicalIdOf(stack.training.scheduleRole ?? stack);
      expect(statementsOfRole(template, roleId)).toEqual([
        {
          Effect: 'Allow',
          Action: 'states:StartExecution',
          Resource: { Ref: logicalIdOf(stack.training.stateMachine) },
        },
      ]);
      expect(template.findResources('AWS::IAM::Role')[roleId]?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({ Principal: { Service: 'scheduler.amazonaws.com' } }),
      ]);
    });
  });

  describe('the notifications', () => {
    it('are KMS-encrypted with a rotated key of their own and TLS only', () => {
      template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: arnOf(logicalIdOf(stack.training.topicKey)),
      });
      const key = template.findResources('AWS::KMS::Key')[logicalIdOf(stack.training.topicKey)];
      expect(key?.Properties.EnableKeyRotation).toBe(true);
      expect(key?.DeletionPolicy).toBe('Delete');
      const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
      expect(policy?.Properties.PolicyDocument.Statement).toEqual([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]);
    });
  });

  describe('grantStartExecution', () => {
    it('lets a function start this state machine only and tells it the ARN', () => {
      // Prepare
      const { stack: other } = buildTestApp();
      const fn = newPlainFunction(other, 'StartsRuns');

      // Act
      other.training.grantStartExecution(fn);

      // Assess
      const synthesised = Template.fromStack(other);
      expect(statementsOfRole(synthesised, roleLogicalIdOf(fn))).toEqual([
        {
          Effect: 'Allow',
          Action: 'states:StartExecution',
          Resource: { Ref: logicalIdOf(other.training.stateMachine) },
        },
      ]);
      synthesised.hasResourceProperties('AWS::Lambda::Function', {
        Role: arnOf(roleLogicalIdOf(fn)),
        Environment: {
          Variables: { [envVars.trainingStateMachineArn]: { Ref: logicalIdOf(other.training.stateMachine) } },
        },
      });
    });
  });
});

/** A pipeline in a stack of its own, with everything it needs, and `props` on top. */
function newPipeline(props: Partial<TrainingPipelineProps> = {}) {
  const stack = newTestStack();
  const featureStore = new FeatureStore(stack, 'FeatureStore');
  const { userTokenKeys, erasureHashKey } = newSecrets(stack);
  const dataLake = new DataLake(stack, 'DataLake', {
    ingestion: new Ingestion(stack, 'Ingestion', { featureStore, userTokenKeys, erasureHashKey }),
  });
  const modelArtifacts = new ModelArtifacts(stack, 'Artifacts', { accessLogBucket: dataLake.accessLogBucket });
  const modelEndpoint = new ModelEndpoint(stack, 'Endpoint', {
    artifactsBucket: modelArtifacts.bucket,
    imageDirectory: stubModelImageDirectory(),
  });
  return new TrainingPipeline(stack, 'Training', {
    featureStore,
    dataLake,
    modelArtifacts,
    erasureHashKey,
    registry: new ModelRegistry(stack, 'Registry'),
    modelEndpoint,
    ...props,
  });
}

describe('Construct: TrainingPipeline settings', () => {
  it('creates no schedule and no schedule role with the schedule off', () => {
    // Act
    const pipeline = newPipeline({ schedule: 'off' });

    // Assess
    expect(pipeline.schedule).toBeUndefined();
    expect(pipeline.scheduleRole).toBeUndefined();
    Template.fromStack(Stack.of(pipeline)).resourceCountIs('AWS::Scheduler::Schedule', 0);
  });

  it('refuses a schedule EventBridge Scheduler would not take, naming the setting', () => {
    expect(() => newPipeline({ schedule: 'daily' })).toThrow('training.schedule');
  });

  it.each([
    ['export', 'ml.c7g.xlarge', /training\.exportInstanceType is ml\.c7g\.xlarge, a Graviton/],
    ['training', 'ml.m6g.large', /training\.trainingInstanceType is ml\.m6g\.large, a Graviton/],
    ['training', 'ml.inf2.xlarge', /training\.trainingInstanceType is ml\.inf2\.xlarge, not an x86 type/],
    ['export', 'm5.xlarge', /training\.exportInstanceType must be a SageMaker instance type/],
  ] as const)('refuses %s instance type %s at synth time', (job, value, message) => {
    expect(() => newPipeline({ instanceTypes: { [job]: value } })).toThrow(message);
  });

  it('takes x86 instance types of other families', () => {
    // Act
    const pipeline = newPipeline({ instanceTypes: { export: 'ml.c5.2xlarge', training: 'ml.g5.xlarge' } });

    // Assess
    const definition = JSON.stringify(
      Template.fromStack(Stack.of(pipeline)).findResources('AWS::StepFunctions::StateMachine'),
    );
    expect(definition).toContain('ml.c5.2xlarge');
    expect(definition).toContain('ml.g5.xlarge');
  });
});
