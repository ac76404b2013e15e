import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { envVars, featureTable } from '#shared/config/index.ts';
import { featureKeys } from '#shared/adapters/dynamoFeatureStore.ts';
import {
  FeatureStore,
  RECOMMENDATION_KEY_PREFIX,
  RECOMMENDATION_LOG_ACTIONS,
  TABLE_READ_ACTIONS,
  TABLE_WRITE_ACTIONS,
} from '#infra/constructs/feature-store.ts';
import {
  actionsOf,
  arnOf,
  logicalIdOf,
  newPlainFunction,
  newTestStack,
  refersTo,
  resourcesOf,
  roleLogicalIdOf,
  statementsOfRole,
} from './helpers.ts';

function synthFeatureStore(props?: ConstructorParameters<typeof FeatureStore>[2]) {
  const stack = newTestStack();
  const featureStore = new FeatureStore(stack, 'FeatureStore', props);
  return { stack, featureStore, template: Template.fromStack(stack) };
}

describe('Construct: FeatureStore', () => {
  it('creates one on-demand global table with the key schema of the config', () => {
    // Act
    const { template } = synthFeatureStore();

    // Assess
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: featureTable.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: featureTable.sortKey.name, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: featureTable.partitionKey.name, AttributeType: featureTable.partitionKey.type },
        { AttributeName: featureTable.sortKey.name, AttributeType: featureTable.sortKey.type },
      ]),
    });
  });

  it('creates every global secondary index of the config', () => {
    // Act
    const { template } = synthFeatureStore();

    // Assess
    for (const index of featureTable.globalSecondaryIndexes) {
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        GlobalSecondaryIndexes: Match.arrayWith([
          {
            IndexName: index.indexName,
            KeySchema: [
              { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
              { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ]),
      });
      // One definition per attribute, in no particular order (an index may sort by the table's key).
      for (const key of [index.partitionKey, index.sortKey]) {
        template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
          AttributeDefinitions: Match.arrayWith([{ AttributeName: key.name, AttributeType: key.type }]),
        });
      }
    }
  });

  it('expires items through TTL on the attribute of the config', () => {
    const { template } = synthFeatureStore();

    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TimeToLiveSpecification: { AttributeName: featureTable.ttlAttribute, Enabled: true },
    });
  });

  it('enables point-in-time recovery and deletion protection, and retains the table, by default', () => {
    const { template } = synthFeatureStore();

    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            DeletionProtectionEnabled: true,
          }),
        ],
      },
    });
  });

  it('turns deletion protection off on request', () => {
    const { template } = synthFeatureStore({ deletionProtection: false });

    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
    });
  });

  it('encrypts with the AWS-owned key', () => {
    const { template } = synthFeatureStore();

    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { SSESpecification: { SSEEnabled: false } });
  });

  it("bindTable(fn, 'read') sets the table name and grants read actions only, indexes by name", () => {
    // Prepare
    const stack = newTestStack();
    const featureStore = new FeatureStore(stack, 'FeatureStore');
    const fn = newPlainFunction(stack, 'Reader');

    // Act
    featureStore.bindTable(fn, 'read');

    // Assess
    const template = Template.fromStack(stack);
    const tableId = logicalIdOf(featureStore.table);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { [envVars.featureTableName]: { Ref: tableId } } },
    });
    const statements = statementsOfRole(template, roleLogicalIdOf(fn)).filter((s) =>
      resourcesOf(s).some((r) => refersTo(r, tableId)),
    );
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: [...TABLE_READ_ACTIONS].sort(),
      Resource: arnOf(tableId),
    });
    // CDK merges the index grants into one statement when there are several indexes, in its own order.
    const indexQueries = statements.filter((s) => actionsOf(s).join() === 'dynamodb:Query').flatMap(resourcesOf);
    expect(new Set(indexQueries.map((resource) => JSON.stringify(resource)))).toEqual(
      new Set(
        featureTable.globalSecondaryIndexes.map((index) =>
          JSON.stringify({ 'Fn::Join': ['', [arnOf(tableId), `/index/${index.indexName}`]] }),
        ),
      ),
    );
    expect(indexQueries).toHaveLength(featureTable.globalSecondaryIndexes.length);
    const granted = statements.flatMap(actionsOf);
    expect(granted.filter((action) => !(TABLE_READ_ACTIONS as readonly string[]).includes(action))).toEqual([]);
  });

  it("bindTable(fn, 'readWrite') adds item write actions and nothing table-wide", () => {
    // Prepare
    const stack = newTestStack();
    const featureStore = new FeatureStore(stack, 'FeatureStore');
    const fn = newPlainFunction(stack, 'Writer');

    // Act
    featureStore.bindTable(fn, 'readWrite');

    // Assess
    const template = Template.fromStack(stack);
    const tableId = logicalIdOf(featureStore.table);
    const granted = statementsOfRole(template, roleLogicalIdOf(fn))
      .filter((s) => resourcesOf(s).some((r) => refersTo(r, tableId)))
      .flatMap(actionsOf);
    expect(new Set(granted)).toEqual(new Set([...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS]));
    expect(granted).not.toContain('dynamodb:Scan');
    expect(granted.some((action) => action.includes('*'))).toBe(false);
  });

  it('bindRecommendationLog(fn) allows PutItem only on recommendation-record keys', () => {
    // Prepare
    const stack = newTestStack();
    const featureStore = new FeatureStore(stack, 'FeatureStore');
    const fn = newPlainFunction(stack, 'Fn');

    // Act
    featureStore.bindRecommendationLog(fn);
    const template = Template.fromStack(stack);

    // Assess
    expect(statementsOfRole(template, roleLogicalIdOf(fn))).toEqual([
      {
        Effect: 'Allow',
        Action: RECOMMENDATION_LOG_ACTIONS[0],
        Resource: arnOf(logicalIdOf(featureStore.table)),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RECOMMENDATION_KEY_PREFIX}*`] } },
      },
    ]);
  });

  it('uses the partition-key prefix the DynamoDB adapter writes recommendation records under', () => {
    const key = featureKeys.recommendation('some-id')[featureTable.partitionKey.name];
    expect(key).toBe(`${RECOMMENDATION_KEY_PREFIX}some-id`);
  });
});
