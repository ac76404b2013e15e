import { createDeps, createHandler } from './app.ts';

/** The Lambda entry point of the training pipeline's teardown custom resource. */
export const handler = createHandler(createDeps(process.env));
