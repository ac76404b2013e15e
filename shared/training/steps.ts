import * as z from 'zod/mini';
import '../http/zodLocale.ts';
import { InvalidRequestError } from '../errors.ts';
import type { GuardDecision, PipelineStepInput } from './pipeline.ts';
import { VERSION_PATTERN } from './plan.ts';

/**
 * The pipeline function's input, as the state machine passes it (`{step, …}`), checked before
 * any step runs: a state machine edited out of step with the function fails loudly, naming the field.
 */

const instant = z.iso.datetime({ offset: true });
const name = z.string().check(z.minLength(1), z.maxLength(256));
const version = z.string().check(z.regex(VERSION_PATTERN, { error: 'a version is v<yyyyMMddHHmmss>-<8 hex digits>' }));
const count = z.number().check(z.minimum(0));

const dataWindow = z.object({ from: instant, holdoutFrom: instant, to: instant });

const pipelineRequest = z
  .object({
    trigger: z.enum(['schedule', 'manual', 'promote']),
    promoteVersion: z.optional(version),
    force: z.optional(z.boolean()),
  })
  .check(
    z.refine((request) => (request.trigger === 'promote') === (request.promoteVersion !== undefined), {
      error: 'promoteVersion is required with trigger promote, and only then',
      path: ['promoteVersion'],
    }),
  );

const guardDecision = z.object({
  action: z.enum(['skip', 'train', 'promote']),
  reason: z.string(),
  version,
  liveVersion: z.optional(version),
  endpointExists: z.boolean(),
  modelName: name,
  endpointConfigName: name,
  endpointName: name,
  trainingJobName: z.optional(name),
  exportJobName: z.optional(name),
  datasetS3Uri: z.optional(name),
  modelOutputS3Uri: z.optional(name),
  liveModelS3Uri: z.optional(name),
  window: z.optional(dataWindow),
  liveWindow: z.optional(dataWindow),
  modelDataUrl: z.optional(name),
  hyperparameters: z.optional(z.record(z.string(), z.string())),
}) satisfies z.ZodMiniType<GuardDecision>;

const gateMetrics = z.object({ hr10: count, ndcg10: count, coverage: count });

const stepInput = z.discriminatedUnion('step', [
  z.object({ step: z.literal('guard'), executionId: name, startedAt: instant, request: pipelineRequest }),
  z.object({
    step: z.literal('gate'),
    guard: guardDecision,
    // SageMaker adds `Timestamp` to each; only the name and value are read.
    metrics: z.array(z.object({ MetricName: z.string(), Value: z.number() })),
  }),
  z.object({
    step: z.literal('record'),
    outcome: z.enum(['live', 'rejected', 'failed']),
    executionId: name,
    guard: z.optional(guardDecision),
    gate: z.optional(
      z.object({
        verdict: z.enum(['promote', 'reject']),
        reason: z.string(),
        candidate: gateMetrics,
        live: z.optional(gateMetrics),
        holdoutUsers: count,
        liveOverlap: count,
        tuning: z.optional(
          z.object({
            validationNdcg10: z.number(),
            validationHr10: z.number(),
            defaultsNdcg10: z.number(),
            trials: z.number(),
            seconds: z.number(),
            gainStandardError: z.optional(z.number()),
            keptDefaults: z.optional(z.number()),
          }),
        ),
      }),
    ),
    modelDataUrl: z.optional(name),
    error: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
  }),
  z.object({ step: z.literal('cleanUp'), guard: guardDecision }),
]);

/** The step input, or an `InvalidRequestError` naming the first field that is wrong. */
export function parseStepInput(event: unknown): PipelineStepInput {
  const parsed = stepInput.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'input';
    const step = (event as { step?: unknown } | null)?.step;
    throw new InvalidRequestError(
      field === 'step' ? 'unknown_step' : 'invalid_step_input',
      field === 'step'
        ? `unknown pipeline step ${JSON.stringify(step)}; expected guard, gate, record or cleanUp`
        : `${String(step)} step: ${field}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data as PipelineStepInput;
}
