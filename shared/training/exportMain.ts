import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { DynamoFeatureStore } from '../adapters/dynamoFeatureStore.ts';
import { erasureHashKeyFrom } from '../adapters/erasureHashKey.ts';
import { S3LakeReader } from '../adapters/s3Lake.ts';
import { LocalLakeReader } from '../lake/localLake.ts';
import { ErasureHasher } from '../privacy/erasureHash.ts';
import { erasedShopperHashes } from '../privacy/erasureLog.ts';
import { PipelineConfigError } from './errors.ts';
import { exportDataset, type ExportSummary } from './export.ts';
import { exportEnv } from './pipeline.ts';
import type { LakeReader } from './ports.ts';

/**
 * Shopper keys whose keyed hash the export remembers: a shopper's events come close together in
 * the lake (sessions), so a large memo spares most HMACs (4 µs each) even over millions of shoppers.
 */
export const EXPORT_HASH_MEMO = 1_000_000;

/** SDK clients the export uses; each made with the defaults (region and credentials of the job) when not given. */
export interface ExportClients {
  readonly s3?: S3Client;
  readonly dynamoDb?: DynamoDBClient;
  readonly secretsManager?: SecretsManagerClient;
}

const instant = (name: string) =>
  z.iso.datetime({ offset: true, error: `${name} must be an ISO-8601 instant such as 2026-05-01T03:00:00Z` });

const exportSettings = z.object({
  [exportEnv.lakeUri]: z.string({ error: `${exportEnv.lakeUri} is required` }).min(1),
  [exportEnv.windowFrom]: instant(exportEnv.windowFrom),
  [exportEnv.holdoutFrom]: instant(exportEnv.holdoutFrom),
  [exportEnv.windowTo]: instant(exportEnv.windowTo),
  [exportEnv.featureTableName]: z.string({ error: `${exportEnv.featureTableName} is required` }).min(1),
});

/** The lake at `uri`: `s3://<bucket>/events/` in AWS, `file:///…/events/` or a folder path locally. */
export function lakeReaderFor(uri: string, s3: () => S3Client): LakeReader {
  if (uri.startsWith('s3://')) return new S3LakeReader(s3(), uri);
  return new LocalLakeReader(uri.startsWith('file://') ? fileURLToPath(uri) : uri);
}

/**
 * The model image's `export` mode: the window and sources from `exportEnv`, the erasure hash key
 * from `ERASURE_HASH_KEY_SECRET_ARN` (or the inline `ERASURE_HASH_KEY` of the local stack and
 * tests), the dataset written into `outputDir`. Returns what `export.json` holds.
 */
export async function exportFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  outputDir: string,
  clients: ExportClients = {},
): Promise<ExportSummary> {
  const parsed = exportSettings.safeParse(env);
  if (!parsed.success) {
    throw new PipelineConfigError('invalid_export_environment', parsed.error.issues.map((i) => i.message).join('; '));
  }
  const settings = parsed.data as Record<string, string>;
  const setting = (name: string) => settings[name] as string;
  const store = new DynamoFeatureStore(clients.dynamoDb ?? new DynamoDBClient({}), setting(exportEnv.featureTableName));
  const hasher = new ErasureHasher(
    erasureHashKeyFrom(env, () => clients.secretsManager ?? new SecretsManagerClient({})),
  );
  const [erased, hash] = await Promise.all([erasedShopperHashes(store, hasher), hasher.hashFunction(EXPORT_HASH_MEMO)]);
  return exportDataset(
    {
      window: {
        from: new Date(setting(exportEnv.windowFrom)).toISOString(),
        holdoutFrom: new Date(setting(exportEnv.holdoutFrom)).toISOString(),
        to: new Date(setting(exportEnv.windowTo)).toISOString(),
      },
      outputDir,
    },
    {
      lake: lakeReaderFor(setting(exportEnv.lakeUri), () => clients.s3 ?? new S3Client({})),
      catalogue: store,
      erased,
      hash,
    },
  );
}
