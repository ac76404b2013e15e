import { Logger } from '@aws-lambda-powertools/logger';
import { serviceName } from '#shared/config/index.ts';

/** One logger per function; POWERTOOLS_SERVICE_NAME (set by CDK) overrides the default name. */
export const logger = new Logger({ serviceName });
