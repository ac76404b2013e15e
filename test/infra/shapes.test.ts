import aslValidator from 'asl-validator';
import { Template } from 'aws-cdk-lib/assertions';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { envVars } from '#shared/config/index.ts';
import { deploymentShapes } from '#shared/config/shapes.ts';
import { type GuardDecision, pipelineStates as s } from '#shared/training/pipeline.ts';
import { VARIANT_NAME } from '#infra/constructs/model-endpoint.ts';
import {
  CURRENT_ENDPOINT_PATH,
  RECREATE_ATTEMPTS,
  serverlessStates as r,
} from '#infra/constructs/training-deploy-states.ts';
import { SHAPE_CONTEXT_KEY } from '#infra/shape.ts';
import type { RecoStack } from '#infra/stacks/reco-stack.ts';
import { trainingAsl } from '../../tools/generate-training-asl.ts';
import { actionsOf, buildTestApp, logicalIdOf, type Statement, statementsAllowing } from './helpers.ts';

interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly Default?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly Choices?: readonly Record<string, unknown>[];
  readonly Retry?: readonly { ErrorEquals: string[]; MaxAttempts?: number }[];
  readonly Catch?: readonly { Next: string }[];
}
type Asl = { StartAt: string; States: Record<string, AslState> };

interface Built {
  readonly stack: RecoStack;
  readonly template: Template;
  readonly asl: Asl;
}

function build(context: Record<string, unknown>): Built {
  const { stack } = buildTestApp(context);
  return { stack, template: Template.fromStack(stack), asl: trainingAsl(stack) as unknown as Asl };
}

/** Every statement of the state machine's policy. */
function stateMachineStatements({ stack, template }: Built): Statement[] {
  const policy = template.findResources('AWS::IAM::Policy')[logicalIdOf(stack.training.policy)];
  return policy?.Properties.PolicyDocument.Statement as Statement[];
}

/** Resources billed by the hour whether or not a shopper shows up (what `npm run cost` calls the idle floor). */
const HOURLY_TYPES = [
  'AWS::EC2::VPCEndpoint',
  'AWS::ElastiCache::ServerlessCache',
  'AWS::Kinesis::Stream',
  'AWS::WAFv2::WebACL',
] as const;

describe('Shape: lean', () => {
  let lean: Built;

  beforeAll(() => {
    lean = build({ [SHAPE_CONTEXT_KEY]: 'lean' });
  });

  it('builds no VPC, no subnets, no VPC endpoints, no security groups and no cache', () => {
    const { template } = lean;
    for (const type of [
      'AWS::EC2::VPC',
      'AWS::EC2::Subnet',
      'AWS::EC2::VPCEndpoint',
      'AWS::EC2::SecurityGroup',
      'AWS::EC2::FlowLog',
      'AWS::ElastiCache::ServerlessCache',
    ]) {
      template.resourceCountIs(type, 0);
    }
    expect(
      Object.values(template.toJSON().Resources as Record<string, { Type: string }>).filter((resource) =>
        resource.Type.startsWith('AWS::EC2::'),
      ),
    ).toEqual([]);
  });

  it('runs the recommend function outside any VPC, caching in-process (no cache URL)', () => {
    const { stack, template } = lean;
    const fn = template.findResources('AWS::Lambda::Function')[logicalIdOf(stack.serving.recommendFunction)];
    expect(fn?.Properties.VpcConfig).toBeUndefined();
    expect(fn?.Properties.Environment.Variables).not.toHaveProperty(envVars.cacheUrl);
    expect(fn?.Properties.Environment.Variables).toHaveProperty(
      envVars.modelEndpointName,
      stack.serving.modelEndpoint.endpointName,
    );
    expect(stack.serving.network).toBeUndefined();
    expect(stack.serving.cache).toBeUndefined();
    expect(stack.serving.recommendFunction.vpcAccessPolicy).toBeUndefined();
  });

  it('has a provisioned stream of one shard', () => {
    lean.template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      ShardCount: 1,
    });
  });

  it('has no web ACL and no auto scaling resources', () => {
    const { template } = lean;
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 0);
  });

  it('bills by the hour for the stream only', () => {
    const { template } = lean;
    const hourly = Object.values(template.toJSON().Resources as Record<string, { Type: string }>)
      .map((resource) => resource.Type)
      .filter((type) => (HOURLY_TYPES as readonly string[]).includes(type));
    expect(hourly).toEqual(['AWS::Kinesis::Stream']);
  });

  it('creates a serverless endpoint config: memory and concurrency of the shape, no instances, no isolation', () => {
    const { asl } = lean;
    const { endpoint } = deploymentShapes.lean;
    if (endpoint.mode !== 'serverless') throw new Error('lean is serverless');

    expect(asl.States[s.createEndpointConfig]?.Parameters).toEqual({
      'EndpointConfigName.$': '$.guard.endpointConfigName',
      ProductionVariants: [
        {
          VariantName: VARIANT_NAME,
          'ModelName.$': '$.guard.modelName',
          ServerlessConfig: { MemorySizeInMB: endpoint.memoryMb, MaxConcurrency: endpoint.maxConcurrency },
        },
      ],
    });
    expect(asl.States[s.createModel]?.Parameters).not.toHaveProperty('EnableNetworkIsolation');
    expect(asl.States[s.updateEndpoint]?.Parameters).not.toHaveProperty('RetainAllVariantProperties');
  });

  it('registers no scaling: in service goes straight on to RecordLive', () => {
    const { asl } = lean;
    expect(asl.States).not.toHaveProperty(s.registerScaling);
    expect(asl.States).not.toHaveProperty(s.putScalingPolicy);
    expect(asl.States[r.inService]).toMatchObject({ Type: 'Pass', Next: s.recordLive });
  });

  it('is valid ASL', () => {
    const { isValid, errorsText } = aslValidator(lean.asl as never);
    expect(errorsText('\n'), 'asl-validator').toBe('');
    expect(isValid).toBe(true);
  });

  it('lets the state machine describe and delete its endpoint and deregister scaling, but not scale', () => {
    const statements = stateMachineStatements(lean);
    const endpointArn = lean.stack.resolve(lean.stack.serving.modelEndpoint.endpointArn) as unknown;
    for (const action of ['sagemaker:DeleteEndpoint', 'sagemaker:DescribeEndpoint']) {
      expect(statementsAllowing(statements, action).map((statement) => statement.Resource)).toEqual([endpointArn]);
    }
    expect(statementsAllowing(statements, 'application-autoscaling:DeregisterScalableTarget')).toHaveLength(1);
    const actions = statements.flatMap(actionsOf);
    for (const action of [
      'application-autoscaling:RegisterScalableTarget',
      'application-autoscaling:PutScalingPolicy',
      'iam:CreateServiceLinkedRole',
      'cloudwatch:PutMetricAlarm',
      'sagemaker:UpdateEndpointWeightsAndCapacities',
    ]) {
      expect(actions).not.toContain(action);
    }
  });
});

describe('Shape: default', () => {
  let built: Built;

  beforeAll(() => {
    built = build({});
  });

  it('has the VPC, its three endpoints, the cache, an on-demand stream and the web ACL', () => {
    const { template } = built;
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 3);
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 2);
    template.resourceCountIs('AWS::ElastiCache::ServerlessCache', 1);
    template.hasResourceProperties('AWS::Kinesis::Stream', { StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
    template.resourceCountIs('AWS::WAFv2::WebACL', 1);
  });

  it('deploys real-time instances, network-isolated, with auto scaling and no endpoint deletion', () => {
    const { asl } = built;
    expect(asl.States[s.createEndpointConfig]?.Parameters).toMatchObject({
      ProductionVariants: [{ InstanceType: 'ml.c6i.large', InitialInstanceCount: 1 }],
    });
    expect(asl.States[s.createModel]?.Parameters).toMatchObject({ EnableNetworkIsolation: true });
    expect(asl.States[s.endpointExists]?.Choices).toEqual([
      { Variable: '$.guard.endpointExists', BooleanEquals: true, Next: s.updateEndpoint },
    ]);
    expect(asl.States).toHaveProperty(s.registerScaling);
    for (const name of Object.values(r)) expect(asl.States).not.toHaveProperty(name);
    expect(stateMachineStatements(built).flatMap(actionsOf)).not.toContain('sagemaker:DeleteEndpoint');
  });
});

describe('Shape: lean, its deployment in the local interpreter', () => {
  /** A guard decision promoting a version, with or without an endpoint. */
  const guardOf = (endpointExists: boolean): Partial<GuardDecision> => ({
    action: 'promote',
    reason: 'promote',
    version: 'v1',
    endpointExists,
    modelName: 'reco-v1',
    endpointConfigName: 'reco-v1',
    endpointName: 'reco-endpoint',
    modelDataUrl: 's3://artifacts/models/v1/model.tar.gz',
  });

  /** What DescribeEndpoint says of a real-time and of a serverless endpoint. */
  const described = {
    realtime: {
      EndpointName: 'reco-endpoint',
      EndpointConfigName: 'reco-v0',
      EndpointStatus: 'InService',
      ProductionVariants: [{ VariantName: VARIANT_NAME, CurrentInstanceCount: 2, DesiredInstanceCount: 2 }],
    },
    serverless: {
      EndpointName: 'reco-endpoint',
      EndpointConfigName: 'reco-v0',
      EndpointStatus: 'InService',
      ProductionVariants: [
        { VariantName: VARIANT_NAME, CurrentServerlessConfig: { MemorySizeInMB: 3072, MaxConcurrency: 5 } },
      ],
    },
  } as const;

  async function run(options: { endpointExists: boolean; current?: keyof typeof described; busyCreates?: number }) {
    const { asl } = build({ [SHAPE_CONTEXT_KEY]: 'lean' });
    const definition = asl as unknown as StateMachineDefinition;
    const calls: { state: string; input: unknown }[] = [];
    let busy = options.busyCreates ?? 0;
    let deployed = false;
    const answers: Record<string, (input: unknown) => unknown> = {
      [s.guard]: () => guardOf(options.endpointExists),
      [r.checkEndpointMode]: () => described[options.current ?? 'realtime'],
      [r.recreateEndpoint]: () => {
        if (busy-- > 0) {
          throw Object.assign(new Error('Cannot create already existing endpoint'), {
            name: 'SageMaker.ValidationException',
          });
        }
        deployed = true;
        return {};
      },
      [s.createEndpoint]: () => ((deployed = true), {}),
      [s.updateEndpoint]: () => ((deployed = true), {}),
      [s.describeEndpoint]: () => ({
        ...described.serverless,
        EndpointConfigName: deployed ? 'reco-v1' : 'reco-v0',
        EndpointStatus: deployed ? 'InService' : 'Updating',
      }),
    };
    const tasks = Object.entries(definition.States)
      .filter(([, state]) => state.Type === 'Task')
      .map(([name]) => name);
    const machine = new StateMachine(definition, { validationOptions: { checkArn: false } });
    const execution = machine.run({ trigger: 'promote', promoteVersion: 'v1' }, {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(
          tasks.map((name) => [
            name,
            async (input: unknown) => {
              calls.push({ state: name, input });
              return answers[name]?.(input) ?? {};
            },
          ]),
        ) as never,
        waitTimeOverrides: { [s.waitForEndpoint]: 0 },
        retryIntervalOverrides: Object.fromEntries(tasks.map((name) => [name, 0])),
      },
      context: { Execution: { Id: 'arn:execution:1', StartTime: '2026-12-07T12:00:00Z' } } as never,
    } as never);
    let status: 'SUCCEEDED' | 'FAILED' = 'SUCCEEDED';
    try {
      await execution.result;
    } catch {
      status = 'FAILED';
    }
    const deployStates = new Set<string>([...Object.values(r), s.createEndpoint, s.updateEndpoint, s.describeEndpoint]);
    return { status, calls, path: calls.map((call) => call.state).filter((state) => deployStates.has(state)) };
  }

  it('creates the serverless endpoint when there is none', async () => {
    const { status, path } = await run({ endpointExists: false });
    expect(status).toBe('SUCCEEDED');
    expect(path).toEqual([s.createEndpoint, s.describeEndpoint]);
  });

  it('updates a serverless endpoint in place', async () => {
    const { status, path, calls } = await run({ endpointExists: true, current: 'serverless' });
    expect(status).toBe('SUCCEEDED');
    expect(path).toEqual([r.checkEndpointMode, s.updateEndpoint, s.describeEndpoint]);
    expect(calls.find((call) => call.state === s.updateEndpoint)?.input).toEqual({
      EndpointName: 'reco-endpoint',
      EndpointConfigName: 'reco-v1',
    });
  });

  it('replaces a real-time endpoint: deletes it, then creates it again once SageMaker lets go of the name', async () => {
    const { status, path, calls } = await run({ endpointExists: true, current: 'realtime', busyCreates: 2 });
    expect(status).toBe('SUCCEEDED');
    expect(path).toEqual([
      r.checkEndpointMode,
      r.deleteEndpoint,
      r.recreateEndpoint,
      r.recreateEndpoint,
      r.recreateEndpoint,
      s.describeEndpoint,
    ]);
    expect(calls.find((call) => call.state === r.deleteEndpoint)?.input).toEqual({ EndpointName: 'reco-endpoint' });
    expect(calls.map((call) => call.state)).toContain(s.recordLive);
  });

  it('gives up on the name after its retries and takes the failure path, which keeps the live version', async () => {
    const { status, calls } = await run({
      endpointExists: true,
      current: 'realtime',
      busyCreates: RECREATE_ATTEMPTS + 1,
    });
    expect(status).toBe('FAILED');
    const states = calls.map((call) => call.state);
    expect(states.filter((state) => state === r.recreateEndpoint)).toHaveLength(RECREATE_ATTEMPTS + 1);
    expect(states).toContain(s.recordFailure);
    expect(states).not.toContain(s.recordLive);
  });

  it('reads the mode from the whole description, so an endpoint mid-update or failed still tells', () => {
    const { asl } = build({ [SHAPE_CONTEXT_KEY]: 'lean' });
    expect(asl.States[r.endpointMode]?.Choices).toEqual([
      { Variable: `${CURRENT_ENDPOINT_PATH}.Description`, StringMatches: '*ServerlessConfig*', Next: s.updateEndpoint },
    ]);
    expect(asl.States[r.endpointMode]?.Default).toBe(r.deleteEndpoint);
  });
});
