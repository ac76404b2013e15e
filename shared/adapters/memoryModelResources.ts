import { parseS3Uri } from '../training/plan.ts';
import type { EndpointState, ModelResources } from '../training/ports.ts';

/** Endpoints that exist, in memory (tests, the local run before its first deployment). */
export class MemoryEndpointState implements EndpointState {
  readonly endpoints: Set<string>;

  constructor(endpoints: Iterable<string> = []) {
    this.endpoints = new Set(endpoints);
  }

  async endpointExists(endpointName: string): Promise<boolean> {
    return this.endpoints.has(endpointName);
  }
}

/** SageMaker models, endpoint configs and S3 objects (`s3://bucket/key`), in memory. */
export class MemoryModelResources implements ModelResources {
  readonly models = new Set<string>();
  readonly endpointConfigs = new Set<string>();
  readonly objects = new Set<string>();

  async deleteModels(namePrefix: string): Promise<number> {
    return deleteMatching(this.models, (name) => name.startsWith(namePrefix));
  }

  async deleteEndpointConfigs(namePrefix: string): Promise<number> {
    return deleteMatching(this.endpointConfigs, (name) => name.startsWith(namePrefix));
  }

  async deleteObjects(s3Prefix: string): Promise<number> {
    const { bucket, key } = parseS3Uri(s3Prefix);
    return deleteMatching(this.objects, (uri) => uri.startsWith(`s3://${bucket}/${key}`));
  }
}

function deleteMatching(names: Set<string>, matches: (name: string) => boolean): number {
  let deleted = 0;
  for (const name of [...names]) {
    if (matches(name)) {
      names.delete(name);
      deleted += 1;
    }
  }
  return deleted;
}
