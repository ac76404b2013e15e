import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { envVars, registryTable } from '#shared/config/index.ts';
import { TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS } from '#infra/constructs/feature-store.ts';
import { ModelRegistry, READ_LIVE_ACTIONS, REGISTRY_LIVE_KEY } from '#infra/constructs/model-registry.ts';
import { logicalIdOf, newPlainFunction, newTestStack, roleLogicalIdOf, statementsOfRole } from './helpers.ts';

function synthRegistry() {
  const stack = newTestStack();
  const registry = new ModelRegistry(stack, 'ModelRegistry');
  const reader = newPlainFunction(stack, 'Reader');
  const writer = newPlainFunction(stack, 'Writer');
  registry.grantReadLive(reader);
  registry.grantReadWrite(writer);
  return { stack, registry, reader, writer, template: Template.fromStack(stack) };
}

describe('Construct: ModelRegistry', () => {
  it('creates an on-demand table with the key schema and TTL of registryTable, PITR, kept with the stack', () => {
    // Act
    const { registry, template } = synthRegistry();

    // Assess
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    const table = template.findResources('AWS::DynamoDB::GlobalTable')[logicalIdOf(registry.table)];
    expect(table?.DeletionPolicy).toBe('Retain');
    expect(table?.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: registryTable.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: registryTable.sortKey.name, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: registryTable.ttlAttribute, Enabled: true },
    });
    expect(table?.Properties.Replicas).toEqual([
      expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    ]);
    expect(table?.Properties.GlobalSecondaryIndexes).toBeUndefined();
  });

  it('lets a live reader GetItem the LIVE item only, and tells it the table', () => {
    // Act
    const { registry, reader, template } = synthRegistry();

    // Assess
    expect(statementsOfRole(template, roleLogicalIdOf(reader))).toEqual([
      {
        Effect: 'Allow',
        Action: READ_LIVE_ACTIONS[0],
        Resource: { 'Fn::GetAtt': [logicalIdOf(registry.table), 'Arn'] },
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [REGISTRY_LIVE_KEY] } },
      },
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [roleLogicalIdOf(reader), 'Arn'] },
      Environment: { Variables: { [envVars.registryTableName]: { Ref: logicalIdOf(registry.table) } } },
    });
  });

  it('lets a writer read and write items of the table, no scan, and tells it the table', () => {
    // Act
    const { registry, writer, template } = synthRegistry();

    // Assess
    expect(statementsOfRole(template, roleLogicalIdOf(writer))).toEqual([
      {
        Effect: 'Allow',
        Action: [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS].sort(),
        Resource: { 'Fn::GetAtt': [logicalIdOf(registry.table), 'Arn'] },
      },
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [roleLogicalIdOf(writer), 'Arn'] },
      Environment: { Variables: { [envVars.registryTableName]: { Ref: logicalIdOf(registry.table) } } },
    });
  });
});
