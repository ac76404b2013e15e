import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { featureKeys } from '#shared/adapters/dynamoFeatureStore.ts';
import { dataLake, lambdaDefaults } from '#shared/config/index.ts';
import { pipelineFunctionEnv } from '#shared/training/pipelineEnv.ts';
import { TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS } from '#infra/constructs/feature-store.ts';
import { CLEAN_UP_LIST_ACTIONS } from '#infra/constructs/pipeline-function.ts';
import { CATALOGUE_INDEX, ERASED_PARTITION } from '#infra/constructs/training-roles.ts';
import type { RecoStack } from '#infra/stacks/reco-stack.ts';
import {
  actionsOf,
  arnOf,
  buildTestApp,
  logicalIdOf,
  objectArnOf as objectsOf,
  refersTo,
  resourcesOf,
  roleLogicalIdOf,
  stackArnOf as stackArn,
  type Statement,
  statementsAllowing as allowing,
  statementsOfRole,
} from './helpers.ts';

describe('Construct: TrainingRoles and the pipeline function', () => {
  let stack: RecoStack;
  let template: Template;
  let prefix: string;
  let ids: { artifacts: string; lake: string; lakeKey: string; table: string; registry: string };

  beforeAll(() => {
    // Prepare + Act
    stack = buildTestApp().stack;
    template = Template.fromStack(stack);
    prefix = stack.training.namePrefix;
    ids = {
      artifacts: logicalIdOf(stack.modelArtifacts.bucket),
      lake: logicalIdOf(stack.dataLake.bucket),
      lakeKey: logicalIdOf(stack.dataLake.bucketKey),
      table: logicalIdOf(stack.featureStore.table),
      registry: logicalIdOf(stack.registry.table),
    };
  });

  describe('the training role', () => {
    it('reads datasets/ and models/, writes only models/, and touches nothing else', () => {
      // Act
      const statements = statementsOfRole(template, logicalIdOf(stack.training.roles.trainingRole));

      // Assess
      const s3 = statements.filter((statement) => actionsOf(statement).some((a) => a.startsWith('s3:')));
      expect(s3).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: arnOf(ids.artifacts),
          Condition: { StringLike: { 's3:prefix': ['datasets/*', 'models/*'] } },
        },
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: [objectsOf(ids.artifacts, 'datasets/*'), objectsOf(ids.artifacts, 'models/*')],
        },
        {
          Effect: 'Allow',
          Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
          Resource: objectsOf(ids.artifacts, 'models/*'),
        },
      ]);
      const actions = statements.flatMap(actionsOf);
      expect(actions.filter((a) => /^(dynamodb|secretsmanager|kms|sagemaker|iam):/.test(a))).toEqual([]);
      expect(statements.filter((s) => resourcesOf(s).some((r) => refersTo(r, ids.lake)))).toEqual([]);
    });

    it('writes only its jobs log streams and metrics, and pulls only from the asset repository', () => {
      const statements = statementsOfRole(template, logicalIdOf(stack.training.roles.trainingRole));

      expect(allowing(statements, 'logs:PutLogEvents').flatMap(resourcesOf)).toEqual([
        stackArn('logs', `log-group:/aws/sagemaker/TrainingJobs:log-stream:${prefix}-*`),
      ]);
      expect(allowing(statements, 'cloudwatch:PutMetricData')).toEqual([
        expect.objectContaining({
          Condition: { StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/TrainingJobs' } },
        }),
      ]);
      expect(JSON.stringify(allowing(statements, 'ecr:BatchGetImage'))).toContain('container-assets');
    });
  });

  describe('the export role', () => {
    let statements: Statement[];
    beforeAll(() => {
      statements = statementsOfRole(template, logicalIdOf(stack.training.roles.exportRole));
    });

    it("reads the lake's events/ only, decrypting through S3 only", () => {
      expect(allowing(statements, 's3:ListBucket')).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: arnOf(ids.lake),
          Condition: { StringLike: { 's3:prefix': [`${dataLake.eventsPrefix}*`] } },
        },
      ]);
      expect(allowing(statements, 's3:GetObject')).toEqual([
        { Effect: 'Allow', Action: 's3:GetObject', Resource: objectsOf(ids.lake, `${dataLake.eventsPrefix}*`) },
      ]);
      expect(allowing(statements, 'kms:Decrypt')).toEqual([
        expect.objectContaining({
          Resource: arnOf(ids.lakeKey),
          Condition: { StringEquals: { 'kms:ViaService': expect.anything() } },
        }),
      ]);
    });

    it('queries the catalogue index and the ERASED partition of the feature table, nothing else of it', () => {
      expect(ERASED_PARTITION).toBe(featureKeys.erasure('hash').pk);
      const onTable = statements.filter((s) => resourcesOf(s).some((r) => refersTo(r, ids.table)));
      expect(onTable).toEqual([
        {
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: { 'Fn::Join': ['', [arnOf(ids.table), `/index/${CATALOGUE_INDEX}`]] },
        },
        {
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: arnOf(ids.table),
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [ERASED_PARTITION] } },
        },
      ]);
    });

    it('reads the erasure-hash-key secret and writes only datasets/ of the artifacts bucket', () => {
      expect(allowing(statements, 'secretsmanager:GetSecretValue').flatMap(resourcesOf)).toEqual([
        { Ref: logicalIdOf(stack.erasureHashKey.secret) },
      ]);
      const onArtifacts = statements.filter((s) => resourcesOf(s).some((r) => refersTo(r, ids.artifacts)));
      expect(onArtifacts).toEqual([
        {
          Effect: 'Allow',
          Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
          Resource: objectsOf(ids.artifacts, 'datasets/*'),
        },
      ]);
      expect(statements.flatMap(actionsOf).filter((a) => /^(sagemaker|iam|kinesis):|Delete/.test(a))).toEqual([]);
    });
  });

  describe('the pipeline function', () => {
    it('gets the environment of pipelineFunctionEnv', () => {
      const fn = template.findResources('AWS::Lambda::Function')[logicalIdOf(stack.training.pipelineFunction)];
      expect(fn?.Properties.Environment.Variables).toMatchObject({
        [pipelineFunctionEnv.registryTableName]: { Ref: ids.registry },
        [pipelineFunctionEnv.artifactsBucket]: { Ref: ids.artifacts },
        [pipelineFunctionEnv.lakeUri]: { 'Fn::Join': ['', ['s3://', { Ref: ids.lake }, `/${dataLake.eventsPrefix}`]] },
        [pipelineFunctionEnv.endpointName]: stack.serving.modelEndpoint.endpointName,
        [pipelineFunctionEnv.namePrefix]: prefix,
      });
      expect(fn?.Properties.Timeout).toBeGreaterThan(lambdaDefaults.timeoutSeconds);
    });

    it('reads and writes the registry, describes the endpoint, counts lake objects and cleans up prefixed names', () => {
      // Act
      const statements = statementsOfRole(template, roleLogicalIdOf(stack.training.pipelineFunction));

      // Assess
      expect(allowing(statements, 'dynamodb:PutItem')).toEqual([
        expect.objectContaining({ Resource: arnOf(ids.registry) }),
      ]);
      expect(new Set(allowing(statements, 'dynamodb:PutItem').flatMap(actionsOf))).toEqual(
        new Set([...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS]),
      );
      expect(allowing(statements, 'sagemaker:DescribeEndpoint').flatMap(resourcesOf)).toEqual([
        stackArn('sagemaker', `endpoint/${stack.serving.modelEndpoint.endpointName}`),
      ]);
      expect(allowing(statements, 's3:ListBucket')).toEqual([
        expect.objectContaining({
          Resource: arnOf(ids.lake),
          Condition: { StringLike: { 's3:prefix': [`${dataLake.eventsPrefix}*`] } },
        }),
        expect.objectContaining({
          Resource: arnOf(ids.artifacts),
          Condition: { StringLike: { 's3:prefix': ['datasets/*', 'models/*'] } },
        }),
      ]);
      expect(allowing(statements, 'sagemaker:DeleteModel').flatMap(resourcesOf)).toEqual([
        stackArn('sagemaker', `endpoint-config/${prefix}-*`),
        stackArn('sagemaker', `model/${prefix}-*`),
      ]);
      expect(allowing(statements, 's3:DeleteObject').flatMap(resourcesOf)).toEqual([
        objectsOf(ids.artifacts, 'datasets/*'),
        objectsOf(ids.artifacts, 'models/*'),
      ]);
      expect(allowing(statements, CLEAN_UP_LIST_ACTIONS[0]).flatMap(resourcesOf)).toEqual(['*']);
      const actions = statements.flatMap(actionsOf);
      expect(actions.filter((a) => /^(s3:GetObject|s3:PutObject|secretsmanager:|kms:|states:|iam:)/.test(a))).toEqual(
        [],
      );
      expect(actions.filter((a) => /^sagemaker:(Create|Update|Invoke)/.test(a))).toEqual([]);
    });
  });
});
