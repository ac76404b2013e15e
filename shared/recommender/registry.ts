/** Algorithm name → trainer, model loading and hyperparameter checking. */
import { readArtifact } from './artifact.ts';
import { ComponentModel, readBase, type Component, type ModelBase } from './component.ts';
import { resolveHyperparameters } from './hyperparameters.ts';
import type { Artifact } from './artifact.ts';
import { ContentComponent, contentTrainer } from './algorithms/content.ts';
import { HybridComponent, hybridTrainer } from './algorithms/hybrid.ts';
import { IalsComponent, ialsTrainer } from './algorithms/ials.ts';
import { ItemKnnComponent, itemKnnTrainer } from './algorithms/itemKnn.ts';
import { PopularityComponent, popularityTrainer } from './algorithms/popularity.ts';
import { ALGORITHMS, type AlgorithmName, type Hyperparameters, type Model, type Trainer } from './model.ts';

/** Every trainer, by algorithm name. */
export const trainers: Readonly<Record<AlgorithmName, Trainer>> = {
  hybrid: hybridTrainer,
  ials: ialsTrainer,
  'item-knn': itemKnnTrainer,
  popularity: popularityTrainer,
  content: contentTrainer,
};

const readers: Readonly<Record<AlgorithmName, (artifact: Artifact, base: ModelBase, prefix: string) => Component>> = {
  hybrid: HybridComponent.read,
  ials: IalsComponent.read,
  'item-knn': ItemKnnComponent.read,
  popularity: PopularityComponent.read,
  content: ContentComponent.read,
};

function isAlgorithmName(name: string): name is AlgorithmName {
  return (ALGORITHMS as readonly string[]).includes(name);
}

/** The trainer for `name`; the error lists the valid names. */
export function trainerFor(name: string): Trainer {
  if (!isAlgorithmName(name)) throw new Error(`unknown algorithm "${name}"; valid: ${ALGORITHMS.join(', ')}`);
  return trainers[name];
}

/**
 * The trainer's defaults merged with `params`, every name and type checked: an unknown name is
 * an error naming it and the valid ones, a wrong type an error naming the expected type. Numeric
 * and boolean strings are accepted (SageMaker passes every hyperparameter as a string).
 */
export function validateHyperparameters(trainer: Trainer, params: Hyperparameters): Hyperparameters {
  return resolveHyperparameters(trainer.algorithm, trainer.defaults, params);
}

/** Loads a model directory written by `Model.save`, whatever its algorithm. */
export async function loadModel(dir: string): Promise<Model> {
  const artifact = await readArtifact(dir);
  const algorithm = artifact.manifest.algorithm;
  const base = readBase(artifact);
  return new ComponentModel(algorithm, base, readers[algorithm](artifact, base, `${algorithm}.`));
}
