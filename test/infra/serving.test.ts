import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { envVars } from '#shared/config/index.ts';
import { FeatureStore, TABLE_READ_ACTIONS } from '#infra/constructs/feature-store.ts';
import { Serving } from '#infra/constructs/serving.ts';
import { actionsOf, logicalIdOf, newTestStack, roleLogicalIdOf, statementsOfRole } from './helpers.ts';

describe('Construct: Serving', () => {
  let serving: Serving;
  let featureStore: FeatureStore;
  let template: Template;

  beforeAll(() => {
    // Prepare
    const stack = newTestStack();
    featureStore = new FeatureStore(stack, 'FeatureStore');

    // Act
    serving = new Serving(stack, 'Serving', { featureStore, modelVersion: 'test-model' });
    template = Template.fromStack(stack);
  });

  it('creates only the recommend function', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('tells the function the table name and the model version', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          [envVars.featureTableName]: { Ref: logicalIdOf(featureStore.table) },
          [envVars.modelVersion]: 'test-model',
        },
      },
    });
  });

  it('grants the function read actions on the table and nothing else beyond logs and traces', () => {
    // Act
    const actions = statementsOfRole(template, roleLogicalIdOf(serving.recommendFunction)).flatMap(actionsOf);

    // Assess
    const expected = [
      ...TABLE_READ_ACTIONS,
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ];
    expect(new Set(actions)).toEqual(new Set(expected));
  });
});
