/** Writing a tuning report into a saved model's manifest. */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, readManifest } from '../artifact.ts';
import type { ModelManifest } from '../model.ts';
import type { TuningReport } from './autotune.ts';

/**
 * Adds `tuning` to the manifest of the model saved in `dir`, and its validation NDCG@10 and
 * HR@10 to the metrics (`validation.ndcg@10`), through a temporary file and a rename so a
 * manifest on disk is always whole.
 */
export async function recordTuning(dir: string, tuning: TuningReport): Promise<ModelManifest> {
  const manifest = await readManifest(dir);
  const updated: ModelManifest = {
    ...manifest,
    metrics: {
      ...manifest.metrics,
      'validation.ndcg@10': tuning.tuned['ndcg@10'],
      'validation.hr@10': tuning.tuned['hr@10'],
    },
    tuning,
  };
  const temporary = join(dir, `.${MANIFEST_FILE}.tmp`);
  await writeFile(temporary, JSON.stringify(updated, null, 2) + '\n');
  await rename(temporary, join(dir, MANIFEST_FILE));
  return updated;
}
