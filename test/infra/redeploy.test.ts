import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { envVars } from '#shared/config/index.ts';
import { pipelineFunctionEnv } from '#shared/training/pipelineEnv.ts';
import { buildApp, MODEL_VERSION_CONTEXT_KEY, STOREFRONT_RATE_LIMIT_CONTEXT_KEY } from '#infra/build-app.ts';
import type { RecoStack } from '#infra/stacks/reco-stack.ts';
import { logicalIdOf, stubModelImageDirectory, testContext } from './helpers.ts';

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** The app as a deployment builds it, with `context` on top of cdk.json's. */
function synth(context: Record<string, unknown>): { stack: RecoStack; resources: Record<string, Resource> } {
  const { stack } = buildApp({
    context: { ...testContext(), ...context },
    nag: false,
    modelImageDirectory: stubModelImageDirectory(),
  });
  return { stack, resources: Template.fromStack(stack).toJSON().Resources as Record<string, Resource> };
}

/** Resource types that would stand for the served model: a deployment could replace or delete them. */
const MODEL_RESOURCE_TYPE = /^AWS::(SageMaker|ApplicationAutoScaling)::/;

describe('Stack: a later deployment with changed settings', () => {
  let before: ReturnType<typeof synth>;
  let after: ReturnType<typeof synth>;

  beforeAll(() => {
    // Prepare: the first deployment, then one with a new model version label and a new rate limit.
    before = synth({});

    // Act
    after = synth({ [MODEL_VERSION_CONTEXT_KEY]: 'popularity-v2', [STOREFRONT_RATE_LIMIT_CONTEXT_KEY]: '5000' });
  });

  it('has no resource for the served model in either template, so none can be rolled back or removed', () => {
    for (const { resources } of [before, after]) {
      expect(Object.values(resources).filter((resource) => MODEL_RESOURCE_TYPE.test(resource.Type))).toEqual([]);
    }
  });

  it('keeps every resource (no replacement by a new logical id) and changes only what the settings name', () => {
    // Assess
    expect(Object.keys(after.resources).sort()).toEqual(Object.keys(before.resources).sort());
    const changed = Object.keys(before.resources).filter(
      (id) => JSON.stringify(before.resources[id]) !== JSON.stringify(after.resources[id]),
    );
    expect(changed.sort()).toEqual(
      [
        logicalIdOf(after.stack.serving.recommendFunction),
        // It reports the fallback version's attribution in GET /v1/admin/stats.
        logicalIdOf(after.stack.admin.adminFunction),
        logicalIdOf(after.stack.storefrontWaf?.webAcl ?? after.stack),
      ].sort(),
    );
  });

  it('keeps the names the pipeline deploys with: endpoint, name prefix, roles, definition and teardown', () => {
    // Assess
    const names = ({ stack }: ReturnType<typeof synth>) => ({
      endpoint: stack.serving.modelEndpoint.endpointName,
      prefix: stack.training.namePrefix,
      modelRole: logicalIdOf(stack.serving.modelEndpoint.role),
      stateMachine: logicalIdOf(stack.training.stateMachine),
      teardown: logicalIdOf(stack.trainingTeardown.resource),
    });
    expect(names(after)).toEqual(names(before));
    const pipelineFunction = (synthesised: ReturnType<typeof synth>) =>
      synthesised.resources[logicalIdOf(synthesised.stack.training.pipelineFunction)]?.Properties?.Environment;
    expect(pipelineFunction(after)).toEqual(pipelineFunction(before));
    expect(pipelineFunction(after)).toMatchObject({
      Variables: {
        [pipelineFunctionEnv.endpointName]: before.stack.serving.modelEndpoint.endpointName,
        [pipelineFunctionEnv.namePrefix]: before.stack.training.namePrefix,
      },
    });
    const recommend = after.resources[logicalIdOf(after.stack.serving.recommendFunction)]?.Properties?.Environment;
    expect(recommend).toMatchObject({
      Variables: { [envVars.modelEndpointName]: before.stack.serving.modelEndpoint.endpointName },
    });
  });
});
