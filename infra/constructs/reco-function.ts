import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { lambdaDefaults, metricsNamespace, serviceName } from '#shared/config/index.ts';
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

  /**
   * VPC to connect the function to. Lambda then creates its network interfaces in
   * {@link RecoFunctionProps.vpcSubnets} with {@link RecoFunctionProps.securityGroups}, and the role
   * gets the network-interface permissions of {@link RecoFunction.vpcAccessPolicy}.
   * @default - not connected to a VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets of {@link RecoFunctionProps.vpc} for the function's network interfaces.
   * @default { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the function's network interfaces; required with
   * {@link RecoFunctionProps.vpc}, so every rule of the function is written by its owner (the
   * Lambda default would be a group open to all outbound traffic).
   * @default - none; the function must not have a VPC either
   */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
}

/**
 * EC2 actions Lambda performs with the execution role to manage a VPC function's network
 * interfaces: the actions of the AWS managed policy AWSLambdaVPCAccessExecutionRole minus its
 * CloudWatch Logs actions (granted on the function's own log group instead).
 */
export const VPC_DESCRIBE_ACTIONS = ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'] as const;
export const VPC_CREATE_INTERFACE_ACTIONS = ['ec2:CreateNetworkInterface'] as const;
export const VPC_MANAGE_INTERFACE_ACTIONS = [
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

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

const ENI_DESCRIBE_REASON =
  'ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets are Describe actions, which EC2 authorizes ' +
  'only on Resource "*" (the Lambda developer guide says DescribeNetworkInterfaces works only with ' +
  '"*"). Lambda calls them while it manages the function\'s network interfaces; they read metadata only.';

const ENI_ARN_REASON =
  'Lambda names the network interfaces it creates, deletes and re-addresses for the function itself, ' +
  'so their ARNs are only known as network-interface/* in this account and region. Creation is further ' +
  "bound to the function's own subnets and security groups (both listed by ARN in the same statement).";

/**
 * A Node.js Lambda function with every default of the service set in one place:
 * `nodejs24.x` on ARM64, active X-Ray tracing, an explicit log group with the configured
 * retention, source maps, memory and timeout from `lambdaDefaults`, and an ESM esbuild bundle.
 *
 * The execution role and the log group are created next to the function (ids `<id>Role` and
 * `<id>LogGroup`) because they must exist before the function does. The role carries no AWS
 * managed policy: it may only write to its own log group and send traces; every other
 * permission comes from a `bind*()` call of the construct owning the resource.
 *
 * With `vpc` the function is connected to that VPC's subnets (isolated by default) with the given
 * security groups. Logs and traces still need no route out of the VPC: Lambda writes the log
 * group and sends the segments of active tracing (`xray:PutTraceSegments`) itself, outside the
 * execution environment (see "Using source function ARN to control function access behavior" in
 * the Lambda developer guide, which lists exactly these calls). Only calls made by the function's
 * own code (AWS SDK clients) travel through the VPC and need an endpoint there.
 */
export class RecoFunction extends NodejsFunction {
  /** Absolute path of the handler's entry file ({@link RecoFunctionProps.entry}), for tests that bundle it. */
  public readonly entry: string;

  /** The function's execution role (also available as `role`, typed as `IRole`). */
  public readonly executionRole: iam.Role;

  /**
   * The function's log group, with retention `lambdaDefaults.logRetentionDays`
   * (`logGroup` returns the same group, typed as `ILogGroup`).
   */
  public readonly functionLogGroup: logs.LogGroup;

  /**
   * With a VPC: the policy letting Lambda manage the function's network interfaces (instead of the
   * AWS managed policy AWSLambdaVPCAccessExecutionRole). `ec2:Describe*` on `*`, which EC2 requires;
   * `ec2:CreateNetworkInterface` on this account's and region's network interfaces in the function's
   * subnets with its security groups only; deletion and IP (un)assignment on network interfaces of
   * this account and region. The function depends on it: Lambda checks the permissions when it
   * creates the function. `undefined` without a VPC.
   */
  public readonly vpcAccessPolicy: iam.Policy | undefined;

  public constructor(scope: Construct, id: string, props: RecoFunctionProps) {
    const executionRole = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${serviceName} ${id} function`,
    });
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: retentionDays(lambdaDefaults.logRetentionDays),
    });
    if ((props.vpc === undefined) !== (props.securityGroups === undefined || props.securityGroups.length === 0)) {
      throw new Error(`RecoFunction ${id}: give vpc and securityGroups together (or neither)`);
    }
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

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
      ...(props.vpc === undefined
        ? {}
        : { vpc: props.vpc, vpcSubnets, securityGroups: [...(props.securityGroups ?? [])] }),
      environment: {
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
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

    this.entry = props.entry;
    this.executionRole = executionRole;
    this.functionLogGroup = logGroup;

    // Without the AWSLambdaBasicExecutionRole managed policy the role needs this one grant.
    logGroup.grantWrite(executionRole);

    this.vpcAccessPolicy =
      props.vpc === undefined
        ? undefined
        : this.createVpcAccessPolicy(scope, id, props.vpc.selectSubnets(vpcSubnets).subnetIds, [
            ...(props.securityGroups ?? []),
          ]);

    const defaultPolicy = executionRole.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy !== undefined) {
      Validations.of(defaultPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: XRAY_WILDCARD_REASON,
      });
    }
  }

  private createVpcAccessPolicy(
    scope: Construct,
    id: string,
    subnetIds: readonly string[],
    securityGroups: readonly ec2.ISecurityGroup[],
  ): iam.Policy {
    const stack = Stack.of(this);
    const ec2Arn = (resource: string, resourceName: string): string =>
      stack.formatArn({ service: 'ec2', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const networkInterfaces = ec2Arn('network-interface', '*');
    const policy = new iam.Policy(scope, `${id}VpcAccessPolicy`, {
      roles: [this.executionRole],
      statements: [
        new iam.PolicyStatement({ actions: [...VPC_DESCRIBE_ACTIONS], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: [...VPC_CREATE_INTERFACE_ACTIONS],
          resources: [
            networkInterfaces,
            ...subnetIds.map((subnetId) => ec2Arn('subnet', subnetId)),
            ...securityGroups.map((group) => ec2Arn('security-group', group.securityGroupId)),
          ],
        }),
        new iam.PolicyStatement({ actions: [...VPC_MANAGE_INTERFACE_ACTIONS], resources: [networkInterfaces] }),
      ],
    });
    // Lambda verifies at CreateFunction/UpdateFunctionConfiguration that the role may create the
    // network interfaces, so the policy must exist before the function.
    (this.node.defaultChild as lambda.CfnFunction).node.addDependency(policy);

    Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: ENI_DESCRIBE_REASON });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]`,
      reason: ENI_ARN_REASON,
    });
    return policy;
  }
}
