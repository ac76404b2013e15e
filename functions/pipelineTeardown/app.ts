import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
  ListProcessingJobsCommand,
  ListTrainingJobsCommand,
  SageMakerClient,
  StopProcessingJobCommand,
  StopTrainingJobCommand,
} from '@aws-sdk/client-sagemaker';
import { ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { keepAliveHandler } from '../lib/httpHandler.ts';
import { logger } from '../lib/observability.ts';
import type { Env } from '../lib/env.ts';

/** What the custom resource passes (`ResourceProperties`): whose resources to remove. */
export interface TeardownProperties {
  readonly StateMachineArn: string;
  /** Prefix of every SageMaker name the pipeline gives (`<prefix>-<version>…`: jobs, models, endpoint configs). */
  readonly NamePrefix: string;
  readonly EndpointName: string;
}

export interface TeardownDeps {
  readonly sfn: SFNClient;
  readonly sageMaker: SageMakerClient;
}

/** What one teardown stopped and deleted, by kind. */
export interface TeardownReport {
  readonly executions: string[];
  readonly trainingJobs: string[];
  readonly processingJobs: string[];
  readonly endpoints: string[];
  readonly endpointConfigs: string[];
  readonly models: string[];
}

/** The custom resource's id; the same on every update, so CloudFormation never deletes it but with the stack. */
export const PHYSICAL_RESOURCE_ID = 'training-pipeline-teardown';

/** Thrown when something could not be removed; the stack deletion fails and can be retried. */
export class TeardownError extends Error {
  public readonly reason = 'teardown_incomplete';

  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TeardownError';
  }
}

export function createDeps(_env: Env, overrides: Partial<TeardownDeps> = {}): TeardownDeps {
  return {
    sfn: overrides.sfn ?? new SFNClient({ requestHandler: keepAliveHandler() }),
    sageMaker: overrides.sageMaker ?? new SageMakerClient({ requestHandler: keepAliveHandler() }),
  };
}

const nameOf = (error: unknown): string => String((error as { name?: unknown } | undefined)?.name ?? '');
const messageOf = (error: unknown): string => String((error as { message?: unknown } | undefined)?.message ?? '');

/** SageMaker answers a missing resource with ValidationException "Could not find ..." (or ResourceNotFound). */
export function isGone(error: unknown): boolean {
  const name = nameOf(error);
  if (['ResourceNotFound', 'StateMachineDoesNotExist', 'ExecutionDoesNotExist'].includes(name)) return true;
  return name === 'ValidationException' && /could not find|not found|does not exist/i.test(messageOf(error));
}

/**
 * A stop SageMaker refuses (ValidationException) concerns a job that ended or is stopping between
 * the listing and the call: it bills no longer either way.
 */
const isAlreadyStopping = (error: unknown): boolean => nameOf(error) === 'ValidationException';

function checkProperties(properties: Record<string, unknown>): TeardownProperties {
  const missing = ['StateMachineArn', 'NamePrefix', 'EndpointName'].filter(
    (key) => typeof properties[key] !== 'string' || properties[key] === '',
  );
  if (missing.length > 0) throw new TeardownError(`the custom resource has no ${missing.join(', ')}`);
  return properties as unknown as TeardownProperties;
}

/** Every page of a paginated listing. */
async function allPages<T>(page: (token: string | undefined) => Promise<{ items: T[]; next: string | undefined }>) {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const result = await page(token);
    items.push(...result.items);
    token = result.next;
  } while (token !== undefined);
  return items;
}

/**
 * Removes everything of the pipeline that bills while it exists, in an order that lets nothing
 * start again: running executions (so no state creates more), running training and processing
 * jobs named with the prefix, the endpoint, then the prefixed endpoint configs and models.
 * Idempotent: what is already gone is skipped. Every step is tried; failures are reported together.
 */
export async function tearDown(deps: TeardownDeps, properties: TeardownProperties): Promise<TeardownReport> {
  const { sfn, sageMaker } = deps;
  const prefix = properties.NamePrefix;
  const ours = (name: string | undefined): name is string =>
    name?.toLowerCase().startsWith(`${prefix.toLowerCase()}-`) ?? false;
  const failures: unknown[] = [];
  const report: TeardownReport = {
    executions: [],
    trainingJobs: [],
    processingJobs: [],
    endpoints: [],
    endpointConfigs: [],
    models: [],
  };
  const attempt = async (
    done: string[],
    name: string,
    { call, tolerate }: { call: () => Promise<unknown>; tolerate: (error: unknown) => boolean },
  ) => {
    try {
      await call();
      done.push(name);
    } catch (error) {
      if (!tolerate(error)) failures.push(error);
    }
  };
  const listing = async <T>(list: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await list();
    } catch (error) {
      if (!isGone(error)) failures.push(error);
      return [];
    }
  };

  const executions = await listing(() =>
    allPages(async (nextToken) => {
      const page = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: properties.StateMachineArn, statusFilter: 'RUNNING', nextToken }),
      );
      return { items: (page.executions ?? []).map((execution) => execution.executionArn), next: page.nextToken };
    }),
  );
  for (const executionArn of executions.filter((arn): arn is string => arn !== undefined)) {
    await attempt(report.executions, executionArn, {
      call: () =>
        sfn.send(
          new StopExecutionCommand({
            executionArn,
            error: 'StackDeleted',
            cause: 'The stack of this training pipeline is being deleted',
          }),
        ),
      tolerate: isGone,
    });
  }

  const trainingJobs = await listing(() =>
    allPages(async (NextToken) => {
      const page = await sageMaker.send(
        new ListTrainingJobsCommand({ NameContains: prefix, StatusEquals: 'InProgress', NextToken }),
      );
      return { items: (page.TrainingJobSummaries ?? []).map((job) => job.TrainingJobName), next: page.NextToken };
    }),
  );
  for (const TrainingJobName of trainingJobs.filter(ours)) {
    await attempt(report.trainingJobs, TrainingJobName, {
      call: () => sageMaker.send(new StopTrainingJobCommand({ TrainingJobName })),
      tolerate: (error) => isGone(error) || isAlreadyStopping(error),
    });
  }
  const processingJobs = await listing(() =>
    allPages(async (NextToken) => {
      const page = await sageMaker.send(
        new ListProcessingJobsCommand({ NameContains: prefix, StatusEquals: 'InProgress', NextToken }),
      );
      return { items: (page.ProcessingJobSummaries ?? []).map((job) => job.ProcessingJobName), next: page.NextToken };
    }),
  );
  for (const ProcessingJobName of processingJobs.filter(ours)) {
    await attempt(report.processingJobs, ProcessingJobName, {
      call: () => sageMaker.send(new StopProcessingJobCommand({ ProcessingJobName })),
      tolerate: (error) => isGone(error) || isAlreadyStopping(error),
    });
  }

  // Deleting the endpoint also deregisters its variant from auto scaling (the role may do that).
  await attempt(report.endpoints, properties.EndpointName, {
    call: () => sageMaker.send(new DeleteEndpointCommand({ EndpointName: properties.EndpointName })),
    tolerate: isGone,
  });

  const configs = await listing(() =>
    allPages(async (NextToken) => {
      const page = await sageMaker.send(new ListEndpointConfigsCommand({ NameContains: prefix, NextToken }));
      return { items: (page.EndpointConfigs ?? []).map((config) => config.EndpointConfigName), next: page.NextToken };
    }),
  );
  for (const EndpointConfigName of configs.filter(ours)) {
    await attempt(report.endpointConfigs, EndpointConfigName, {
      call: () => sageMaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName })),
      tolerate: isGone,
    });
  }
  const models = await listing(() =>
    allPages(async (NextToken) => {
      const page = await sageMaker.send(new ListModelsCommand({ NameContains: prefix, NextToken }));
      return { items: (page.Models ?? []).map((model) => model.ModelName), next: page.NextToken };
    }),
  );
  for (const ModelName of models.filter(ours)) {
    await attempt(report.models, ModelName, {
      call: () => sageMaker.send(new DeleteModelCommand({ ModelName })),
      tolerate: isGone,
    });
  }

  if (failures.length > 0) {
    throw new TeardownError(
      `could not remove everything of the training pipeline (${failures.length} failures): ` +
        failures.map((error) => `${nameOf(error)}: ${messageOf(error)}`).join('; '),
      { cause: failures[0] },
    );
  }
  return report;
}

/**
 * The custom resource's handler (through the CDK provider framework): nothing on create and update,
 * {@link tearDown} on delete, which CloudFormation sends only when the stack is deleted (the physical
 * id never changes).
 */
export function createHandler(
  deps: TeardownDeps,
): (event: CloudFormationCustomResourceEvent) => Promise<{ PhysicalResourceId: string }> {
  return async (event) => {
    if (event.RequestType === 'Create') return { PhysicalResourceId: PHYSICAL_RESOURCE_ID };
    if (event.RequestType === 'Update') return { PhysicalResourceId: event.PhysicalResourceId };
    const report = await tearDown(deps, checkProperties(event.ResourceProperties));
    logger.info('training pipeline torn down', { ...report });
    return { PhysicalResourceId: event.PhysicalResourceId };
  };
}
