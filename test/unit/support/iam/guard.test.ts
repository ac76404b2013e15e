import { describe, expect, it } from 'vitest';
import { describeFindings, IamGuard } from '../../../support/iam/guard.ts';
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

const FUNCTIONS = [
  { name: 'serving', logicalId: 'ServingFunction' },
  { name: 'worker', logicalId: 'WorkerFunction' },
];

const guardOf = (extra?: Readonly<Record<string, CfnResource>>) =>
  new IamGuard(new TemplateModel(template(extra)), FUNCTIONS);

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

    it('throws for a function the template does not run', () => {
      // Act + Assess
      expect(() => guardOf().check([put('unknown', 'REC#1')])).toThrow(
        /no Lambda function of the template runs unknown/,
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

  describe('Method: resolve', () => {
    it('throws on an intrinsic function it cannot resolve', () => {
      // Act + Assess
      expect(() => new TemplateModel(template()).resolve({ 'Fn::If': ['HasModel', 'a', 'b'] })).toThrow(
        /cannot resolve Fn::If/,
      );
    });
  });
});
