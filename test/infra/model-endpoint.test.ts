import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { type App, type Stack, cx_api } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { envVars, lambdaDefaults, training } from '#shared/config/index.ts';
import {
  DEFAULT_MODEL_DOCKERFILE,
  DEFAULT_MODEL_IMAGE_DIRECTORY,
  INVOKE_ENDPOINT_ACTIONS,
  ModelEndpoint,
  type ModelEndpointProps,
  VARIANT_NAME,
} from '#infra/constructs/model-endpoint.ts';
import {
  actionsOf,
  logicalIdOf,
  newPlainFunction,
  newTestStack,
  resourcesOf,
  roleLogicalIdOf,
  statementsOfRole,
  stubModelImageDirectory,
} from './helpers.ts';

function synthEndpoint(props: Partial<ModelEndpointProps> = {}) {
  const stack = newTestStack();
  const bucket = new s3.Bucket(stack, 'Artifacts');
  const endpoint = new ModelEndpoint(stack, 'ModelEndpoint', {
    artifactsBucket: bucket,
    imageDirectory: stubModelImageDirectory(),
    ...props,
  });
  const fn = newPlainFunction(stack, 'Caller');
  endpoint.bindEndpoint(fn);
  return { stack, bucket, endpoint, fn, template: Template.fromStack(stack) };
}

interface DockerImageSource {
  /** Staged build context, absolute. */
  readonly directory: string;
  readonly dockerFile?: string;
  readonly platform?: string;
}

/** Docker image sources of the stack's asset manifest, as `cdk deploy` would build them. */
function dockerImageSources(stack: Stack): DockerImageSource[] {
  const assembly = (stack.node.root as App).synth();
  return assembly.artifacts
    .filter((artifact): artifact is cx_api.AssetManifestArtifact => artifact instanceof cx_api.AssetManifestArtifact)
    .flatMap((artifact) => {
      const manifest = JSON.parse(readFileSync(artifact.file, 'utf8')) as {
        dockerImages?: Record<string, { source: { directory: string; dockerFile?: string; platform?: string } }>;
      };
      return Object.values(manifest.dockerImages ?? {}).map(({ source }) => ({
        ...source,
        directory: path.join(assembly.directory, source.directory),
      }));
    });
}

describe('Construct: ModelEndpoint', () => {
  it('builds the image for linux/amd64, the platform SageMaker trains on', () => {
    // Act
    const { stack } = synthEndpoint();

    // Assess
    expect(dockerImageSources(stack)).toEqual([expect.objectContaining({ platform: 'linux/amd64' })]);
  });

  it('stages model/Dockerfile with only the context its .dockerignore lets through', () => {
    // Act
    const { stack } = synthEndpoint();
    const [source] = dockerImageSources(stack);
    if (source === undefined) throw new Error('no docker image asset');

    // Assess
    expect(source.dockerFile).toBe('model/Dockerfile');
    expect(readdirSync(source.directory).sort()).toEqual(['model']);
    expect(readdirSync(path.join(source.directory, 'model')).sort()).toEqual([
      'Dockerfile',
      'Dockerfile.dockerignore',
      'serve.ts',
    ]);
  });

  it("stages the repository's model image context without node_modules, tests or the rest of the repository", () => {
    // Act
    const stack = newTestStack();
    new ModelEndpoint(stack, 'ModelEndpoint', { artifactsBucket: new s3.Bucket(stack, 'Artifacts') });
    const [source] = dockerImageSources(stack);
    if (source === undefined) throw new Error('no docker image asset');

    // Assess
    const staged = readdirSync(source.directory, { recursive: true }).map(String);
    expect(staged).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'model/Dockerfile', 'shared']));
    for (const absent of ['node_modules', 'infra', 'functions', 'test', 'cdk.out', '.git']) {
      expect(
        staged.filter((file) => file === absent || file.startsWith(`${absent}/`)),
        absent,
      ).toEqual([]);
    }
    expect(staged.filter((file) => file.includes('node_modules/') || file.endsWith('.test.ts'))).toEqual([]);
    expect(existsSync(path.join(DEFAULT_MODEL_IMAGE_DIRECTORY, DEFAULT_MODEL_DOCKERFILE))).toBe(true);
  });

  it('fails early when the image directory has no Dockerfile, or the bounds or instance type make no sense', () => {
    expect(() => synthEndpoint({ imageDirectory: '/nonexistent/model' })).toThrow('does not exist');
    expect(() => synthEndpoint({ minInstances: 3, maxInstances: 2 })).toThrow('minInstances');
    expect(() => synthEndpoint({ minInstances: 0 })).toThrow('minInstances');
    expect(() => synthEndpoint({ instanceType: 'ml.c7g.large' })).toThrow(/training\.endpointInstanceType.*Graviton/);
  });

  it('deploys serverless with memory and concurrency, no instance sizing, and refuses what SageMaker refuses', () => {
    // Act
    const { endpoint } = synthEndpoint({ serverless: { memoryMb: 2048, maxConcurrency: 10 } });

    // Assess
    expect(endpoint.deployment).toEqual({ mode: 'serverless', memoryMb: 2048, maxConcurrency: 10 });
    expect(endpoint.sizing).toBeUndefined();
    expect(() => synthEndpoint({ serverless: { memoryMb: 1536, maxConcurrency: 5 } })).toThrow('memoryMb');
    expect(() => synthEndpoint({ serverless: { memoryMb: 7168, maxConcurrency: 5 } })).toThrow('memoryMb');
    expect(() => synthEndpoint({ serverless: { memoryMb: 1024, maxConcurrency: 0 } })).toThrow('maxConcurrency');
    expect(() => synthEndpoint({ serverless: { memoryMb: 1024, maxConcurrency: 201 } })).toThrow('maxConcurrency');
    expect(() => synthEndpoint({ serverless: { memoryMb: 1024, maxConcurrency: 5 }, networkIsolation: true })).toThrow(
      'network-isolated',
    );
  });

  it('deploys real-time network-isolated unless told otherwise', () => {
    expect(synthEndpoint().endpoint.deployment).toMatchObject({ mode: 'realtime', networkIsolation: true });
    expect(synthEndpoint({ networkIsolation: false }).endpoint.deployment).toMatchObject({
      mode: 'realtime',
      networkIsolation: false,
    });
  });

  it('creates no SageMaker model, endpoint config, endpoint or scaling: the training pipeline owns them', () => {
    // Act
    const { template } = synthEndpoint();

    // Assess
    for (const type of [
      'AWS::SageMaker::Model',
      'AWS::SageMaker::EndpointConfig',
      'AWS::SageMaker::Endpoint',
      'AWS::ApplicationAutoScaling::ScalableTarget',
      'AWS::ApplicationAutoScaling::ScalingPolicy',
    ]) {
      template.resourceCountIs(type, 0);
    }
  });

  it('has a fixed name, a log group with retention, and the sizing the pipeline deploys with', () => {
    // Act
    const { stack, endpoint, template } = synthEndpoint();

    // Assess
    expect(endpoint.endpointName).toMatch(/^[a-z0-9](-*[a-z0-9]){0,62}$/);
    expect(endpoint.endpointName).toBe(synthEndpoint().endpoint.endpointName);
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/sagemaker/Endpoints/${endpoint.endpointName}`,
      RetentionInDays: lambdaDefaults.logRetentionDays,
    });
    expect(stack.resolve(endpoint.endpointArn)).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':sagemaker:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:endpoint/${endpoint.endpointName}`,
        ],
      ],
    });
    expect(endpoint.scalingResourceId).toBe(`endpoint/${endpoint.endpointName}/variant/${VARIANT_NAME}`);
    expect(endpoint.sizing).toEqual({
      instanceType: training.endpointInstanceType,
      minInstances: 1,
      maxInstances: 4,
      targetInvocationsPerInstance: 3000,
      scaleOutCooldownSeconds: 60,
      scaleInCooldownSeconds: 300,
    });
  });

  it('lets its role read models/ of the artifacts bucket, pull the image, log and put endpoint metrics, nothing else', () => {
    // Act
    const { endpoint, bucket, template } = synthEndpoint();
    const statements = statementsOfRole(template, logicalIdOf(endpoint.role));

    // Assess
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalIdOf(bucket), 'Arn'] }, '/models/*']] },
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      // The CDK asset repository of this account and region, nothing else.
      Resource: expect.objectContaining({
        'Fn::Join': ['', expect.arrayContaining([{ 'Fn::Sub': expect.stringContaining('container-assets') }])],
      }),
    });
    const wildcard = statements.filter((s) => resourcesOf(s).includes('*'));
    expect(
      wildcard
        .map((s) => actionsOf(s))
        .flat()
        .sort(),
    ).toEqual(['cloudwatch:PutMetricData', 'ecr:GetAuthorizationToken']);
    expect(wildcard.find((s) => actionsOf(s).includes('cloudwatch:PutMetricData'))?.Condition).toEqual({
      StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/Endpoints' },
    });
    const all = statements.flatMap(actionsOf);
    expect(all.filter((a) => a.startsWith('s3:'))).toEqual(['s3:GetObject']);
    expect(all.filter((a) => a.startsWith('ec2:') || a.startsWith('sagemaker:') || a.startsWith('dynamodb:'))).toEqual(
      [],
    );
    expect(template.findResources('AWS::IAM::Role')[logicalIdOf(endpoint.role)]?.Properties).toMatchObject({
      AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'sagemaker.amazonaws.com' } }] },
    });
  });

  it('gives a bound function the fixed endpoint name and InvokeEndpoint on that endpoint only', () => {
    // Act
    const { stack, endpoint, fn, template } = synthEndpoint();

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { [envVars.modelEndpointName]: endpoint.endpointName } },
    });
    expect(statementsOfRole(template, roleLogicalIdOf(fn))).toEqual([
      { Effect: 'Allow', Action: INVOKE_ENDPOINT_ACTIONS[0], Resource: stack.resolve(endpoint.endpointArn) },
    ]);
  });
});
