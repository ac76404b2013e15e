import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { type App, type Stack, cx_api } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { envVars, lambdaDefaults } from '#shared/config/index.ts';
import {
  DEFAULT_MODEL_DOCKERFILE,
  DEFAULT_MODEL_IMAGE_DIRECTORY,
  imagePlatformFor,
  INVOKE_ENDPOINT_ACTIONS,
  ModelEndpoint,
  type ModelEndpointProps,
  parseS3Url,
  SAGEMAKER_SCALING_SERVICE_LINKED_ROLE,
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
  TEST_MODEL_DATA_URL,
} from './helpers.ts';

function synthEndpoint(props: Partial<ModelEndpointProps> = {}) {
  const stack = newTestStack();
  const endpoint = new ModelEndpoint(stack, 'ModelEndpoint', {
    modelDataUrl: TEST_MODEL_DATA_URL,
    imageDirectory: stubModelImageDirectory(),
    ...props,
  });
  const fn = newPlainFunction(stack, 'Caller');
  endpoint.bindEndpoint(fn);
  return { stack, endpoint, fn, template: Template.fromStack(stack) };
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
  it('builds the image for the platform of the instance type (Graviton: arm64)', () => {
    expect(imagePlatformFor('ml.c7g.large')).toBe(ecrAssets.Platform.LINUX_ARM64);
    expect(imagePlatformFor('ml.m7g.xlarge')).toBe(ecrAssets.Platform.LINUX_ARM64);
    expect(imagePlatformFor('ml.c6gn.large')).toBe(ecrAssets.Platform.LINUX_ARM64);
    expect(imagePlatformFor('ml.r7gd.large')).toBe(ecrAssets.Platform.LINUX_ARM64);
    expect(imagePlatformFor('ml.m5.large')).toBe(ecrAssets.Platform.LINUX_AMD64);
    expect(imagePlatformFor('ml.g5.xlarge')).toBe(ecrAssets.Platform.LINUX_AMD64);
    expect(imagePlatformFor('ml.inf2.xlarge')).toBe(ecrAssets.Platform.LINUX_AMD64);

    const { stack } = synthEndpoint();
    expect(dockerImageSources(stack)).toEqual([expect.objectContaining({ platform: 'linux/arm64' })]);
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

  // The real image: model/ is written alongside this stack; the test runs once its Dockerfile exists.
  it.skipIf(!existsSync(path.join(DEFAULT_MODEL_IMAGE_DIRECTORY, DEFAULT_MODEL_DOCKERFILE)))(
    "stages the repository's model image context without node_modules, tests or the rest of the repository",
    () => {
      // Act
      const stack = newTestStack();
      new ModelEndpoint(stack, 'ModelEndpoint', { modelDataUrl: TEST_MODEL_DATA_URL });
      const [source] = dockerImageSources(stack);
      if (source === undefined) throw new Error('no docker image asset');

      // Assess
      const staged = readdirSync(source.directory, { recursive: true }).map(String);
      expect(staged).toEqual(
        expect.arrayContaining(['package.json', 'package-lock.json', 'model/Dockerfile', 'shared']),
      );
      for (const absent of ['node_modules', 'infra', 'functions', 'test', 'cdk.out', '.git']) {
        expect(
          staged.filter((file) => file === absent || file.startsWith(`${absent}/`)),
          absent,
        ).toEqual([]);
      }
      expect(staged.filter((file) => file.includes('node_modules/') || file.endsWith('.test.ts'))).toEqual([]);
    },
  );

  it('accepts only s3://bucket/key model URLs without wildcards', () => {
    expect(parseS3Url('s3://my-bucket/models/v1/model.tar.gz')).toEqual({
      bucket: 'my-bucket',
      key: 'models/v1/model.tar.gz',
    });
    for (const url of ['https://x/model.tar.gz', 's3://my-bucket/', 's3://my-bucket/models/*', 's3://B/key']) {
      expect(() => parseS3Url(url), url).toThrow('s3://');
    }
    expect(() => synthEndpoint({ modelDataUrl: 's3://b/*' })).toThrow('s3://');
  });

  it('fails early when the image directory has no Dockerfile, or the instance bounds make no sense', () => {
    expect(() => synthEndpoint({ imageDirectory: '/nonexistent/model' })).toThrow('does not exist');
    expect(() => synthEndpoint({ minInstances: 3, maxInstances: 2 })).toThrow('minInstances');
    expect(() => synthEndpoint({ minInstances: 0 })).toThrow('minInstances');
  });

  it('creates a network-isolated model from the image and the artifact, outside any VPC', () => {
    const { endpoint, template } = synthEndpoint();

    template.resourceCountIs('AWS::SageMaker::Model', 1);
    const [model] = Object.values(template.findResources('AWS::SageMaker::Model'));
    expect(model?.Properties).toMatchObject({
      EnableNetworkIsolation: true,
      ExecutionRoleArn: { 'Fn::GetAtt': [logicalIdOf(endpoint.role), 'Arn'] },
      PrimaryContainer: { ModelDataUrl: TEST_MODEL_DATA_URL, Mode: 'SingleModel' },
    });
    expect(JSON.stringify(model?.Properties.PrimaryContainer.Image)).toContain('container-assets');
    expect(model?.Properties.VpcConfig).toBeUndefined();
    expect(model?.DependsOn).toEqual(expect.arrayContaining([logicalIdOf(endpoint.role)]));
  });

  it('serves one variant on ml.c7g.large with one instance and an AWS managed volume key by default', () => {
    const { endpoint, template } = synthEndpoint();

    template.resourceCountIs('AWS::SageMaker::EndpointConfig', 1);
    const [config] = Object.values(template.findResources('AWS::SageMaker::EndpointConfig'));
    expect(config?.Properties.ProductionVariants).toEqual([
      {
        VariantName: VARIANT_NAME,
        ModelName: { 'Fn::GetAtt': [logicalIdOf(endpoint.model), 'ModelName'] },
        InstanceType: 'ml.c7g.large',
        InitialInstanceCount: 1,
        InitialVariantWeight: 1,
      },
    ]);
    expect(config?.Properties.KmsKeyId).toBeUndefined();
  });

  it('encrypts the instance volumes with the given key', () => {
    // Prepare
    const stack = newTestStack();
    const key = new kms.Key(stack, 'VolumeKey', { enableKeyRotation: true });

    // Act
    new ModelEndpoint(stack, 'ModelEndpoint', {
      modelDataUrl: TEST_MODEL_DATA_URL,
      imageDirectory: stubModelImageDirectory(),
      volumeKey: key,
    });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] },
    });
  });

  it('names the endpoint, keeps its instance count across model updates and logs to a group with retention', () => {
    const { endpoint, template } = synthEndpoint();

    expect(endpoint.endpointName).toMatch(/^[a-z0-9](-*[a-z0-9]){0,62}$/);
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      EndpointName: endpoint.endpointName,
      EndpointConfigName: { 'Fn::GetAtt': [logicalIdOf(endpoint.endpointConfig), 'EndpointConfigName'] },
      RetainAllVariantProperties: true,
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/sagemaker/Endpoints/${endpoint.endpointName}`,
      RetentionInDays: lambdaDefaults.logRetentionDays,
    });
  });

  it('scales the variant between 1 and 4 instances on invocations per instance', () => {
    const { endpoint, fn, template } = synthEndpoint();

    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      ResourceId: {
        'Fn::Join': [
          '',
          ['endpoint/', { 'Fn::GetAtt': [logicalIdOf(endpoint.endpoint), 'EndpointName'] }, `/variant/${VARIANT_NAME}`],
        ],
      },
      MinCapacity: 1,
      MaxCapacity: 4,
      RoleARN: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':iam::',
            { Ref: 'AWS::AccountId' },
            `:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/${SAGEMAKER_SCALING_SERVICE_LINKED_ROLE}`,
          ],
        ],
      },
    });
    // No scaling role in the stack: the template's roles are the execution role and the caller's.
    expect(Object.keys(template.findResources('AWS::IAM::Role')).sort()).toEqual(
      [logicalIdOf(endpoint.role), roleLogicalIdOf(fn)].sort(),
    );
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        TargetValue: 3000,
        ScaleInCooldown: 300,
        ScaleOutCooldown: 60,
      },
    });
  });

  it('takes instance type, bounds and scaling target from its props', () => {
    const { stack, template } = synthEndpoint({
      instanceType: 'ml.m5.large',
      minInstances: 2,
      maxInstances: 6,
      targetInvocationsPerInstance: 1200,
    });

    const [config] = Object.values(template.findResources('AWS::SageMaker::EndpointConfig'));
    expect(config?.Properties.ProductionVariants).toEqual([
      expect.objectContaining({ VariantName: VARIANT_NAME, InstanceType: 'ml.m5.large', InitialInstanceCount: 2 }),
    ]);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 6 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 1200 },
    });
    expect(dockerImageSources(stack)).toEqual([expect.objectContaining({ platform: 'linux/amd64' })]);
  });

  it('lets its role read the one artifact object, pull the image, log and put endpoint metrics, nothing else', () => {
    // Act
    const { stack, endpoint, template } = synthEndpoint();
    const statements = statementsOfRole(template, logicalIdOf(endpoint.role));

    // Assess
    const partition = stack.resolve(stack.partition) as unknown;
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: { 'Fn::Join': ['', ['arn:', partition, ':s3:::reco-test-models/models/v1/model.tar.gz']] },
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
    const logs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
    for (const statement of logs) {
      expect(JSON.stringify(statement.Resource)).toMatch(/Endpoints|ModelEndpointLogs/);
    }
    const all = statements.flatMap(actionsOf);
    expect(all.filter((a) => a.startsWith('ec2:') || a.startsWith('sagemaker:') || a.startsWith('dynamodb:'))).toEqual(
      [],
    );
    expect(template.findResources('AWS::IAM::Role')[logicalIdOf(endpoint.role)]?.Properties).toMatchObject({
      AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'sagemaker.amazonaws.com' } }] },
    });
  });

  it('gives a bound function the endpoint name and InvokeEndpoint on that endpoint only', () => {
    const { endpoint, fn, template } = synthEndpoint();

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { [envVars.modelEndpointName]: { 'Fn::GetAtt': [logicalIdOf(endpoint.endpoint), 'EndpointName'] } },
      },
    });
    const statements = statementsOfRole(template, roleLogicalIdOf(fn));
    expect(statements).toEqual([
      { Effect: 'Allow', Action: INVOKE_ENDPOINT_ACTIONS[0], Resource: { Ref: logicalIdOf(endpoint.endpoint) } },
    ]);
  });
});
