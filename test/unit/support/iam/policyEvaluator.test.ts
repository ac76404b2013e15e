import { describe, expect, it } from 'vitest';
import {
  evaluatePolicy,
  PolicyEvaluationError,
  wildcardMatch,
  type IamRequest,
  type PolicyStatement,
} from '../../../support/iam/policyEvaluator.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:111122223333:table/Features';
const ROLE = 'arn:aws:iam::111122223333:role/RecommendRole';
const caller = { roleArn: ROLE, account: '111122223333' };

const request = (action: string, context: IamRequest['context'] = {}, resource = TABLE): IamRequest => ({
  action,
  resource,
  context,
});

const allow = (fields: Partial<PolicyStatement>): PolicyStatement => ({ Effect: 'Allow', Resource: TABLE, ...fields });

/** The served-list statement of the recommend function's role, as synthesised. */
const recommendationLog = allow({
  Action: 'dynamodb:PutItem',
  Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['REC#*'] } },
});

describe('Function: evaluatePolicy', () => {
  describe('Effect', () => {
    it('returns allow when a statement allows the action on the resource', () => {
      // Act
      const evaluation = evaluatePolicy(
        [allow({ Action: ['dynamodb:GetItem', 'dynamodb:PutItem'] })],
        request('dynamodb:PutItem'),
      );

      // Assess
      expect(evaluation.decision).toBe('allow');
    });

    it('returns implicitDeny when no statement names the action', () => {
      // Act
      const evaluation = evaluatePolicy([allow({ Action: 'dynamodb:PutItem' })], request('dynamodb:BatchWriteItem'));

      // Assess
      expect(evaluation).toEqual({ decision: 'implicitDeny', allows: [], denies: [] });
    });

    it('returns explicitDeny when a Deny applies, whatever allows it', () => {
      // Prepare
      const deny: PolicyStatement = { Effect: 'Deny', Action: 'dynamodb:*', Resource: '*' };

      // Act
      const evaluation = evaluatePolicy([allow({ Action: '*' }), deny], request('dynamodb:PutItem'));

      // Assess
      expect(evaluation.decision).toBe('explicitDeny');
      expect(evaluation.denies).toEqual([deny]);
    });

    it('throws on an Effect other than Allow or Deny', () => {
      // Act + Assess
      expect(() => evaluatePolicy([{ Effect: 'allow', Action: '*', Resource: '*' }], request('s3:GetObject'))).toThrow(
        PolicyEvaluationError,
      );
    });
  });

  describe('Action and Resource', () => {
    it.each([
      ['dynamodb:*', 'dynamodb:PutItem', true],
      ['DynamoDB:putitem', 'dynamodb:PutItem', true],
      ['dynamodb:Get*', 'dynamodb:GetItem', true],
      ['dynamodb:Get*', 'dynamodb:BatchGetItem', false],
      ['dynamodb:?etItem', 'dynamodb:GetItem', true],
      ['*', 'sqs:SendMessage', true],
    ])('matches action pattern %s against %s: %s', (pattern, action, expected) => {
      // Act
      const evaluation = evaluatePolicy([allow({ Action: pattern })], request(action));

      // Assess
      expect(evaluation.decision === 'allow').toBe(expected);
    });

    it('allows every action but those of NotAction', () => {
      // Prepare
      const statements = [allow({ NotAction: ['dynamodb:Delete*', 'dynamodb:BatchWriteItem'] })];

      // Act + Assess
      expect(evaluatePolicy(statements, request('dynamodb:PutItem')).decision).toBe('allow');
      expect(evaluatePolicy(statements, request('dynamodb:DeleteItem')).decision).toBe('implicitDeny');
    });

    it('matches resources with wildcards and case, and the index ARN only where named', () => {
      // Prepare
      const statements = [allow({ Action: 'dynamodb:Query', Resource: `${TABLE}/index/*` })];

      // Act + Assess
      expect(evaluatePolicy(statements, request('dynamodb:Query', {}, `${TABLE}/index/byScore`)).decision).toBe(
        'allow',
      );
      expect(evaluatePolicy(statements, request('dynamodb:Query')).decision).toBe('implicitDeny');
      expect(evaluatePolicy(statements, request('dynamodb:Query', {}, `${TABLE.toLowerCase()}/index/x`)).decision).toBe(
        'implicitDeny',
      );
    });

    it('allows every resource but those of NotResource', () => {
      // Prepare
      const statements = [allow({ Action: 'dynamodb:GetItem', Resource: undefined, NotResource: `${TABLE}*` })];

      // Act + Assess
      expect(evaluatePolicy(statements, request('dynamodb:GetItem')).decision).toBe('implicitDeny');
      expect(evaluatePolicy(statements, request('dynamodb:GetItem', {}, `${TABLE}2`)).decision).toBe('implicitDeny');
      expect(
        evaluatePolicy(statements, request('dynamodb:GetItem', {}, 'arn:aws:dynamodb:::table/Other')).decision,
      ).toBe('allow');
    });

    it('throws on a policy variable in a resource', () => {
      // Act + Assess
      expect(() =>
        evaluatePolicy(
          [allow({ Action: '*', Resource: 'arn:aws:s3:::bucket/${aws:username}/*' })],
          request('s3:GetObject'),
        ),
      ).toThrow(/policy variables/);
    });
  });

  describe('Condition', () => {
    it('allows a PutItem whose leading keys all match ForAllValues:StringLike', () => {
      // Act
      const evaluation = evaluatePolicy(
        [recommendationLog],
        request('dynamodb:PutItem', { 'dynamodb:LeadingKeys': ['REC#1'] }),
      );

      // Assess
      expect(evaluation.decision).toBe('allow');
    });

    it('refuses a PutItem with a leading key outside REC#', () => {
      // Act
      const evaluation = evaluatePolicy(
        [recommendationLog],
        request('dynamodb:PutItem', { 'dynamodb:LeadingKeys': ['REC#1', 'U#u:alice'] }),
      );

      // Assess
      expect(evaluation.decision).toBe('implicitDeny');
    });

    it('holds ForAllValues for a request without the key, and not ForAnyValue', () => {
      // Prepare
      const anyValue = allow({
        Action: 'dynamodb:PutItem',
        Condition: { 'ForAnyValue:StringEquals': { 'dynamodb:LeadingKeys': ['REC#1'] } },
      });

      // Act + Assess
      expect(evaluatePolicy([recommendationLog], request('dynamodb:PutItem')).decision).toBe('allow');
      expect(evaluatePolicy([anyValue], request('dynamodb:PutItem')).decision).toBe('implicitDeny');
      expect(
        evaluatePolicy([anyValue], request('dynamodb:PutItem', { 'dynamodb:LeadingKeys': ['U#x', 'REC#1'] })).decision,
      ).toBe('allow');
    });

    it('holds StringEquals, Bool and ArnLike on single values, every key of every operator', () => {
      // Prepare
      const statement = allow({
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: {
          StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' },
          Bool: { 'aws:SecureTransport': true },
        },
      });
      const arnStatement = allow({
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { ArnLike: { 'kms:ViaService': 'arn:aws:*:us-east-1:*:x' } },
      });
      const secure = { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com', 'aws:SecureTransport': 'true' };

      // Act + Assess
      expect(evaluatePolicy([statement], request('kms:Decrypt', secure)).decision).toBe('allow');
      expect(
        evaluatePolicy([statement], request('kms:Decrypt', { ...secure, 'aws:SecureTransport': 'false' })).decision,
      ).toBe('implicitDeny');
      expect(evaluatePolicy([statement], request('kms:Decrypt', { 'aws:SecureTransport': 'true' })).decision).toBe(
        'implicitDeny',
      );
      expect(
        evaluatePolicy([arnStatement], request('kms:Decrypt', { 'kms:ViaService': 'arn:aws:s3:us-east-1:1:x' }))
          .decision,
      ).toBe('allow');
      expect(
        evaluatePolicy([arnStatement], request('kms:Decrypt', { 'kms:ViaService': 'arn:aws:s3:eu-west-1:1:x' }))
          .decision,
      ).toBe('implicitDeny');
    });

    it('holds NumericLessThan when the request value is below the policy value, and throws on one that is no number', () => {
      // Prepare
      const oldTls: PolicyStatement = {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Resource: '*',
        Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
      };
      const notANumber: PolicyStatement = { ...oldTls, Condition: { NumericLessThan: { 's3:TlsVersion': 'TLSv1.2' } } };

      // Act + Assess
      expect(evaluatePolicy([oldTls], request('s3:GetObject', { 's3:TlsVersion': '1.1' }), caller).decision).toBe(
        'explicitDeny',
      );
      expect(evaluatePolicy([oldTls], request('s3:GetObject', { 's3:TlsVersion': '1.2' }), caller).decision).toBe(
        'implicitDeny',
      );
      expect(evaluatePolicy([oldTls], request('sqs:SendMessage'), caller).decision).toBe('implicitDeny');
      expect(() => evaluatePolicy([notANumber], request('s3:GetObject'), caller)).toThrow(
        /NumericLessThan value of s3:TlsVersion is not a number/,
      );
    });

    it('holds StringLike on s3:prefix only for a listing that names a prefix under it', () => {
      // Prepare
      const events = allow({
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::lake',
        Condition: { StringLike: { 's3:prefix': ['events/*'] } },
      });
      const listing = (context: IamRequest['context']) => request('s3:ListBucket', context, 'arn:aws:s3:::lake');

      // Act + Assess
      expect(evaluatePolicy([events], listing({ 's3:prefix': 'events/dt=2026-12-07/' })).decision).toBe('allow');
      expect(evaluatePolicy([events], listing({ 's3:prefix': 'errors/' })).decision).toBe('implicitDeny');
      expect(evaluatePolicy([events], listing({})).decision).toBe('implicitDeny');
    });

    it('throws on a condition operator it does not know', () => {
      // Prepare
      const statement = allow({
        Action: 'dynamodb:PutItem',
        Condition: { StringNotEqualsIfExists: { 'dynamodb:LeadingKeys': 'x' } },
      });

      // Act + Assess
      expect(() => evaluatePolicy([statement], request('dynamodb:PutItem'))).toThrow(
        /condition operator StringNotEqualsIfExists is not supported/,
      );
    });

    it('throws on a condition key it does not know, even when the action does not match', () => {
      // Prepare
      const statement = allow({
        Action: 'sqs:SendMessage',
        Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } },
      });

      // Act + Assess
      expect(() => evaluatePolicy([statement], request('dynamodb:GetItem'))).toThrow(/aws:SourceVpce is not known/);
    });

    it('throws on a single-valued operator over a multi-valued key', () => {
      // Prepare
      const statement = allow({ Action: '*', Condition: { StringLike: { 'dynamodb:LeadingKeys': 'REC#*' } } });

      // Act + Assess
      expect(() =>
        evaluatePolicy([statement], request('dynamodb:PutItem', { 'dynamodb:LeadingKeys': ['REC#1'] })),
      ).toThrow(/ForAllValues or ForAnyValue/);
    });
  });

  describe('Principal', () => {
    it.each([
      ['*', 'caller'],
      [{ AWS: '*' }, 'caller'],
      [{ AWS: ROLE }, 'caller'],
      [{ AWS: ['arn:aws:iam::111122223333:role/Other', 'arn:aws:iam::111122223333:root'] }, 'account'],
    ])('sees principal %j cover the caller as %s', (principal, expected) => {
      // Act
      const evaluation = evaluatePolicy(
        [allow({ Action: '*', Principal: principal })],
        request('dynamodb:GetItem'),
        caller,
      );

      // Assess
      expect(evaluation.allows.map((entry) => entry.principal)).toEqual([expected]);
    });

    it('leaves out statements for another role or a service', () => {
      // Prepare
      const statements = [
        allow({ Action: '*', Principal: { AWS: 'arn:aws:iam::111122223333:role/Other' } }),
        allow({ Action: '*', Principal: { Service: 'lambda.amazonaws.com' } }),
      ];

      // Act + Assess
      expect(evaluatePolicy(statements, request('dynamodb:GetItem'), caller).decision).toBe('implicitDeny');
    });

    it('throws on a principal in an identity policy and on a missing one in a resource policy', () => {
      // Act + Assess
      expect(() => evaluatePolicy([allow({ Action: '*', Principal: '*' })], request('dynamodb:GetItem'))).toThrow(
        /identity policy statement names a Principal/,
      );
      expect(() => evaluatePolicy([allow({ Action: '*' })], request('dynamodb:GetItem'), caller)).toThrow(
        /no Principal/,
      );
      expect(() =>
        evaluatePolicy(
          [allow({ Action: '*', Principal: { Federated: 'cognito' } })],
          request('dynamodb:GetItem'),
          caller,
        ),
      ).toThrow(/Federated is not supported/);
    });
  });
});

describe('Function: wildcardMatch', () => {
  it('treats every other character literally', () => {
    // Act + Assess
    expect(wildcardMatch('a.b+(c)', 'a.b+(c)', false)).toBe(true);
    expect(wildcardMatch('a.b', 'axb', false)).toBe(false);
  });
});
