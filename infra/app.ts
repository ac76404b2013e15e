/**
 * CDK app entry (`cdk.json` → `npx tsx infra/app.ts`). Synthesises the environment-agnostic
 * stack with cdk-nag's AwsSolutionsChecks; any unacknowledged finding fails the synth.
 */
import { buildApp } from './build-app.ts';

buildApp().app.synth();
