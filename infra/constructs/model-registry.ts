import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { envVars, type KeyAttribute, registryTable } from '#shared/config/index.ts';
import { TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS } from './feature-store.ts';

/** Partition (and sort) key of the item naming the version the endpoint serves (`registryTable`). */
export const REGISTRY_LIVE_KEY = 'LIVE';

/** Partition of the model versions. */
export const REGISTRY_VERSIONS_KEY = 'VERSIONS';

/** What the admin function's model routes read: one version, the versions newest first, the live pointer. */
export const READ_VERSIONS_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'] as const;

/** The one action a reader of the live version needs. */
export const READ_LIVE_ACTIONS = ['dynamodb:GetItem'] as const;

const attributeTypes: Readonly<Record<KeyAttribute['type'], dynamodb.AttributeType>> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
};

const toAttribute = (key: KeyAttribute): dynamodb.Attribute => ({ name: key.name, type: attributeTypes[key.type] });

/**
 * The model registry: one on-demand table (`registryTable` in shared/config) holding every model
 * version the pipeline trained (metrics, data window, hyperparameters, status), the pointer to the
 * version the endpoint serves (`LIVE`) and the pipeline's lock (with a TTL).
 *
 * Point-in-time recovery, an AWS-owned key like the feature table (it holds version metadata and
 * aggregate metrics, nothing about a shopper), and **retained** when the stack is deleted: it is
 * the record of which model served when and how it scored, small and billed per request, and it
 * indexes the retained artifacts bucket. No deletion protection: it blocks nothing a deployer needs
 * to keep, and `cdk destroy` then leaves it behind instead of failing.
 */
export class ModelRegistry extends Construct {
  public readonly table: dynamodb.TableV2;

  public constructor(scope: Construct, id: string) {
    super(scope, id);

    this.table = new dynamodb.TableV2(this, registryTable.logicalName, {
      partitionKey: toAttribute(registryTable.partitionKey),
      sortKey: toAttribute(registryTable.sortKey),
      timeToLiveAttribute: registryTable.ttlAttribute,
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.dynamoOwnedKey(),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * Lets `fn` read the live version and nothing else (`dynamodb:GetItem` on items whose partition
   * key is {@link REGISTRY_LIVE_KEY}, condition `dynamodb:LeadingKeys`), and tells it the table
   * through `envVars.registryTableName`.
   */
  public grantReadLive(fn: lambda.Function): void {
    fn.addEnvironment(envVars.registryTableName, this.table.tableName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...READ_LIVE_ACTIONS],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [REGISTRY_LIVE_KEY] } },
      }),
    );
  }

  /**
   * Lets `fn` read the versions and the live pointer, not the lock, and write nothing
   * (`dynamodb:LeadingKeys` on {@link REGISTRY_VERSIONS_KEY} and {@link REGISTRY_LIVE_KEY}).
   */
  public grantReadVersions(fn: lambda.Function): void {
    fn.addEnvironment(envVars.registryTableName, this.table.tableName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...READ_VERSIONS_ACTIONS],
        resources: [this.table.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [REGISTRY_VERSIONS_KEY, REGISTRY_LIVE_KEY] },
        },
      }),
    );
  }

  /**
   * Lets `fn` read and write every item of the registry (versions, live pointer, lock; item-level
   * actions only, no scan) and tells it the table through `envVars.registryTableName`.
   */
  public grantReadWrite(fn: lambda.Function): void {
    fn.addEnvironment(envVars.registryTableName, this.table.tableName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS],
        resources: [this.table.tableArn],
      }),
    );
  }
}
