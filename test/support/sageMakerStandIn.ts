import { AwsJsonError, startAwsJsonStandIn } from './awsJsonStandIn.ts';

/** The kinds of SageMaker resources the stand-in holds, by the type in their ARNs. */
type Kind = 'endpoint' | 'model' | 'endpoint-config' | 'training-job' | 'processing-job';

/** A SageMaker (control plane) stand-in holding named resources, as the training pipeline leaves them. */
export interface SageMakerStandIn {
  /** Where `AWS_ENDPOINT_URL_SAGEMAKER` points. */
  readonly url: string;
  /** Adds what the state machine creates: an endpoint in service, a model, a config, a running job. */
  create(kind: Kind, name: string): void;
  /** Names of the resources of `kind` that exist (jobs: that are still in progress). */
  names(kind: Kind): string[];
  stop(): Promise<void>;
}

/** Entries per page of a listing: small, so paging is exercised. */
const PAGE_SIZE = 2;

/**
 * SageMaker on loopback, over its JSON 1.1 protocol: the calls of the pipeline function's
 * clean-up and guard and of the teardown (describe and delete the endpoint; list and delete
 * models and endpoint configs; list and stop training and processing jobs). A missing resource
 * answers `ValidationException` "Could not find …", as SageMaker does.
 */
export async function startSageMakerStandIn(arnPrefix: string): Promise<SageMakerStandIn> {
  const resources = new Map<Kind, Map<string, { created: number; status: string }>>(
    (['endpoint', 'model', 'endpoint-config', 'training-job', 'processing-job'] as const).map((kind) => [
      kind,
      new Map(),
    ]),
  );
  const of = (kind: Kind) => resources.get(kind) as Map<string, { created: number; status: string }>;
  const arn = (kind: Kind, name: string) => `${arnPrefix}:${kind}/${name.toLowerCase()}`;
  const field = (input: Record<string, unknown>, name: string): string => {
    const value = input[name];
    if (typeof value !== 'string' || value === '') throw new AwsJsonError('ValidationException', `${name} is required`);
    return value;
  };
  const existing = (kind: Kind, input: Record<string, unknown>, nameField: string) => {
    const name = field(input, nameField);
    const resource = of(kind).get(name);
    if (resource === undefined)
      throw new AwsJsonError('ValidationException', `Could not find ${kind} "${arn(kind, name)}".`);
    return { name, resource };
  };
  const remove = (kind: Kind, nameField: string) => (input: Record<string, unknown>) => {
    of(kind).delete(existing(kind, input, nameField).name);
    return {};
  };
  const stopJob = (kind: Kind, nameField: string) => (input: Record<string, unknown>) => {
    const { resource } = existing(kind, input, nameField);
    if (resource.status !== 'InProgress')
      throw new AwsJsonError('ValidationException', `the job is ${resource.status}`);
    resource.status = 'Stopping';
    return {};
  };
  /** One page of the resources of `kind` whose names contain `NameContains` (and have `StatusEquals`). */
  const page = (kind: Kind, input: Record<string, unknown>) => {
    const contains = typeof input.NameContains === 'string' ? input.NameContains.toLowerCase() : '';
    const status = typeof input.StatusEquals === 'string' ? input.StatusEquals : undefined;
    const names = [...of(kind)]
      .filter(([name, resource]) => name.toLowerCase().includes(contains) && (!status || resource.status === status))
      .map(([name]) => name)
      .sort();
    const start = typeof input.NextToken === 'string' ? Number(input.NextToken) : 0;
    const size = Math.min(PAGE_SIZE, typeof input.MaxResults === 'number' ? input.MaxResults : PAGE_SIZE);
    const next = start + size < names.length ? { NextToken: String(start + size) } : {};
    return { names: names.slice(start, start + size), next };
  };
  const created = (kind: Kind, name: string) => (of(kind).get(name)?.created ?? 0) / 1000;

  const standIn = await startAwsJsonStandIn('SageMaker', 'application/x-amz-json-1.1', {
    DescribeEndpoint: (input) => {
      const { name, resource } = existing('endpoint', input, 'EndpointName');
      return {
        EndpointName: name,
        EndpointArn: arn('endpoint', name),
        EndpointStatus: resource.status,
        CreationTime: created('endpoint', name),
        LastModifiedTime: created('endpoint', name),
      };
    },
    DeleteEndpoint: remove('endpoint', 'EndpointName'),
    ListModels: (input) => {
      const { names, next } = page('model', input);
      return {
        Models: names.map((name) => ({
          ModelName: name,
          ModelArn: arn('model', name),
          CreationTime: created('model', name),
        })),
        ...next,
      };
    },
    DeleteModel: remove('model', 'ModelName'),
    ListEndpointConfigs: (input) => {
      const { names, next } = page('endpoint-config', input);
      return {
        EndpointConfigs: names.map((name) => ({
          EndpointConfigName: name,
          EndpointConfigArn: arn('endpoint-config', name),
          CreationTime: created('endpoint-config', name),
        })),
        ...next,
      };
    },
    DeleteEndpointConfig: remove('endpoint-config', 'EndpointConfigName'),
    ListTrainingJobs: (input) => {
      const { names, next } = page('training-job', input);
      return {
        TrainingJobSummaries: names.map((name) => ({
          TrainingJobName: name,
          TrainingJobArn: arn('training-job', name),
          CreationTime: created('training-job', name),
          TrainingJobStatus: of('training-job').get(name)?.status,
        })),
        ...next,
      };
    },
    StopTrainingJob: stopJob('training-job', 'TrainingJobName'),
    ListProcessingJobs: (input) => {
      const { names, next } = page('processing-job', input);
      return {
        ProcessingJobSummaries: names.map((name) => ({
          ProcessingJobName: name,
          ProcessingJobArn: arn('processing-job', name),
          CreationTime: created('processing-job', name),
          ProcessingJobStatus: of('processing-job').get(name)?.status,
        })),
        ...next,
      };
    },
    StopProcessingJob: stopJob('processing-job', 'ProcessingJobName'),
  });
  return {
    url: standIn.url,
    create: (kind, name) => {
      const jobs = kind === 'training-job' || kind === 'processing-job';
      of(kind).set(name, { created: Date.now(), status: jobs ? 'InProgress' : kind === 'endpoint' ? 'InService' : '' });
    },
    names: (kind) =>
      [...of(kind)]
        .filter(([, resource]) => !kind.endsWith('-job') || resource.status === 'InProgress')
        .map(([name]) => name)
        .sort(),
    stop: standIn.stop,
  };
}
