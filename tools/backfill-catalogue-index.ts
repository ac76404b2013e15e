/**
 * `npm run backfill:catalogue-index -- --table <FeatureTableName>`: once, after deploying a
 * version with the catalogue index (`byCatalogue`), with an operator's AWS credentials. Catalogue
 * entries written before it lack `catalogueShard`, so training exports would not see them (nor
 * the deletions among them). It scans the feature table, which no role of the stack may do.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseArgs } from 'node:util';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';

/** Gives every catalogue entry of `table` its index shard; returns how many it changed. */
export async function backfillCatalogueIndex(
  args: readonly string[],
  client = new DynamoDBClient({}),
): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { table: { type: 'string' } }, strict: true });
  if (values.table === undefined || values.table === '') {
    throw new Error('--table is required: the FeatureTableName output of the stack');
  }
  return new DynamoFeatureStore(client, values.table).backfillCatalogueIndex();
}

if (import.meta.main) {
  backfillCatalogueIndex(process.argv.slice(2)).then(
    (updated) => console.log(`catalogue entries given their index shard: ${updated}`),
    (error: unknown) => {
      console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
