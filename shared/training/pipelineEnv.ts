import { envVars } from '../config/index.ts';
import { exportEnv } from './pipeline.ts';

/**
 * Environment of the pipeline function (`functions/pipeline/`), set by the training pipeline's
 * construct. Every one is required but the hyperparameters.
 */
export const pipelineFunctionEnv = {
  /** The model registry table (lock, versions, live pointer). */
  registryTableName: envVars.registryTableName,
  /** The model artifacts bucket's name: `datasets/` and `models/` of every run. */
  artifactsBucket: 'MODEL_ARTIFACTS_BUCKET',
  /** `s3://<lake bucket>/events/`, which the guard lists to count new data (as the export reads it). */
  lakeUri: exportEnv.lakeUri,
  /** The serving endpoint every version is deployed to. */
  endpointName: envVars.modelEndpointName,
  /** Starts every SageMaker name the pipeline makes (at most `MAX_NAME_PREFIX_CHARS`, 29). */
  namePrefix: 'SAGEMAKER_NAME_PREFIX',
  /** The training job's hyperparameters as a JSON object of strings (optional; the image's defaults otherwise). */
  hyperparameters: 'TRAINING_HYPERPARAMETERS',
} as const;
