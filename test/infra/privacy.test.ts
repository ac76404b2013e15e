import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, envVars } from '#shared/config/index.ts';
import { FeatureStore, TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS } from '#infra/constructs/feature-store.ts';
import { Privacy } from '#infra/constructs/privacy.ts';
import { ErasureHashKeySecret } from '#infra/constructs/erasure-hash-key.ts';
import {
  actionsOf,
  arnOf,
  logicalIdOf,
  newTestStack,
  refersTo,
  resourcesOf,
  roleLogicalIdOf,
  statementsOfRole,
} from './helpers.ts';

describe('Construct: Privacy', () => {
  let privacy: Privacy;
  let featureStore: FeatureStore;
  let template: Template;

  beforeAll(() => {
    // Prepare
    const stack = newTestStack();
    featureStore = new FeatureStore(stack, 'FeatureStore');

    // Act
    privacy = new Privacy(stack, 'Privacy', {
      featureStore,
      erasureHashKey: new ErasureHashKeySecret(stack, 'ErasureHashKey'),
    });
    template = Template.fromStack(stack);
  });

  it('creates only the erasure function, with the service defaults', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('names its route in the description', () => {
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fn?.Properties.Description).toContain(`${api.routeMethods.userErasure} ${api.routes.userErasure}`);
  });

  it('tells the function the table name', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { [envVars.featureTableName]: { Ref: logicalIdOf(featureStore.table) } } },
    });
  });

  it('grants read-write on the table (profiles, tombstones, erasure records), the hash key and nothing else beyond logs and traces', () => {
    // Act
    const statements = statementsOfRole(template, roleLogicalIdOf(privacy.erasureFunction));

    // Assess
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']));
    expect(new Set(actions)).toEqual(
      new Set([
        ...TABLE_READ_ACTIONS,
        ...TABLE_WRITE_ACTIONS,
        // The erasure-log hash key (see secrets.test.ts).
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]),
    );
    const tableId = logicalIdOf(featureStore.table);
    const dynamoStatements = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    for (const statement of dynamoStatements) {
      for (const resource of resourcesOf(statement)) expect(refersTo(resource, tableId)).toBe(true);
    }
    expect(dynamoStatements).toContainEqual(
      expect.objectContaining({ Action: expect.arrayContaining(['dynamodb:PutItem']), Resource: arnOf(tableId) }),
    );
  });
});
