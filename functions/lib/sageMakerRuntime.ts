import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { keepAliveHandler } from './httpHandler.ts';

export const sageMakerRuntime = new SageMakerRuntimeClient({ requestHandler: keepAliveHandler(), maxAttempts: 1 });
