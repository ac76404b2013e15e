import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { dataLake, featureTable, serviceName } from '#shared/config/index.ts';
import { pipelinePaths } from '#shared/training/pipeline.ts';
import type { DataLake } from './data-lake.ts';
import type { ErasureHashKeySecret } from './erasure-hash-key.ts';
import type { FeatureStore } from './feature-store.ts';
import type { ModelArtifacts } from './model-artifacts.ts';
import { bucketLogicalId } from './model-endpoint.ts';

/** Partition of the erasure log in the feature table (`featureKeys.erasure` in shared/adapters). */
export const ERASED_PARTITION = 'ERASED';

/** The feature table's index over every catalogue entry, which the export reads for the items file. */
export const CATALOGUE_INDEX = 'byCatalogue';

/** S3 actions a job role writes its output with (SageMaker uploads large files in parts). */
export const JOB_OUTPUT_ACTIONS = ['s3:PutObject', 's3:AbortMultipartUpload'] as const;

/** Properties of {@link TrainingRoles}. */
export interface TrainingRolesProps {
  /** The model image both jobs run (pulled with the role). */
  readonly image: ecrAssets.DockerImageAsset;
  readonly modelArtifacts: ModelArtifacts;
  readonly dataLake: DataLake;
  readonly featureStore: FeatureStore;
  readonly erasureHashKey: ErasureHashKeySecret;
  /** Prefix of the pipeline's job names: the roles write only their own jobs' log streams. */
  readonly namePrefix: string;
}

/** What SageMaker does for every job with the job's role: pull the image, log, put job metrics. */
interface JobKind {
  /** `TrainingJobs` or `ProcessingJobs`: the log group `/aws/sagemaker/<kind>` and the metric namespace. */
  readonly kind: 'TrainingJobs' | 'ProcessingJobs';
  readonly description: string;
}

const JOB_WILDCARD_REASON =
  'ecr:GetAuthorizationToken (the registry login before SageMaker pulls the image, which is itself ' +
  'limited to the CDK asset repository) and cloudwatch:PutMetricData (job metrics, limited to the ' +
  "job kind's /aws/sagemaker namespace by a condition) support no resource-level permissions.";

/**
 * The execution roles of the pipeline's two SageMaker jobs, each able to do its one job:
 *
 * - {@link TrainingRoles.exportRole} (Processing, the image's `export` mode): reads the lake's
 *   `events/` prefix (list and get, decrypting with the lake key through S3 only), queries the
 *   feature table's catalogue index and the `ERASED` partition only (`dynamodb:LeadingKeys`), reads
 *   the erasure-hash-key secret, and writes only `datasets/` of the artifacts bucket.
 * - {@link TrainingRoles.trainingRole} (training): reads `datasets/` and `models/` (the live model,
 *   scored against the candidate) of the artifacts bucket and writes only `models/`.
 *
 * Both pull the model image from the CDK asset repository, write their jobs' log streams in
 * `/aws/sagemaker/<TrainingJobs|ProcessingJobs>` (streams named after the pipeline's jobs only), and
 * put metrics in that namespace. Neither can read the event stream, the shoppers' profiles or the
 * registry, and neither can delete anything.
 */
export class TrainingRoles extends Construct {
  public readonly exportRole: iam.Role;
  public readonly trainingRole: iam.Role;

  private readonly props: TrainingRolesProps;

  public constructor(scope: Construct, id: string, props: TrainingRolesProps) {
    super(scope, id);
    this.props = props;
    if (!featureTable.globalSecondaryIndexes.some((index) => index.indexName === CATALOGUE_INDEX)) {
      throw new Error(`TrainingRoles: the feature table has no index ${CATALOGUE_INDEX}`);
    }
    const artifacts = props.modelArtifacts.bucket;
    const artifactsId = bucketLogicalId(artifacts);

    this.exportRole = this.jobRole('ExportRole', {
      kind: 'ProcessingJobs',
      description: `Runs the ${serviceName} training pipeline's export (SageMaker Processing)`,
    });
    const lake = props.dataLake;
    const stack = Stack.of(this);
    this.exportRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [lake.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${dataLake.eventsPrefix}*`] } },
      }),
    );
    this.exportRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [lake.bucket.arnForObjects(`${dataLake.eventsPrefix}*`)],
      }),
    );
    this.exportRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [lake.bucketKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.${stack.urlSuffix}` } },
      }),
    );
    const table = props.featureStore.table.tableArn;
    this.exportRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${table}/index/${CATALOGUE_INDEX}`] }),
    );
    this.exportRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [table],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [ERASED_PARTITION] } },
      }),
    );
    props.erasureHashKey.secret.grantRead(this.exportRole);
    this.exportRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...JOB_OUTPUT_ACTIONS],
        resources: [artifacts.arnForObjects(`${pipelinePaths.datasets}*`)],
      }),
    );
    this.acknowledgePrefixes(this.exportRole, [
      {
        resource: `<${bucketLogicalId(lake.bucket)}.Arn>/${dataLake.eventsPrefix}*`,
        reason:
          `Firehose names the lake's objects itself under ${dataLake.eventsPrefix} (day partition, stream, ` +
          'time, random suffix) and the export reads the days of its window: read only, under that prefix only.',
      },
      {
        resource: `<${artifactsId}.Arn>/${pipelinePaths.datasets}*`,
        reason:
          `Each run writes its dataset under ${pipelinePaths.datasets}<version>/, a version the pipeline ` +
          'chooses at run time: put and abort-upload only, no read, no delete, no other prefix.',
      },
    ]);

    this.trainingRole = this.jobRole('TrainingRole', {
      kind: 'TrainingJobs',
      description: `Runs the ${serviceName} training pipeline's training jobs`,
    });
    this.trainingRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [artifacts.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${pipelinePaths.datasets}*`, `${pipelinePaths.models}*`] } },
      }),
    );
    this.trainingRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [
          artifacts.arnForObjects(`${pipelinePaths.datasets}*`),
          artifacts.arnForObjects(`${pipelinePaths.models}*`),
        ],
      }),
    );
    this.trainingRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...JOB_OUTPUT_ACTIONS],
        resources: [artifacts.arnForObjects(`${pipelinePaths.models}*`)],
      }),
    );
    this.acknowledgePrefixes(this.trainingRole, [
      {
        resource: `<${artifactsId}.Arn>/${pipelinePaths.datasets}*`,
        reason:
          `The job reads the dataset its run exported under ${pipelinePaths.datasets}<version>/, a version ` +
          'the pipeline chooses at run time: read only.',
      },
      {
        resource: `<${artifactsId}.Arn>/${pipelinePaths.models}*`,
        reason:
          `The job reads the live model and writes the candidate under ${pipelinePaths.models}, where ` +
          'SageMaker names the object after the job: get, put and abort-upload, no delete.',
      },
    ]);
  }

  /** A role SageMaker assumes for one kind of job, with what every job of that kind needs. */
  private jobRole(id: string, { kind, description }: JobKind): iam.Role {
    const stack = Stack.of(this);
    const role = new iam.Role(this, id, {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description,
    });
    this.props.image.repository.grantPull(role);
    const logGroup = `/aws/sagemaker/${kind}`;
    const logArn = (resourceName: string) =>
      stack.formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    // SageMaker creates the account's shared job log group on first use; the stack does not own it.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:DescribeLogStreams'],
        resources: [logArn(logGroup)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        // Streams are `<job name>/algo-1-<id>`: only this pipeline's jobs.
        resources: [logArn(`${logGroup}:log-stream:${this.props.namePrefix}-*`)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': logGroup } },
      }),
    );
    const policy = role.node.findChild('DefaultPolicy');
    Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: JOB_WILDCARD_REASON });
    Validations.of(policy).acknowledge({
      id:
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:' +
        `${logGroup}:log-stream:${this.props.namePrefix}-*]`,
      reason:
        'SageMaker names a job\'s log streams "<job name>/algo-1-<id>" when the job starts; the pattern admits ' +
        "the streams of this pipeline's jobs only (their names start with the stack's prefix).",
    });
    return role;
  }

  private acknowledgePrefixes(role: iam.Role, findings: readonly { resource: string; reason: string }[]): void {
    const policy = role.node.findChild('DefaultPolicy');
    for (const { resource, reason } of findings) {
      Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    }
  }
}
