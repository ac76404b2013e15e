/**
 * Loads the model the inference container serves. SageMaker unpacks `model.tar.gz` into
 * `/opt/ml/model` before starting the container; when the directory holds the archive instead (a
 * local run on a training job's output), it is unpacked into a scratch directory first, because
 * `/opt/ml/model` may be read-only.
 */
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MANIFEST_FILE, readManifest } from '#shared/recommender/artifact.ts';
import { unpackModel } from '#shared/recommender/io/tar.ts';
import { loadModel } from '#shared/recommender/registry.ts';
import type { Model } from '#shared/recommender/model.ts';
import type { ServingModel } from './invocation.ts';

export const MODEL_ARCHIVE = 'model.tar.gz';

export interface LoadedModel {
  readonly serving: ServingModel;
  /** The directory actually loaded (a scratch directory when the archive was unpacked). */
  readonly dir: string;
  /** The item the warm-up requests used (the most popular one), if the model had any. */
  readonly warmedWith: string | undefined;
  readonly warmUpMs: number;
  /** Removes the scratch directory, if any. */
  cleanup(): Promise<void>;
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/** `<algorithm>-<createdAt>` unless the deployment names the version (`MODEL_VERSION`). */
export function modelVersionOf(manifest: { algorithm: string; createdAt: string }, override?: string): string {
  return override !== undefined && override !== '' ? override : `${manifest.algorithm}-${manifest.createdAt}`;
}

/**
 * One request of each kind before the server reports ready: a model builds its scoring tables
 * (a 100k-item factor copy for the SIMD kernel, the mean item vector) on first use, and
 * SageMaker sends traffic once /ping answers, so the first shopper should not pay for them.
 */
function warmUp(model: Model): string | undefined {
  const popular = model.recommend({ count: 1 })[0]?.itemId;
  if (popular === undefined) return undefined;
  model.recommend({ recentItems: [{ itemId: popular, eventType: 'view' }], count: 10, filters: { excludeSeen: true } });
  model.similarItems(popular, 10);
  return popular;
}

/** Loads the model in `dir` (a model directory, or one holding `model.tar.gz`). */
export async function loadServingModel(dir: string, options: { modelVersion?: string } = {}): Promise<LoadedModel> {
  let modelDir = dir;
  let scratch: string | undefined;
  if (!(await exists(join(dir, MANIFEST_FILE)))) {
    const archive = join(dir, MODEL_ARCHIVE);
    if (!(await exists(archive))) {
      throw new Error(`no model in ${dir}: expected ${MANIFEST_FILE} (a model directory) or ${MODEL_ARCHIVE}`);
    }
    scratch = await mkdtemp(join(tmpdir(), 'reco-model-'));
    try {
      await unpackModel(archive, scratch);
    } catch (error) {
      await rm(scratch, { recursive: true, force: true });
      throw error;
    }
    modelDir = scratch;
  }
  const cleanup = async (): Promise<void> => {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  };
  try {
    const manifest = await readManifest(modelDir);
    const model = await loadModel(modelDir);
    const serving: ServingModel = {
      model,
      algorithm: manifest.algorithm,
      modelVersion: modelVersionOf(manifest, options.modelVersion),
    };
    const started = performance.now();
    const warmedWith = warmUp(model);
    return { serving, dir: modelDir, cleanup, warmedWith, warmUpMs: performance.now() - started };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
