import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
  SageMakerClient,
  SageMakerServiceException,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SageMakerEndpointState, SageMakerModelResources } from '#shared/adapters/sageMakerPipeline.ts';

// No stand-in speaks SageMaker; the mocks answer as its API reference documents.
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const sageMaker = mockClient(SageMakerClient);
const s3 = mockClient(S3Client);
const sageMakerClient = new SageMakerClient({ region: 'eu-west-1', credentials });
const s3Client = new S3Client({ region: 'eu-west-1', credentials });

const serviceError = (name: string, message: string) =>
  new SageMakerServiceException({ name, message, $fault: 'client', $metadata: {} });

afterEach(() => {
  sageMaker.reset();
  s3.reset();
});

describe('Class: SageMakerEndpointState', () => {
  describe('Method: endpointExists', () => {
    it('returns true for an endpoint DescribeEndpoint finds, whatever its status', async () => {
      sageMaker.on(DescribeEndpointCommand).resolves({ EndpointName: 'reco', EndpointStatus: 'Failed' });
      expect(await new SageMakerEndpointState(sageMakerClient).endpointExists('reco')).toBe(true);
    });

    it('returns false when SageMaker could not find it', async () => {
      sageMaker
        .on(DescribeEndpointCommand)
        .rejects(serviceError('ValidationException', 'Could not find endpoint "arn:aws:sagemaker:…:endpoint/reco".'));
      expect(await new SageMakerEndpointState(sageMakerClient).endpointExists('reco')).toBe(false);
    });

    it('throws any other error, another ValidationException included', async () => {
      const state = new SageMakerEndpointState(sageMakerClient);
      sageMaker
        .on(DescribeEndpointCommand)
        .rejectsOnce(serviceError('ValidationException', 'bad name'))
        .rejectsOnce(serviceError('AccessDeniedException', 'not allowed'));
      await expect(state.endpointExists('re co')).rejects.toThrow('bad name');
      await expect(state.endpointExists('reco')).rejects.toThrow('not allowed');
    });
  });
});

describe('Class: SageMakerModelResources', () => {
  const resources = () => new SageMakerModelResources(sageMakerClient, s3Client);

  describe('Method: deleteModels', () => {
    it('deletes every model whose name starts with the prefix, over pages, counting one gone already as done', async () => {
      // Prepare
      sageMaker
        .on(ListModelsCommand)
        .resolvesOnce({
          Models: [
            { ModelName: 'reco-v1', ModelArn: 'a', CreationTime: new Date() },
            { ModelName: 'other-reco-v1', ModelArn: 'b', CreationTime: new Date() },
          ],
          NextToken: 'page-2',
        })
        .resolvesOnce({ Models: [{ ModelName: 'reco-v1-abcdef01', ModelArn: 'c', CreationTime: new Date() }] });
      sageMaker
        .on(DeleteModelCommand, { ModelName: 'reco-v1-abcdef01' })
        .rejects(serviceError('ValidationException', 'Could not find model "reco-v1-abcdef01".'));
      // Act
      const deleted = await resources().deleteModels('reco-v1');
      // Assess
      expect(deleted).toBe(1);
      expect(sageMaker.commandCalls(ListModelsCommand)[1]?.args[0].input).toMatchObject({
        NameContains: 'reco-v1',
        NextToken: 'page-2',
      });
      expect(sageMaker.commandCalls(DeleteModelCommand).map((call) => call.args[0].input.ModelName)).toEqual([
        'reco-v1',
        'reco-v1-abcdef01',
      ]);
    });
  });

  describe('Method: deleteEndpointConfigs', () => {
    it('deletes the configs whose name starts with the prefix', async () => {
      // Prepare
      sageMaker.on(ListEndpointConfigsCommand).resolves({
        EndpointConfigs: [
          { EndpointConfigName: 'reco-v1', EndpointConfigArn: 'a', CreationTime: new Date() },
          { EndpointConfigName: 'x-reco-v1', EndpointConfigArn: 'b', CreationTime: new Date() },
        ],
      });
      sageMaker.on(DeleteEndpointConfigCommand).resolves({});
      // Act, Assess
      expect(await resources().deleteEndpointConfigs('reco-v1')).toBe(1);
    });
  });

  describe('Method: deleteObjects', () => {
    it('lists the prefix page by page and deletes each page', async () => {
      // Prepare
      s3.on(ListObjectsV2Command)
        .resolvesOnce({
          Contents: [{ Key: 'models/v1/a' }, { Key: 'models/v1/b' }],
          IsTruncated: true,
          NextContinuationToken: 't',
        })
        .resolvesOnce({ Contents: [{ Key: 'models/v1/c' }], IsTruncated: false });
      s3.on(DeleteObjectsCommand).resolves({});
      // Act
      const deleted = await resources().deleteObjects('s3://artifacts/models/v1/');
      // Assess
      expect(deleted).toBe(3);
      expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toMatchObject({
        Bucket: 'artifacts',
        Prefix: 'models/v1/',
      });
      expect(s3.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete?.Objects)).toEqual([
        [{ Key: 'models/v1/a' }, { Key: 'models/v1/b' }],
        [{ Key: 'models/v1/c' }],
      ]);
    });

    it('returns 0 for an empty prefix, and throws naming a key S3 could not delete', async () => {
      // Prepare
      s3.on(ListObjectsV2Command).resolvesOnce({ KeyCount: 0 });
      const none = await resources().deleteObjects('s3://artifacts/models/v1/');
      s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'models/v2/a' }] });
      s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'models/v2/a', Code: 'AccessDenied', Message: 'no' }] });
      // Act
      const attempt = resources().deleteObjects('s3://artifacts/models/v2/');
      // Assess
      expect(none).toBe(0);
      await expect(attempt).rejects.toThrow(
        'could not delete s3://artifacts/models/v2/a (AccessDenied: no) and 0 more',
      );
    });
  });
});
