import { describe, expect, it } from 'vitest';
import { describeFindings, IamGuard, type GuardedCode } from '../../../support/iam/guard.ts';
import type { RecordedCall } from '../../../support/iam/recorder.ts';
import { TemplateModel, type CfnResource, type CfnTemplate } from '../../../support/iam/template.ts';

const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:111122223333:table/Table';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:Secret-AbCdEf';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/Queue';
const ROOT = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] };
const serviceName = (service: string) => ({
  'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, `.${service}`]],
});
const policy = (role: string, statements: unknown[]): CfnResource => ({
  Type: 'AWS::IAM::Policy',
  Properties: { Roles: [{ Ref: role }], PolicyDocument: { Version: '2012-10-17', Statement: statements } },
});

/**
 * A serving function in an isolated VPC (DynamoDB gateway endpoint with a policy, SageMaker runtime
 * endpoint without one, no Secrets Manager endpoint) that may read the table and write `REC#` items
 * only, and a worker outside any VPC that sends to a queue and reads a secret whose key policy leaves
 * the key to IAM.
 */
function template(extra: Readonly<Record<string, CfnResource>> = {}): CfnTemplate {
  return {
    Resources: {
      Table: {
        Type: 'AWS::DynamoDB::GlobalTable',
        Properties: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] },
      },
      Vpc: { Type: 'AWS::EC2::VPC' },
      SubnetA: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' } } },
      RouteTableA: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: { Ref: 'Vpc' } } },
      AssociationA: {
        Type: 'AWS::EC2::SubnetRouteTableAssociation',
        Properties: { SubnetId: { Ref: 'SubnetA' }, RouteTableId: { Ref: 'RouteTableA' } },
      },
      DynamoDbEndpoint: {
        Type: 'AWS::EC2::VPCEndpoint',
        Properties: {
          VpcEndpointType: 'Gateway',
          ServiceName: serviceName('dynamodb'),
          VpcId: { Ref: 'Vpc' },
          RouteTableIds: [{ Ref: 'RouteTableA' }],
          PolicyDocument: {
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: '*' },
                Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
                Resource: { 'Fn::GetAtt': ['Table', 'Arn'] },
              },
            ],
          },
        },
      },
      SageMakerEndpoint: {
        Type: 'AWS::EC2::VPCEndpoint',
        Properties: {
          VpcEndpointType: 'Interface',
          ServiceName: serviceName('sagemaker.runtime'),
          VpcId: { Ref: 'Vpc' },
          PrivateDnsEnabled: true,
        },
      },
      ServingRole: { Type: 'AWS::IAM::Role' },
      ServingPolicy: policy('ServingRole', [
        { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': ['Table', 'Arn'] } },
        {
          Effect: 'Allow',
          Action: 'dynamodb:PutItem',
          Resource: { 'Fn::GetAtt': ['Table', 'Arn'] },
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['REC#*'] } },
        },
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: 'Secret' } },
        { Effect: 'Allow', Action: 'sagemaker:InvokeEndpoint', Resource: '*' },
      ]),
      ServingFunction: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Role: { 'Fn::GetAtt': ['ServingRole', 'Arn'] },
          VpcConfig: { SubnetIds: [{ Ref: 'SubnetA' }] },
          Environment: { Variables: { TABLE: { Ref: 'Table' }, SECRET: { 'Fn::Sub': '${Secret}' } } },
        },
      },
      WorkerRole: { Type: 'AWS::IAM::Role' },
      WorkerPolicy: policy('WorkerRole', [
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: 'Secret' } },
      ]),
      WorkerFunction: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Role: { 'Fn::GetAtt': ['WorkerRole', 'Arn'] },
          Environment: { Variables: { QUEUE: { Ref: 'Queue' } } },
        },
      },
      Queue: { Type: 'AWS::SQS::Queue' },
      QueuePolicy: {
        Type: 'AWS::SQS::QueuePolicy',
        Properties: {
          Queues: [{ Ref: 'Queue' }],
          PolicyDocument: {
            Statement: [
              {
                Effect: 'Deny',
                Principal: { AWS: '*' },
                Action: 'sqs:*',
                Resource: { 'Fn::GetAtt': ['Queue', 'Arn'] },
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              },
            ],
          },
        },
      },
      Key: {
        Type: 'AWS::KMS::Key',
        Properties: {
          KeyPolicy: {
            Statement: [
              { Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' },
              {
                Effect: 'Allow',
                Principal: { AWS: { 'Fn::GetAtt': ['ServingRole', 'Arn'] } },
                Action: 'kms:Decrypt',
                Resource: '*',
                Condition: {
                  StringEquals: {
                    'kms:ViaService': {
                      'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
                    },
                  },
                },
              },
            ],
          },
        },
      },
      Secret: { Type: 'AWS::SecretsManager::Secret', Properties: { KmsKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] } } },
      ...extra,
    },
  };
}

const FUNCTIONS: GuardedCode[] = [
  { name: 'serving', logicalId: 'ServingFunction' },
  { name: 'worker', logicalId: 'WorkerFunction' },
  { name: 'job', roleLogicalId: 'JobRole' },
];

const guardOf = (extra?: Readonly<Record<string, CfnResource>>) =>
  new IamGuard(new TemplateModel(template(extra)), FUNCTIONS);

const BUCKET_ARN = { 'Fn::GetAtt': ['Lake', 'Arn'] };
const objectsOf = (pattern: string) => ({ 'Fn::Join': ['', [BUCKET_ARN, `/${pattern}`]] });
const S3_VIA = { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] };

/**
 * A lake bucket encrypted with a key whose policy leaves it to IAM, its bucket policy refusing
 * plain HTTP and old TLS, and a job role (no Lambda function: a service runs code with it) that may
 * list and read `events/` and decrypt through S3, with `jobStatements` instead when given.
 */
function lake(jobStatements?: unknown[]): Record<string, CfnResource> {
  const denyAll = (condition: unknown) => ({
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: 's3:*',
    Resource: [BUCKET_ARN, objectsOf('*')],
    Condition: condition,
  });
  return {
    LakeKey: {
      Type: 'AWS::KMS::Key',
      Properties: {
        KeyPolicy: { Statement: [{ Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' }] },
      },
    },
    Lake: {
      Type: 'AWS::S3::Bucket',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': ['LakeKey', 'Arn'] },
              },
            },
          ],
        },
      },
    },
    LakePolicy: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: {
        Bucket: { Ref: 'Lake' },
        PolicyDocument: {
          Statement: [
            denyAll({ Bool: { 'aws:SecureTransport': 'false' } }),
            denyAll({ NumericLessThan: { 's3:TlsVersion': 1.2 } }),
          ],
        },
      },
    },
    JobRole: { Type: 'AWS::IAM::Role' },
    JobPolicy: policy(
      'JobRole',
      jobStatements ?? [
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: BUCKET_ARN,
          Condition: { StringLike: { 's3:prefix': ['events/*'] } },
        },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: objectsOf('events/*') },
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: { 'Fn::GetAtt': ['LakeKey', 'Arn'] },
          Condition: { StringEquals: { 'kms:ViaService': S3_VIA } },
        },
      ],
    ),
  };
}

const readLake = (key: string): RecordedCall => ({
  functionName: 'job',
  client: 'S3Client',
  command: 'GetObjectCommand',
  input: { Bucket: 'lake', Key: key },
});
const listLake = (prefix: string): RecordedCall => ({
  functionName: 'job',
  client: 'S3Client',
  command: 'ListObjectsV2Command',
  input: { Bucket: 'lake', Prefix: prefix },
});

const put = (functionName: string, pk: string): RecordedCall => ({
  functionName,
  client: 'DynamoDBDocumentClient',
  command: 'PutCommand',
  input: { TableName: 'Table', Item: { pk, sk: 'x' } },
});
const getSecret = (functionName: string): RecordedCall => ({
  functionName,
  client: 'SecretsManagerClient',
  command: 'GetSecretValueCommand',
  input: { SecretId: SECRET_ARN },
});
const sendToQueue: RecordedCall = {
  functionName: 'worker',
  client: 'SQSClient',
  command: 'SendMessageBatchCommand',
  input: { QueueUrl: QUEUE_URL, Entries: [] },
};

describe('Class: IamGuard', () => {
  describe('Method: check', () => {
    it('returns no finding for calls the role, the resource policies and the endpoints allow', () => {
      // Prepare
      const calls: RecordedCall[] = [
        put('serving', 'REC#1'),
        {
          functionName: 'serving',
          client: 'DynamoDBDocumentClient',
          command: 'GetCommand',
          input: { TableName: 'Table', Key: { pk: 'U#a' } },
        },
        {
          functionName: 'serving',
          client: 'SageMakerRuntimeClient',
          command: 'InvokeEndpointCommand',
          input: { EndpointName: 'm' },
        },
        sendToQueue,
      ];

      // Act
      const findings = guardOf().check(calls);

      // Assess
      expect(findings, describeFindings(findings)).toEqual([]);
    });

    it('reports a BatchWriteItem that neither the role nor the endpoint allows', () => {
      // Act
      const findings = guardOf().check([
        {
          functionName: 'serving',
          client: 'DynamoDBDocumentClient',
          command: 'BatchWriteCommand',
          input: { RequestItems: { Table: [{ PutRequest: { Item: { pk: 'REC#1', sk: 'REC' } } }] } },
        },
      ]);

      // Assess
      expect(findings).toEqual([
        {
          functionName: 'serving',
          command: 'DynamoDBDocumentClient BatchWriteCommand',
          action: 'dynamodb:BatchWriteItem',
          resource: TABLE_ARN,
          context: { 'aws:SecureTransport': 'true', 'dynamodb:LeadingKeys': ['REC#1'] },
          reasons: [
            "no statement of the role's policy allows it",
            "no statement of VPC endpoint DynamoDbEndpoint's policy allows it",
          ],
        },
      ]);
      expect(describeFindings(findings)).toContain(`serving may not dynamodb:BatchWriteItem on ${TABLE_ARN}`);
    });

    it('reports a PutItem outside the leading keys its role allows', () => {
      // Act
      const findings = guardOf().check([put('serving', 'U#alice')]);

      // Assess
      expect(findings.map((finding) => [finding.action, finding.reasons])).toEqual([
        ['dynamodb:PutItem', ["no statement of the role's policy allows it"]],
      ]);
    });

    it('reports a call from an isolated VPC to a service it has no endpoint for, unless a route leads out', () => {
      // Prepare
      const natRoute: CfnResource = {
        Type: 'AWS::EC2::Route',
        Properties: {
          RouteTableId: { Ref: 'RouteTableA' },
          DestinationCidrBlock: '0.0.0.0/0',
          NatGatewayId: { Ref: 'Nat' },
        },
      };

      // Act
      const isolated = guardOf().check([getSecret('serving')]);
      const routed = guardOf({ Nat: { Type: 'AWS::EC2::NatGateway' }, NatRoute: natRoute }).check([
        getSecret('serving'),
      ]);

      // Assess
      expect(isolated.map((finding) => finding.reasons)).toEqual([
        ["the function's VPC has no endpoint for secretsmanager and no route out"],
      ]);
      expect(routed).toEqual([]);
    });

    it('reports the KMS decrypt of a secret whose key policy leaves the key to IAM, when the role lacks it', () => {
      // Act
      const findings = guardOf().check([getSecret('worker')]);

      // Assess
      expect(findings).toEqual([
        expect.objectContaining({
          functionName: 'worker',
          action: 'kms:Decrypt',
          resource: 'arn:aws:kms:us-east-1:111122223333:key/Key',
          context: { 'aws:SecureTransport': 'true', 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' },
          reasons: ["no statement of the role's policy allows it (the key policy leaves it to IAM)"],
        }),
      ]);
    });

    it('reports an explicit Deny in a queue policy over the role allowing the send', () => {
      // Prepare
      const denied = {
        QueuePolicy: {
          Type: 'AWS::SQS::QueuePolicy',
          Properties: {
            Queues: [{ Ref: 'Queue' }],
            PolicyDocument: {
              Statement: [
                {
                  Sid: 'NoPoison',
                  Effect: 'Deny',
                  Principal: { AWS: { 'Fn::GetAtt': ['WorkerRole', 'Arn'] } },
                  Action: 'sqs:SendMessage',
                  Resource: '*',
                },
              ],
            },
          },
        },
      };

      // Act
      const findings = guardOf(denied).check([sendToQueue]);

      // Assess
      expect(findings.map((finding) => finding.reasons)).toEqual([['the resource policy denies it (NoPoison)']]);
    });

    it("returns no finding for a role's listing and reads under the prefix it may read, decrypted through S3", () => {
      // Act
      const findings = guardOf(lake()).check([
        listLake('events/dt=2026-12-07/'),
        readLake('events/dt=2026-12-07/a.gz'),
      ]);

      // Assess
      expect(findings, describeFindings(findings)).toEqual([]);
    });

    it('reports a listing outside the s3:prefix a role may list, and a read outside its objects', () => {
      // Act
      const findings = guardOf(lake()).check([listLake('errors/'), readLake('errors/a.gz')]);

      // Assess
      expect(findings.map((finding) => [finding.functionName, finding.action, finding.resource])).toEqual([
        ['job', 's3:ListBucket', 'arn:aws:s3:::lake'],
        ['job', 's3:GetObject', 'arn:aws:s3:::lake/errors/a.gz'],
      ]);
    });

    it("reports the KMS decrypt of an object of a bucket encrypted with the template's key, when the role lacks it", () => {
      // Prepare
      const withoutKey = lake([{ Effect: 'Allow', Action: 's3:GetObject', Resource: objectsOf('events/*') }]);

      // Act
      const findings = guardOf(withoutKey).check([readLake('events/a.gz')]);

      // Assess
      expect(findings).toEqual([
        expect.objectContaining({
          action: 'kms:Decrypt',
          resource: 'arn:aws:kms:us-east-1:111122223333:key/LakeKey',
          context: { 'aws:SecureTransport': 'true', 'kms:ViaService': 's3.us-east-1.amazonaws.com' },
        }),
      ]);
    });

    it("applies a bucket policy to the bucket's objects: an explicit Deny there wins over the role", () => {
      // Prepare
      const extra = lake();
      const denied = {
        ...extra,
        LakePolicy: {
          Type: 'AWS::S3::BucketPolicy',
          Properties: {
            Bucket: { Ref: 'Lake' },
            PolicyDocument: {
              Statement: [
                {
                  Sid: 'NoJobReads',
                  Effect: 'Deny',
                  Principal: { AWS: { 'Fn::GetAtt': ['JobRole', 'Arn'] } },
                  Action: 's3:GetObject',
                  Resource: objectsOf('*'),
                },
              ],
            },
          },
        },
      } satisfies Record<string, CfnResource>;

      // Act
      const findings = guardOf(denied).check([readLake('events/a.gz')]);

      // Assess
      expect(findings.map((finding) => [finding.action, finding.reasons])).toEqual([
        ['s3:GetObject', ['the resource policy denies it (NoJobReads)']],
      ]);
    });

    it("reports the auto-scaling deregistration a SageMaker endpoint's deletion makes with the caller's permissions", () => {
      // Prepare
      const endpointArn = 'arn:aws:sagemaker:us-east-1:111122223333:endpoint/reco';
      const teardown = (statements: unknown[]): Record<string, CfnResource> => ({
        WorkerPolicy: policy('WorkerRole', [
          { Effect: 'Allow', Action: 'sagemaker:DeleteEndpoint', Resource: endpointArn },
          ...statements,
        ]),
      });
      const deregister = {
        Effect: 'Allow',
        Action: 'application-autoscaling:DeregisterScalableTarget',
        Resource: 'arn:aws:application-autoscaling:us-east-1:111122223333:scalable-target/*',
        Condition: {
          StringEquals: {
            'application-autoscaling:service-namespace': 'sagemaker',
            'application-autoscaling:scalable-dimension': 'sagemaker:variant:DesiredInstanceCount',
          },
        },
      };
      const deleteEndpoint: RecordedCall = {
        functionName: 'worker',
        client: 'SageMakerClient',
        command: 'DeleteEndpointCommand',
        input: { EndpointName: 'reco' },
      };

      // Act
      const without = guardOf(teardown([])).check([deleteEndpoint]);
      const withIt = guardOf(teardown([deregister])).check([deleteEndpoint]);

      // Assess
      expect(without.map((finding) => [finding.command, finding.action, finding.reasons])).toEqual([
        [
          'SageMakerClient DeleteEndpointCommand',
          'application-autoscaling:DeregisterScalableTarget',
          ["no statement of the role's policy allows it"],
        ],
      ]);
      expect(withIt).toEqual([]);
    });

    it('throws for a function the template does not run', () => {
      // Act + Assess
      expect(() => guardOf().check([put('unknown', 'REC#1')])).toThrow(
        /no Lambda function or role of the template runs unknown/,
      );
    });
  });
});

describe('Class: TemplateModel', () => {
  describe('Method: lambda', () => {
    it('resolves environment tokens to the names and ARNs policies use', () => {
      // Act
      const fn = new TemplateModel(template()).lambda('ServingFunction');

      // Assess
      expect(fn).toMatchObject({
        roleArn: 'arn:aws:iam::111122223333:role/ServingRole',
        environment: { TABLE: 'Table', SECRET: SECRET_ARN },
        vpc: { vpcId: 'Vpc', routeTableIds: ['RouteTableA'] },
      });
    });
  });

  describe('Method: processingJob', () => {
    /** A state machine whose `Export` state starts a Processing job with `JobRole`. */
    const stateMachine = (networkConfig?: unknown): Record<string, CfnResource> => ({
      ...lake(),
      Machine: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: {
          DefinitionString: {
            'Fn::Join': [
              '',
              [
                '{"StartAt":"Export","States":{"Export":{"Type":"Task","End":true,"Resource":"arn:',
                { Ref: 'AWS::Partition' },
                ':states:::sagemaker:createProcessingJob.sync","Parameters":{"RoleArn":"',
                { 'Fn::GetAtt': ['JobRole', 'Arn'] },
                '","Environment":{"LAKE_URI":"s3://',
                { Ref: 'Lake' },
                '/events/","WINDOW_FROM.$":"$.guard.window.from"}',
                networkConfig === undefined ? '' : `,"NetworkConfig":${JSON.stringify(networkConfig)}`,
                '}}}}',
              ],
            ],
          },
        },
      },
    });

    it("returns the job's role and its environment, fixed values resolved and paths apart", () => {
      // Act
      const job = new TemplateModel(template(stateMachine())).processingJob('Export');

      // Assess
      expect(job).toEqual({
        logicalId: 'JobRole',
        roleLogicalId: 'JobRole',
        roleArn: 'arn:aws:iam::111122223333:role/JobRole',
        vpc: undefined,
        stateMachineLogicalId: 'Machine',
        environment: { LAKE_URI: 's3://lake/events/' },
        environmentPaths: { WINDOW_FROM: '$.guard.window.from' },
      });
    });

    it('throws for a job in a VPC and for a state that is not there', () => {
      // Prepare
      const model = new TemplateModel(template(stateMachine({ VpcConfig: { Subnets: ['subnet-1'] } })));

      // Act + Assess
      expect(() => model.processingJob('Export')).toThrow(/runs its job in a VPC/);
      expect(() => model.processingJob('Train')).toThrow(/0 states .* are named Train/);
    });
  });

  describe('Method: customResource', () => {
    it("returns the custom resource's properties with the state machine's ARN and name resolved", () => {
      // Prepare
      const model = new TemplateModel(
        template({
          Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
          Teardown: {
            Type: 'Custom::Teardown',
            Properties: { StateMachineArn: { Ref: 'Machine' }, Name: { 'Fn::GetAtt': ['Machine', 'Name'] } },
          },
        }),
      );

      // Act + Assess
      expect(model.customResource('Custom::Teardown')).toEqual({
        StateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:Machine',
        Name: 'Machine',
      });
    });
  });

  describe('Method: resolve', () => {
    it('throws on an intrinsic function it cannot resolve', () => {
      // Act + Assess
      expect(() => new TemplateModel(template()).resolve({ 'Fn::If': ['HasModel', 'a', 'b'] })).toThrow(
        /cannot resolve Fn::If/,
      );
    });
  });
});
