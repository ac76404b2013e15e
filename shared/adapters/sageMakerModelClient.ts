import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { ModelClient, ModelRequest, ModelResponse } from '../ports/index.ts';

/**
 * The model behind a SageMaker real-time endpoint. Locally the same client reaches the `model/`
 * server through the SDK's standard endpoint variable (AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME).
 */
export class SageMakerModelClient implements ModelClient {
  constructor(
    private readonly client: SageMakerRuntimeClient,
    private readonly endpointName: string,
  ) {}

  async invoke(request: ModelRequest, signal: AbortSignal): Promise<ModelResponse> {
    const response = await this.client.send(
      new InvokeEndpointCommand({
        EndpointName: this.endpointName,
        ContentType: 'application/json',
        Accept: 'application/json',
        Body: new TextEncoder().encode(JSON.stringify(request)),
      }),
      { abortSignal: signal },
    );
    const text = new TextDecoder().decode(response.Body);
    const body = JSON.parse(text) as Partial<ModelResponse>;
    if (!Array.isArray(body.items)) throw new Error(`model answered without items: ${text.slice(0, 200)}`);
    return { modelVersion: body.modelVersion ?? 'unknown', items: body.items };
  }
}
