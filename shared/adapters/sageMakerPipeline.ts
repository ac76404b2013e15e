import {
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { parseS3Uri } from '../training/plan.ts';
import type { EndpointState, ModelResources } from '../training/ports.ts';

/**
 * SageMaker answers a missing endpoint, model or endpoint config with a `ValidationException`
 * (it has no not-found error type), so the name alone cannot tell; the message says "Could not find".
 */
const isNotFound = (error: unknown): boolean =>
  (error as Error).name === 'ValidationException' && /could not find/i.test((error as Error).message);

/** Whether the endpoint exists: `DescribeEndpoint`, whatever its status. */
export class SageMakerEndpointState implements EndpointState {
  constructor(private readonly sageMaker: SageMakerClient) {}

  async endpointExists(endpointName: string): Promise<boolean> {
    try {
      await this.sageMaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}

/** S3's most keys per DeleteObjects. */
const DELETE_BATCH = 1_000;

/**
 * What clean-up deletes, in SageMaker and the artifacts bucket. Lists by name first (a version's
 * models and configs are every name starting with `<prefix>-<version>`), and takes "not found" as
 * done: a retried clean-up finds some already gone.
 */
export class SageMakerModelResources implements ModelResources {
  constructor(
    private readonly sageMaker: SageMakerClient,
    private readonly s3: S3Client,
  ) {}

  async deleteModels(namePrefix: string): Promise<number> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.sageMaker.send(
        new ListModelsCommand({ NameContains: namePrefix, NextToken: token, MaxResults: 100 }),
      );
      for (const model of page.Models ?? []) {
        if (model.ModelName?.startsWith(namePrefix)) names.push(model.ModelName);
      }
      token = page.NextToken;
    } while (token !== undefined);
    return deleteEach(names, (name) => this.sageMaker.send(new DeleteModelCommand({ ModelName: name })));
  }

  async deleteEndpointConfigs(namePrefix: string): Promise<number> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.sageMaker.send(
        new ListEndpointConfigsCommand({ NameContains: namePrefix, NextToken: token, MaxResults: 100 }),
      );
      for (const config of page.EndpointConfigs ?? []) {
        if (config.EndpointConfigName?.startsWith(namePrefix)) names.push(config.EndpointConfigName);
      }
      token = page.NextToken;
    } while (token !== undefined);
    return deleteEach(names, (name) =>
      this.sageMaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name })),
    );
  }

  async deleteObjects(s3Prefix: string): Promise<number> {
    const { bucket, key } = parseS3Uri(s3Prefix);
    let deleted = 0;
    let token: string | undefined;
    do {
      // Each page is deleted before the next is listed; the listing goes on from its token.
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token, MaxKeys: DELETE_BATCH }),
      );
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [{ Key: object.Key }]));
      if (keys.length > 0) {
        const result = await this.s3.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }),
        );
        const [failure] = result.Errors ?? [];
        if (failure !== undefined) {
          throw new Error(
            `could not delete s3://${bucket}/${failure.Key} (${failure.Code}: ${failure.Message}) ` +
              `and ${(result.Errors?.length ?? 1) - 1} more`,
          );
        }
        deleted += keys.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return deleted;
  }
}

/** Deletes each name; one already gone counts as done, not deleted. */
async function deleteEach(names: readonly string[], remove: (name: string) => Promise<unknown>): Promise<number> {
  let deleted = 0;
  for (const name of names) {
    try {
      await remove(name);
      deleted += 1;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return deleted;
}
