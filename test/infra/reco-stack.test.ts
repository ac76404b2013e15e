import { Token } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { envVars } from '#shared/config/index.ts';
import { buildApp, MODEL_VERSION_CONTEXT_KEY } from '#infra/build-app.ts';
import {
  RECOMMENDATION_KEY_PREFIX,
  RECOMMENDATION_LOG_ACTIONS,
  TABLE_READ_ACTIONS,
  TABLE_WRITE_ACTIONS,
} from '#infra/constructs/feature-store.ts';
import type { RecoStack } from '#infra/stacks/reco-stack.ts';
import {
  actionsOf,
  arnOf,
  logicalIdOf,
  refersTo,
  resourcesOf,
  roleLogicalIdOf,
  statementsOfRole,
  testContext,
} from './helpers.ts';

describe('Stack: RecoStack', () => {
  let stack: RecoStack;
  let template: Template;

  beforeAll(() => {
    // Prepare: the app as `cdk synth` builds it, minus bundling and cdk-nag (see nag.test.ts).
    const built = buildApp({ context: testContext(), nag: false });
    stack = built.stack;

    // Act
    template = Template.fromStack(stack);
  });

  it('is environment-agnostic', () => {
    expect(Token.isUnresolved(stack.account)).toBe(true);
    expect(Token.isUnresolved(stack.region)).toBe(true);
  });

  it('outputs the API URLs, table name, stream name, failure queue URL and data-lake bucket name', () => {
    template.hasOutput('StorefrontApiUrl', { Value: Match.anyValue() });
    template.hasOutput('ServerApiUrl', { Value: Match.anyValue() });
    template.hasOutput('FeatureTableName', { Value: { Ref: logicalIdOf(stack.featureStore.table) } });
    template.hasOutput('EventStreamName', { Value: { Ref: logicalIdOf(stack.ingestion.stream) } });
    template.hasOutput('ProcessorFailureQueueUrl', { Value: { Ref: logicalIdOf(stack.ingestion.failureQueue) } });
    template.hasOutput('DataLakeBucketName', { Value: { Ref: logicalIdOf(stack.dataLake.bucket) } });
    template.hasOutput('ModelArtifactsBucketName', { Value: { Ref: logicalIdOf(stack.modelArtifacts.bucket) } });
  });

  it('outputs the endpoint name, the registry, the training state machine and its notification topic', () => {
    template.hasOutput('ModelEndpointName', { Value: stack.serving.modelEndpoint.endpointName });
    template.hasOutput('ModelRegistryTableName', { Value: { Ref: logicalIdOf(stack.registry.table) } });
    template.hasOutput('TrainingStateMachineArn', { Value: { Ref: logicalIdOf(stack.training.stateMachine) } });
    template.hasOutput('TrainingNotificationsTopicArn', { Value: { Ref: logicalIdOf(stack.training.topic) } });
  });

  it("logs model-artifact bucket access into the data lake's access-log bucket", () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalIdOf(stack.dataLake.accessLogBucket) } },
    });
  });

  it('leaves the endpoint to the training pipeline, and tells the recommend function its fixed name and the registry', () => {
    for (const type of [
      'AWS::SageMaker::Model',
      'AWS::SageMaker::EndpointConfig',
      'AWS::SageMaker::Endpoint',
      'AWS::ApplicationAutoScaling::ScalableTarget',
      'AWS::ApplicationAutoScaling::ScalingPolicy',
    ]) {
      template.resourceCountIs(type, 0);
    }
    const variables = template.findResources('AWS::Lambda::Function')[logicalIdOf(stack.serving.recommendFunction)]
      ?.Properties.Environment.Variables as Record<string, unknown>;
    expect(variables).toMatchObject({
      [envVars.modelEndpointName]: stack.serving.modelEndpoint.endpointName,
      [envVars.registryTableName]: { Ref: logicalIdOf(stack.registry.table) },
    });
    expect(variables).toHaveProperty(envVars.cacheUrl);
  });

  it('routes the recommendation routes and the health check to the recommend function', () => {
    const recommendId = logicalIdOf(stack.serving.recommendFunction);
    for (const name of ['userRecommendations', 'similarItems', 'rankings', 'trending', 'health'] as const) {
      const integration = JSON.stringify(
        Object.values(
          template.findResources('AWS::ApiGateway::Method', {
            Properties: {
              ResourceId: {
                Ref: logicalIdOf((stack.storefrontApi.methods[name] ?? stack.serverApi.methods[name])!.resource),
              },
            },
          }),
        ).map((method) => method.Properties.Integration),
      );
      expect(integration, name).toContain(`"${recommendId}"`);
    }
  });

  it('keeps the recommend function inside the serving VPC and every other function outside of it', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const recommendId = logicalIdOf(stack.serving.recommendFunction);
    for (const [id, fn] of Object.entries(functions)) {
      expect(fn.Properties.VpcConfig === undefined, id).toBe(id !== recommendId);
    }
  });

  it('delivers the event stream of the stack to the data lake', () => {
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      KinesisStreamSourceConfiguration: Match.objectLike({
        KinesisStreamARN: arnOf(logicalIdOf(stack.ingestion.stream)),
      }),
      ExtendedS3DestinationConfiguration: Match.objectLike({ BucketARN: arnOf(logicalIdOf(stack.dataLake.bucket)) }),
    });
  });

  it('routes the catalogue and erasure routes to their own functions', () => {
    const integrationOf = (name: 'catalogueItems' | 'catalogueItem' | 'userErasure') =>
      JSON.stringify(
        Object.values(
          template.findResources('AWS::ApiGateway::Method', {
            Properties: {
              ResourceId: {
                Ref: logicalIdOf((stack.storefrontApi.methods[name] ?? stack.serverApi.methods[name])!.resource),
              },
            },
          }),
        ).map((method) => method.Properties.Integration),
      );
    const catalogueId = logicalIdOf(stack.catalogue.catalogueFunction);
    const erasureId = logicalIdOf(stack.privacy.erasureFunction);
    expect(integrationOf('catalogueItems')).toContain(`"${catalogueId}"`);
    expect(integrationOf('catalogueItem')).toContain(`"${catalogueId}"`);
    expect(integrationOf('userErasure')).toContain(`"${erasureId}"`);
    expect(integrationOf('userErasure')).not.toContain(`"${catalogueId}"`);
  });

  it('takes the model version from the cdk.json context', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ [envVars.modelVersion]: testContext()[MODEL_VERSION_CONTEXT_KEY] }),
      },
    });
  });

  it('refuses to build without a model version', () => {
    expect(() => buildApp({ context: { 'aws:cdk:bundling-stacks': [] }, nag: false })).toThrow(
      MODEL_VERSION_CONTEXT_KEY,
    );
  });

  it('uses nodejs24.x on ARM64 with active tracing for every function of its own', () => {
    // The CDK provider framework's function of the training teardown is the CDK's, not ours.
    const framework = new Set(
      stack.trainingTeardown.provider.node
        .findAll()
        .filter((construct) => construct instanceof CfnFunction)
        .map((construct) => logicalIdOf(construct as CfnFunction)),
    );
    expect(framework.size).toBe(1);
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([id]) => !framework.has(id))
      .map(([, fn]) => fn);
    // ingest, processor, recommend, catalogue, erasure, admin, the user-token key rotation, the
    // training pipeline's steps and its teardown.
    expect(functions).toHaveLength(9);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
    }
  });

  it('attaches no managed policy to any function role', () => {
    const roles = [
      stack.ingestion.ingestFunction,
      stack.ingestion.processorFunction,
      stack.serving.recommendFunction,
      stack.catalogue.catalogueFunction,
      stack.privacy.erasureFunction,
      stack.training.pipelineFunction,
      stack.trainingTeardown.handler,
    ];
    for (const fn of roles) {
      expect(
        template.findResources('AWS::IAM::Role')[roleLogicalIdOf(fn)]?.Properties.ManagedPolicyArns,
      ).toBeUndefined();
    }
  });

  describe('IAM', () => {
    it('lets the ingest function PutRecords on the stream but not touch DynamoDB', () => {
      // Act
      const statements = statementsOfRole(template, roleLogicalIdOf(stack.ingestion.ingestFunction));

      // Assess
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Action: expect.arrayContaining(['kinesis:PutRecords']),
          Resource: arnOf(logicalIdOf(stack.ingestion.stream)),
        }),
      );
      const actions = statements.flatMap(actionsOf);
      expect(actions.filter((action) => action.startsWith('dynamodb:'))).toEqual([]);
      const tableId = logicalIdOf(stack.featureStore.table);
      expect(statements.filter((s) => resourcesOf(s).some((r) => refersTo(r, tableId)))).toEqual([]);
    });

    it('gives the recommend function read actions only on the table', () => {
      // Act
      const statements = statementsOfRole(template, roleLogicalIdOf(stack.serving.recommendFunction));

      // Assess: reads, plus PutItem only under the recommendation-record keys.
      const tableId = logicalIdOf(stack.featureStore.table);
      const onTable = statements.filter((s) => resourcesOf(s).some((r) => refersTo(r, tableId)));
      expect(onTable.length).toBeGreaterThan(0);
      for (const statement of onTable) {
        expect(statement.Effect).toBe('Allow');
        const writes = actionsOf(statement).filter(
          (action) => !(TABLE_READ_ACTIONS as readonly string[]).includes(action),
        );
        if (writes.length > 0) {
          expect(writes).toEqual([...RECOMMENDATION_LOG_ACTIONS]);
          expect(statement.Condition).toEqual({
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RECOMMENDATION_KEY_PREFIX}*`] },
          });
        }
      }
      const all = statements.flatMap(actionsOf);
      expect(all.filter((a) => a.startsWith('kinesis:') || a.startsWith('sqs:') || a.startsWith('kms:'))).toEqual([]);
    });

    it.each([
      ['catalogue', () => stack.catalogue.catalogueFunction],
      ['erasure', () => stack.privacy.erasureFunction],
    ])('gives the %s function read-write on the table and no stream, queue or key access', (_, fnOf) => {
      // Act
      const statements = statementsOfRole(template, roleLogicalIdOf(fnOf()));
      const variables = template.findResources('AWS::Lambda::Function')[logicalIdOf(fnOf())]?.Properties.Environment
        .Variables as Record<string, unknown>;

      // Assess
      expect(variables[envVars.featureTableName]).toEqual({ Ref: logicalIdOf(stack.featureStore.table) });
      expect(variables).not.toHaveProperty(envVars.eventStreamName);
      expect(variables).not.toHaveProperty(envVars.poisonQueueUrl);
      const tableId = logicalIdOf(stack.featureStore.table);
      const granted = statements.filter((s) => resourcesOf(s).some((r) => refersTo(r, tableId))).flatMap(actionsOf);
      expect(new Set(granted)).toEqual(new Set([...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS]));
      const all = statements.flatMap(actionsOf);
      expect(all.filter((a) => a.startsWith('kinesis:') || a.startsWith('sqs:') || a.startsWith('kms:'))).toEqual([]);
      for (const other of [
        stack.ingestion.stream,
        stack.ingestion.streamKey,
        stack.ingestion.failureQueue,
        stack.dataLake.bucket,
      ]) {
        const otherId = logicalIdOf(other);
        expect(statements.filter((s) => resourcesOf(s).some((r) => refersTo(r, otherId)))).toEqual([]);
      }
    });

    it('gives the processor read-write on the table and read on the stream', () => {
      const statements = statementsOfRole(template, roleLogicalIdOf(stack.ingestion.processorFunction));
      const actions = statements.flatMap(actionsOf);

      expect(actions).toEqual(
        expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:GetItem', 'kinesis:GetRecords']),
      );
      expect(actions).not.toContain('kinesis:PutRecords');
    });
  });
});
