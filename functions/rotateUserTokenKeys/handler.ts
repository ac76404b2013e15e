import { createDeps, createHandler } from './app.ts';

/** The Lambda entry point Secrets Manager invokes for each rotation step. */
export const handler = createHandler(createDeps(process.env));
