import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { TEARDOWN_LIST_ACTIONS } from '#infra/constructs/pipeline-teardown.ts';
import type { RecoStack } from '#infra/stacks/reco-stack.ts';
import {
  actionsOf,
  arnOf,
  logicalIdOf,
  resourcesOf,
  roleLogicalIdOf,
  type Statement,
  statementsOfRole,
  stubModelImageDirectory,
  testContext,
} from './helpers.ts';

describe('Construct: PipelineTeardown', () => {
  let stack: RecoStack;
  let template: Template;
  let statements: Statement[];

  beforeAll(() => {
    // Prepare + Act
    stack = buildApp({ context: testContext(), nag: false, modelImageDirectory: stubModelImageDirectory() }).stack;
    template = Template.fromStack(stack);
    statements = statementsOfRole(template, roleLogicalIdOf(stack.trainingTeardown.handler));
  });

  it("names the pipeline's state machine, prefix and endpoint to a Lambda-backed custom resource", () => {
    const resource = template.findResources('Custom::TrainingPipelineTeardown')[
      logicalIdOf(stack.trainingTeardown.resource)
    ];
    expect(resource?.Properties).toEqual({
      ServiceToken: expect.anything(),
      StateMachineArn: { Ref: logicalIdOf(stack.training.stateMachine) },
      NamePrefix: stack.training.namePrefix,
      EndpointName: stack.serving.modelEndpoint.endpointName,
    });
    expect(resource?.DeletionPolicy).toBe('Delete');
  });

  it('is deleted after the schedule and before the state machine, the roles and the endpoint role', () => {
    const resourceId = logicalIdOf(stack.trainingTeardown.resource);
    const resource = template.findResources('Custom::TrainingPipelineTeardown')[resourceId];
    expect(resource?.DependsOn).toEqual(
      expect.arrayContaining([
        logicalIdOf(stack.training.stateMachine),
        logicalIdOf(stack.training.policy),
        logicalIdOf(stack.training.roles.trainingRole),
        logicalIdOf(stack.training.roles.exportRole),
        logicalIdOf(stack.serving.modelEndpoint.role),
      ]),
    );
    const schedule = template.findResources('AWS::Scheduler::Schedule')[logicalIdOf(stack.training.schedule ?? stack)];
    expect(schedule?.DependsOn).toEqual(expect.arrayContaining([resourceId]));
  });

  it('stops only its own executions and prefixed jobs, and deletes only its endpoint and prefixed names', () => {
    const prefix = stack.training.namePrefix;
    const of = (action: string) =>
      statements.filter((statement) => actionsOf(statement).includes(action)).flatMap(resourcesOf);
    const sageMaker = (resource: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':sagemaker:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:${resource}`,
        ],
      ],
    });
    expect(of('states:ListExecutions')).toEqual([{ Ref: logicalIdOf(stack.training.stateMachine) }]);
    expect(JSON.stringify(of('states:StopExecution'))).toContain(
      JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(stack.training.stateMachine), 'Name'] }),
    );
    expect(of('sagemaker:StopTrainingJob')).toEqual([sageMaker(`training-job/${prefix}-*`)]);
    expect(of('sagemaker:StopProcessingJob')).toEqual([sageMaker(`processing-job/${prefix}-*`)]);
    expect(of('sagemaker:DeleteEndpoint')).toEqual([sageMaker(`endpoint/${stack.serving.modelEndpoint.endpointName}`)]);
    expect(of('sagemaker:DeleteEndpointConfig')).toEqual([sageMaker(`endpoint-config/${prefix}-*`)]);
    expect(of('sagemaker:DeleteModel')).toEqual([sageMaker(`model/${prefix}-*`)]);
    for (const action of TEARDOWN_LIST_ACTIONS) expect(of(action), action).toEqual(['*']);
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => /^(s3|dynamodb|iam|kms|secretsmanager):|sagemaker:Create/.test(a))).toEqual([]);
  });

  it('runs the provider framework with a role and a log group of its own, no managed policy', () => {
    const roles = template.findResources('AWS::IAM::Role');
    for (const [id, role] of Object.entries(roles).filter(([id]) => id.includes('TrainingTeardown'))) {
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
    const invoke = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
      .filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction'))
      .filter((statement) => JSON.stringify(statement.Resource).includes(logicalIdOf(stack.trainingTeardown.handler)));
    expect(invoke).toHaveLength(1);
    expect(resourcesOf(invoke[0] as Statement)[0]).toEqual(arnOf(logicalIdOf(stack.trainingTeardown.handler)));
  });
});
