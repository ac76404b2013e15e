import { createDeps, createHandler } from './app.ts';

/** The Lambda entry point: dependencies from the environment, once per execution environment. */
export const handler = createHandler(createDeps(process.env));
