import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { keepAliveHandler } from '../lib/httpHandler.ts';

/** The pipeline function's S3 and SageMaker clients, made on first use and reused. */
let s3: S3Client | undefined;
let sageMaker: SageMakerClient | undefined;

export const s3Client = (): S3Client => (s3 ??= new S3Client({ requestHandler: keepAliveHandler() }));
export const sageMakerClient = (): SageMakerClient =>
  (sageMaker ??= new SageMakerClient({ requestHandler: keepAliveHandler() }));
