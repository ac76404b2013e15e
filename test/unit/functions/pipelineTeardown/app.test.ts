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
import { ListExecutionsCommand, SFNClient, StateMachineDoesNotExist, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createDeps,
  createHandler,
  isGone,
  PHYSICAL_RESOURCE_ID,
  tearDown,
  TeardownError,
  type TeardownProperties,
} from '#functions/pipelineTeardown/app.ts';

const PROPERTIES: TeardownProperties = {
  StateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:training',
  NamePrefix: 'reco-training-1a2b3c4d',
  EndpointName: 'reco-serving-modelendpoint-0739f350',
};

const sfn = mockClient(SFNClient);
const sageMaker = mockClient(SageMakerClient);
const deps = () => createDeps({}, { sfn: new SFNClient({}), sageMaker: new SageMakerClient({}) });

/** SageMaker's answer for a name it does not know. */
const notFound = (what: string) =>
  Object.assign(new Error(`Could not find ${what}`), { name: 'ValidationException', $metadata: {} });

/** The custom resource event CloudFormation sends through the provider framework. */
const event = (RequestType: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent =>
  ({
    RequestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:framework',
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/reco/1',
    RequestId: 'request-1',
    LogicalResourceId: 'TrainingTeardown',
    ResourceType: 'Custom::TrainingPipelineTeardown',
    ResourceProperties: { ServiceToken: 'token', ...PROPERTIES },
    ...(RequestType === 'Create'
      ? {}
      : { PhysicalResourceId: PHYSICAL_RESOURCE_ID, OldResourceProperties: { ServiceToken: 'token' } }),
  }) as CloudFormationCustomResourceEvent;

/** A pipeline with one of everything running or left, plus names of another stack that share a prefix. */
function somethingOfEverything(): void {
  sfn
    .on(ListExecutionsCommand)
    .resolvesOnce({ executions: [{ executionArn: 'arn:exec:1' } as never], nextToken: 'page-2' })
    .resolvesOnce({ executions: [{ executionArn: 'arn:exec:2' } as never] });
  sfn.on(StopExecutionCommand).resolves({});
  sageMaker.on(ListTrainingJobsCommand).resolves({
    TrainingJobSummaries: [
      { TrainingJobName: `${PROPERTIES.NamePrefix}-v1` } as never,
      { TrainingJobName: `${PROPERTIES.NamePrefix}x-v1` } as never,
    ],
  });
  sageMaker.on(ListProcessingJobsCommand).resolves({
    ProcessingJobSummaries: [{ ProcessingJobName: `${PROPERTIES.NamePrefix}-v1` } as never],
  });
  sageMaker.on(ListEndpointConfigsCommand).resolves({
    EndpointConfigs: [
      { EndpointConfigName: `${PROPERTIES.NamePrefix}-v1` } as never,
      { EndpointConfigName: `other-${PROPERTIES.NamePrefix}-v1` } as never,
    ],
  });
  sageMaker.on(ListModelsCommand).resolves({
    Models: [
      { ModelName: `${PROPERTIES.NamePrefix}-v1` } as never,
      { ModelName: `${PROPERTIES.NamePrefix}-v2` } as never,
    ],
  });
  for (const command of [
    StopTrainingJobCommand,
    StopProcessingJobCommand,
    DeleteEndpointCommand,
    DeleteEndpointConfigCommand,
    DeleteModelCommand,
  ]) {
    sageMaker.on(command as never).resolves({});
  }
}

describe('Function: pipelineTeardown', () => {
  beforeEach(() => {
    sfn.reset();
    sageMaker.reset();
  });

  describe('Method: tearDown', () => {
    it('stops executions and jobs, then deletes the endpoint, its configs and models, all by the prefix', async () => {
      // Prepare
      somethingOfEverything();

      // Act
      const report = await tearDown(deps(), PROPERTIES);

      // Assess
      expect(report).toEqual({
        executions: ['arn:exec:1', 'arn:exec:2'],
        trainingJobs: [`${PROPERTIES.NamePrefix}-v1`],
        processingJobs: [`${PROPERTIES.NamePrefix}-v1`],
        endpoints: [PROPERTIES.EndpointName],
        endpointConfigs: [`${PROPERTIES.NamePrefix}-v1`],
        models: [`${PROPERTIES.NamePrefix}-v1`, `${PROPERTIES.NamePrefix}-v2`],
      });
      expect(sfn.commandCalls(ListExecutionsCommand)[0]?.args[0].input).toMatchObject({
        stateMachineArn: PROPERTIES.StateMachineArn,
        statusFilter: 'RUNNING',
      });
      expect(sageMaker.commandCalls(ListTrainingJobsCommand)[0]?.args[0].input).toMatchObject({
        NameContains: PROPERTIES.NamePrefix,
        StatusEquals: 'InProgress',
      });
    });

    it('takes what is already gone as done, so a retried deletion succeeds', async () => {
      // Prepare
      sfn.on(ListExecutionsCommand).rejects(new StateMachineDoesNotExist({ message: 'gone', $metadata: {} }));
      sageMaker.on(ListTrainingJobsCommand).resolves({});
      sageMaker.on(ListProcessingJobsCommand).resolves({});
      sageMaker.on(DeleteEndpointCommand).rejects(notFound('endpoint'));
      sageMaker
        .on(ListEndpointConfigsCommand)
        .resolves({ EndpointConfigs: [{ EndpointConfigName: `${PROPERTIES.NamePrefix}-v1` } as never] });
      sageMaker.on(DeleteEndpointConfigCommand).rejects(notFound('endpoint configuration'));
      sageMaker.on(ListModelsCommand).resolves({});

      // Act
      const report = await tearDown(deps(), PROPERTIES);

      // Assess
      expect(report).toEqual({
        executions: [],
        trainingJobs: [],
        processingJobs: [],
        endpoints: [],
        endpointConfigs: [],
        models: [],
      });
    });

    it('takes a job that ended before its stop as stopped', async () => {
      // Prepare
      somethingOfEverything();
      sageMaker
        .on(StopTrainingJobCommand)
        .rejects(Object.assign(new Error('The job is in status Completed'), { name: 'ValidationException' }));

      // Act + Assess
      await expect(tearDown(deps(), PROPERTIES)).resolves.toMatchObject({ trainingJobs: [] });
    });

    it('tries every step and then throws, naming each failure', async () => {
      // Prepare
      somethingOfEverything();
      sageMaker
        .on(DeleteEndpointCommand)
        .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
      sageMaker.on(ListModelsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

      // Act
      const failure = tearDown(deps(), PROPERTIES);

      // Assess
      await expect(failure).rejects.toThrow(TeardownError);
      await expect(failure).rejects.toThrow(
        /2 failures.*ThrottlingException: Rate exceeded.*AccessDeniedException: denied/,
      );
      expect(sageMaker.commandCalls(DeleteEndpointConfigCommand)).toHaveLength(1);
    });
  });

  describe('Method: isGone', () => {
    it.each([
      [notFound('model'), true],
      [Object.assign(new Error('x'), { name: 'ResourceNotFound' }), true],
      [Object.assign(new Error('Endpoint is in use'), { name: 'ValidationException' }), false],
      [Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }), false],
    ])('returns %s for %o', (error, gone) => {
      expect(isGone(error)).toBe(gone);
    });
  });

  describe('Method: handler', () => {
    it('returns the fixed physical id on create and keeps it on update, touching nothing', async () => {
      // Prepare
      const handler = createHandler(deps());

      // Act + Assess
      await expect(handler(event('Create'))).resolves.toEqual({ PhysicalResourceId: PHYSICAL_RESOURCE_ID });
      await expect(handler(event('Update'))).resolves.toEqual({ PhysicalResourceId: PHYSICAL_RESOURCE_ID });
      expect(sfn.calls()).toHaveLength(0);
      expect(sageMaker.calls()).toHaveLength(0);
    });

    it('tears down on delete', async () => {
      // Prepare
      somethingOfEverything();

      // Act
      const result = await createHandler(deps())(event('Delete'));

      // Assess
      expect(result).toEqual({ PhysicalResourceId: PHYSICAL_RESOURCE_ID });
      expect(sageMaker.commandCalls(DeleteEndpointCommand)[0]?.args[0].input).toEqual({
        EndpointName: PROPERTIES.EndpointName,
      });
    });

    it('refuses a delete without the properties it needs', async () => {
      // Prepare
      const incomplete = {
        ...event('Delete'),
        ResourceProperties: { ServiceToken: 'token' },
      } as CloudFormationCustomResourceEvent;

      // Act + Assess
      await expect(createHandler(deps())(incomplete)).rejects.toThrow(/StateMachineArn, NamePrefix, EndpointName/);
    });
  });
});
