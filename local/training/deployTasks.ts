import { dirname } from 'node:path';
import type { LocalBuckets } from './buckets.ts';
import type { LocalEndpoint } from './localEndpoint.ts';

interface CreateModelRequest {
  readonly ModelName: string;
  readonly PrimaryContainer: { readonly ModelDataUrl: string; readonly Environment?: Readonly<Record<string, string>> };
}
/** A real-time variant (instances) or a serverless one (memory and concurrency), as the definition's shape makes it. */
type ProductionVariant = { readonly ModelName: string; readonly VariantName: string } & (
  | { readonly InstanceType: string; readonly InitialInstanceCount: number; readonly ServerlessConfig?: undefined }
  | {
      readonly ServerlessConfig: { readonly MemorySizeInMB: number; readonly MaxConcurrency: number };
      readonly InstanceType?: undefined;
    }
);
interface CreateEndpointConfigRequest {
  readonly EndpointConfigName: string;
  readonly ProductionVariants: readonly ProductionVariant[];
}
interface EndpointRequest {
  readonly EndpointName: string;
  readonly EndpointConfigName: string;
}

const arn = (kind: string, name: string) => `arn:aws:sagemaker:local:000000000000:${kind}/${name.toLowerCase()}`;

/**
 * The SageMaker control plane of the deployment, locally: models and endpoint configs are
 * remembered, and creating or updating the endpoint swaps the model the local endpoint serves.
 * The model's `MODEL_VERSION` names what the lists say they were ranked by, as in AWS.
 */
export class LocalSageMaker {
  private readonly models = new Map<string, CreateModelRequest>();
  private readonly configs = new Map<string, CreateEndpointConfigRequest>();
  private endpointName: string | undefined;
  private endpointConfigName: string | undefined;

  constructor(private readonly options: { readonly buckets: LocalBuckets; readonly endpoint: LocalEndpoint }) {}

  get endpointExists(): boolean {
    return this.endpointName !== undefined || this.options.endpoint.version !== undefined;
  }

  createModel = async (input: unknown) => {
    const request = input as CreateModelRequest;
    if (this.models.has(request.ModelName))
      throw validation(`Cannot create already existing model "${request.ModelName}"`);
    this.models.set(request.ModelName, request);
    return { ModelArn: arn('model', request.ModelName) };
  };

  createEndpointConfig = async (input: unknown) => {
    const request = input as CreateEndpointConfigRequest;
    const missing = request.ProductionVariants.find((variant) => !this.models.has(variant.ModelName));
    if (missing) throw validation(`Could not find model "${missing.ModelName}"`);
    this.configs.set(request.EndpointConfigName, request);
    return { EndpointConfigArn: arn('endpoint-config', request.EndpointConfigName) };
  };

  createEndpoint = async (input: unknown) => this.deploy(input as EndpointRequest);

  updateEndpoint = async (input: unknown) => this.deploy(input as EndpointRequest);

  /** In service on the config deployed last: the swap is synchronous. */
  describeEndpoint = async (input: unknown) => {
    const { EndpointName } = input as { EndpointName: string };
    if (this.endpointName !== EndpointName || this.endpointConfigName === undefined) {
      throw validation(`Could not find endpoint "${EndpointName}".`);
    }
    const variants = this.configs.get(this.endpointConfigName)?.ProductionVariants ?? [];
    return {
      EndpointName,
      EndpointArn: arn('endpoint', EndpointName),
      EndpointConfigName: this.endpointConfigName,
      EndpointStatus: 'InService',
      // As SageMaker describes them: a serverless variant by its config, a real-time one by its instances.
      ProductionVariants: variants.map((variant) =>
        variant.ServerlessConfig === undefined
          ? {
              VariantName: variant.VariantName,
              CurrentInstanceCount: variant.InitialInstanceCount,
              DesiredInstanceCount: variant.InitialInstanceCount,
            }
          : { VariantName: variant.VariantName, CurrentServerlessConfig: variant.ServerlessConfig },
      ),
    };
  };

  /** DeleteModel of every model named `namePrefix…`; returns how many. */
  deleteModels(namePrefix: string): number {
    return deleteNamed(this.models, namePrefix);
  }

  /** DeleteEndpointConfig of every config named `namePrefix…`. */
  deleteEndpointConfigs(namePrefix: string): number {
    return deleteNamed(this.configs, namePrefix);
  }

  private async deploy(request: EndpointRequest) {
    const config = this.configs.get(request.EndpointConfigName);
    const variant = config?.ProductionVariants[0];
    const model = variant === undefined ? undefined : this.models.get(variant.ModelName);
    if (model === undefined) throw validation(`Could not find endpoint configuration "${request.EndpointConfigName}"`);
    const archive = this.options.buckets.pathOf(model.PrimaryContainer.ModelDataUrl);
    await this.options.endpoint.serve(
      dirname(archive),
      model.PrimaryContainer.Environment?.MODEL_VERSION ?? model.ModelName,
    );
    this.endpointName = request.EndpointName;
    this.endpointConfigName = request.EndpointConfigName;
    return { EndpointArn: arn('endpoint', request.EndpointName) };
  }
}

/** SageMaker's error for a bad request, as Step Functions names it (`SageMaker.<code>`). */
function validation(message: string): Error {
  return Object.assign(new Error(message), { name: 'SageMaker.ValidationException' });
}

function deleteNamed(names: Map<string, unknown>, prefix: string): number {
  const matching = [...names.keys()].filter((name) => name.startsWith(prefix));
  for (const name of matching) names.delete(name);
  return matching.length;
}
