import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { lambdaDefaults, serviceName } from '#shared/config/index.ts';
import { depsLockFile, repoRoot } from '../paths.ts';
import { retentionDays } from '../retention.ts';

/**
 * Properties of a {@link RecoFunction}. Everything that is the same for every function of the
 * service (runtime, architecture, tracing, logging, bundling) is deliberately not a prop.
 */
export interface RecoFunctionProps {
  /**
   * Absolute path of the handler's TypeScript entry file; it must export `handler`.
   * Use `functionEntry()` from `infra/paths.ts`.
   */
  readonly entry: string;

  /**
   * What the function does, shown in the Lambda console.
   * @default - no description
   */
  readonly description?: string;

  /**
   * Environment variables in addition to the service-wide ones (Powertools, source maps).
   * Resource names are better added by the owning construct's `bind*()` method, which grants
   * access in the same call.
   * @default - only the service-wide variables
   */
  readonly environment?: Readonly<Record<string, string>>;

  /**
   * Memory in MB.
   * @default lambdaDefaults.memoryMb
   */
  readonly memorySize?: number;

  /**
   * Maximum run time of one invocation.
   * @default Duration.seconds(lambdaDefaults.timeoutSeconds)
   */
  readonly timeout?: Duration;
}

/**
 * Banner prepended to every ESM bundle: some dependencies are CommonJS and call `require()`,
 * which does not exist in an ES module, so one is created from `import.meta.url`.
 */
const CREATE_REQUIRE_BANNER =
  "import { createRequire as __recoCreateRequire } from 'node:module';" +
  'const require = __recoCreateRequire(import.meta.url);';

/**
 * X-Ray's `PutTraceSegments`/`PutTelemetryRecords` support no resource-level permissions, so
 * active tracing always produces a statement on `Resource: *`.
 */
const XRAY_WILDCARD_REASON =
  'Active X-Ray tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which do not ' +
  'support resource-level permissions and therefore require Resource "*". No other statement of ' +
  'this role uses a wildcard resource (asserted in test/infra/nag.test.ts).';

/**
 * A Node.js Lambda function with every default of the service set in one place:
 * `nodejs24.x` on ARM64, active X-Ray tracing, an explicit log group with the configured
 * retention, source maps, memory and timeout from `lambdaDefaults`, and an ESM esbuild bundle.
 *
 * The execution role and the log group are created next to the function (ids `<id>Role` and
 * `<id>LogGroup`) because they must exist before the function does. The role carries no AWS
 * managed policy: it may only write to its own log group and send traces; every other
 * permission comes from a `bind*()` call of the construct owning the resource.
 */
export class RecoFunction extends NodejsFunction {
  /** The function's execution role (also available as `role`, typed as `IRole`). */
  public readonly executionRole: iam.Role;

  /**
   * The function's log group, with retention `lambdaDefaults.logRetentionDays`
   * (`logGroup` returns the same group, typed as `ILogGroup`).
   */
  public readonly functionLogGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: RecoFunctionProps) {
    const executionRole = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${serviceName} ${id} function`,
    });
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: retentionDays(lambdaDefaults.logRetentionDays),
    });

    super(scope, id, {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? lambdaDefaults.memoryMb,
      timeout: props.timeout ?? Duration.seconds(lambdaDefaults.timeoutSeconds),
      tracing: lambda.Tracing.ACTIVE,
      role: executionRole,
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_METRICS_NAMESPACE: serviceName,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      projectRoot: repoRoot,
      depsLockFilePath: depsLockFile,
      bundling: {
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: CREATE_REQUIRE_BANNER,
        minify: true,
        // Minified class names would turn error names in structured logs into single letters.
        keepNames: true,
        sourceMap: true,
        // Stack traces need file and line numbers, not the sources themselves: keeps the zip small.
        sourcesContent: false,
        // Bundle the AWS SDK v3 instead of using the copy in the nodejs24.x runtime: the versions
        // pinned in package.json (and exercised by the unit and integration tests) are then exactly
        // what runs in Lambda, and an SDK update of the runtime cannot change behaviour under us.
        // The price is bundle size (and cold start): each handler should import only the clients
        // it uses, so that tree-shaking the ESM build can drop the others.
        bundleAwsSDK: true,
      },
    });

    this.executionRole = executionRole;
    this.functionLogGroup = logGroup;

    // Without the AWSLambdaBasicExecutionRole managed policy the role needs this one grant.
    logGroup.grantWrite(executionRole);

    const defaultPolicy = executionRole.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy !== undefined) {
      Validations.of(defaultPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: XRAY_WILDCARD_REASON,
      });
    }
  }
}
