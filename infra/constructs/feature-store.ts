import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { envVars, featureTable, type KeyAttribute } from '#shared/config/index.ts';

/** How much of the feature table a function may touch. */
export type TableAccess = 'read' | 'readWrite';

/**
 * Item-level read actions. No `Scan`: every access pattern of the table is by key
 * (see `featureTable` in shared/config).
 */
export const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'] as const;

/**
 * Item-level write actions. `ConditionCheckItem` lets writers use `TransactWriteItems` with
 * conditions; transactions are authorised per contained action.
 */
export const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
] as const;

/**
 * Partition-key prefix of the recommendation records the serving path writes for attribution
 * (`featureKeys.recommendation` in shared/adapters/dynamoFeatureStore/keys.ts; a test keeps the two equal).
 */
export const RECOMMENDATION_KEY_PREFIX = 'REC#';

/**
 * Partition-key prefix of the attribution counters (`featureKeys.attribution` in
 * shared/adapters/dynamoFeatureStore/keys.ts; a test keeps the two equal).
 */
export const ATTRIBUTION_KEY_PREFIX = 'ATTR#';

/** The one write action of the recommendation log, allowed only on {@link RECOMMENDATION_KEY_PREFIX} keys. */
export const RECOMMENDATION_LOG_ACTIONS = ['dynamodb:PutItem'] as const;

/** Properties of a {@link FeatureStore}. */
export interface FeatureStoreProps {
  /**
   * Whether DynamoDB refuses to delete the table (also blocks a stack deletion from removing it).
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * What happens to the table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const attributeTypes: Readonly<Record<KeyAttribute['type'], dynamodb.AttributeType>> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
};

function toAttribute(key: KeyAttribute): dynamodb.Attribute {
  return { name: key.name, type: attributeTypes[key.type] };
}

/**
 * The feature store: one on-demand DynamoDB table whose key schema, TTL attribute and global
 * secondary indexes all come from `featureTable` in shared/config.
 *
 * Functions get access with {@link FeatureStore.bindTable}, which sets `FEATURE_TABLE_NAME`
 * and grants exactly the actions of the requested access level.
 */
export class FeatureStore extends Construct {
  /** The table (synthesised as `AWS::DynamoDB::GlobalTable` with a single replica). */
  public readonly table: dynamodb.TableV2;

  public constructor(scope: Construct, id: string, props: FeatureStoreProps = {}) {
    super(scope, id);

    this.table = new dynamodb.TableV2(this, featureTable.logicalName, {
      partitionKey: toAttribute(featureTable.partitionKey),
      sortKey: toAttribute(featureTable.sortKey),
      timeToLiveAttribute: featureTable.ttlAttribute,
      globalSecondaryIndexes: featureTable.globalSecondaryIndexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: toAttribute(index.partitionKey),
        sortKey: toAttribute(index.sortKey),
        // ALL: the recommend path reads candidates from the index without a second GetItem.
        projectionType: dynamodb.ProjectionType.ALL,
      })),
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      // AWS-owned key (no charge, no key policy to run): the table holds pseudonymous shopper
      // keys, item ids and counters that expire through TTL, and no requirement asks for
      // key-level audit or revocation. A customer-managed key would add a KMS grant to every
      // bindTable() and KMS cost on the hot read path. If compliance later needs one, switch to
      // TableEncryptionV2.customerManagedKey() and add kms:Decrypt/Encrypt to bindTable().
      encryption: dynamodb.TableEncryptionV2.dynamoOwnedKey(),
    });
  }

  /**
   * Gives `fn` access to the table and tells it the table's name through
   * `envVars.featureTableName`.
   *
   * - `'read'`: {@link TABLE_READ_ACTIONS} on the table, `dynamodb:Query` on each index.
   * - `'readWrite'`: additionally {@link TABLE_WRITE_ACTIONS} on the table.
   *
   * Index ARNs are named one by one (no `index/*`), so the policy carries no wildcard.
   */
  public bindTable(fn: lambda.Function, access: TableAccess): void {
    fn.addEnvironment(envVars.featureTableName, this.table.tableName);

    const tableActions =
      access === 'readWrite' ? [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS] : [...TABLE_READ_ACTIONS];
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: tableActions,
        resources: [this.table.tableArn],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: featureTable.globalSecondaryIndexes.map(
          (index) => `${this.table.tableArn}/index/${index.indexName}`,
        ),
      }),
    );
  }

  /**
   * Lets `fn` record the lists it serves (for attribution): {@link RECOMMENDATION_LOG_ACTIONS} on
   * the table, only for items whose partition key starts with {@link RECOMMENDATION_KEY_PREFIX}
   * (condition `dynamodb:LeadingKeys`), so a reader that logs recommendations still cannot touch
   * profiles, item counters or catalogue entries. Combine with `bindTable(fn, 'read')`.
   */
  public bindRecommendationLog(fn: lambda.Function): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...RECOMMENDATION_LOG_ACTIONS],
        resources: [this.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RECOMMENDATION_KEY_PREFIX}*`] },
        },
      }),
    );
  }

  /**
   * Lets `fn` read the attribution counters (`GET /v1/admin/stats`) and nothing else of the table:
   * `dynamodb:Query` on the table, only for partition keys starting with
   * {@link ATTRIBUTION_KEY_PREFIX} (condition `dynamodb:LeadingKeys`), no index; and tells it the
   * table's name through `envVars.featureTableName`.
   */
  public bindAttributionReader(fn: lambda.Function): void {
    fn.addEnvironment(envVars.featureTableName, this.table.tableName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [this.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${ATTRIBUTION_KEY_PREFIX}*`] },
        },
      }),
    );
  }

  /** ARNs of the table and of each of its indexes (no `index/*`). */
  public tableAndIndexArns(): string[] {
    return [
      this.table.tableArn,
      ...featureTable.globalSecondaryIndexes.map((index) => `${this.table.tableArn}/index/${index.indexName}`),
    ];
  }
}
