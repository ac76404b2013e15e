/**
 * CDK app entry (`cdk.json` → `npx tsx infra/app.ts`). Synthesises the environment-agnostic
 * stack with cdk-nag's AwsSolutionsChecks; any unacknowledged finding fails the synth.
 */
import { buildApp, ContextSettingError } from './build-app.ts';
import { ShapeConfigError } from './shape.ts';

try {
  buildApp().app.synth();
} catch (error) {
  // A bad `-c` setting is the deployer's to fix: its message names the key, a stack trace only hides it.
  if (!(error instanceof ContextSettingError || error instanceof ShapeConfigError)) throw error;
  console.error(`cdk synth: ${error.message}`);
  process.exitCode = 1;
}
