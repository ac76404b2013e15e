/**
 * The one source of truth for names, key schemas, limits, TTLs and weights.
 *
 * The CDK app (`infra/`), the Lambda handlers (`functions/`) and the local stack (`local/`)
 * all read this module, so a table key or a limit is never written twice.
 * Nothing here reads `process.env`: environment-specific values (actual table names,
 * stream names) are injected into the handlers by the CDK constructs via {@link envVars}.
 * Each concern has a module of its own beside this one; everything is imported from here.
 */

export * from './events.ts';
export * from './tables.ts';
export * from './ingestion.ts';
export * from './limits.ts';
export * from './training.ts';
export * from './api.ts';
export * from './lambda.ts';
export * from './serving.ts';
export * from './operations.ts';
