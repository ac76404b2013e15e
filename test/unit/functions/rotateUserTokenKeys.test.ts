import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createDeps,
  createHandler,
  KEY_BYTES,
  nextUserTokenKeys,
  type RotationEvent,
} from '#functions/rotateUserTokenKeys/app.ts';
import { parseUserTokenKeys } from '#shared/auth/userToken.ts';

const SECRET = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:reco-user-token-keys-AbCdEf';
const TOKEN = 'c0ffee00-0000-4000-8000-000000000001';
const OLD_VERSION = 'c0ffee00-0000-4000-8000-000000000000';
const NOW = Date.parse('2026-12-07T10:00:00.000Z');

const secretsManager = mockClient(SecretsManagerClient);

/** Deterministic "random" bytes: 1, 2, 3, ... so keys and key ids differ from call to call. */
function countingBytes(): (size: number) => Buffer {
  let next = 1;
  return (size) => Buffer.from(Array.from({ length: size }, () => next++ % 256));
}

const keysJson = (kid: string, fill: number) =>
  JSON.stringify({ current: { kid, secret: Buffer.alloc(32, fill).toString('base64') } });

const event = (Step: string): RotationEvent => ({ Step, SecretId: SECRET, ClientRequestToken: TOKEN });

const handlerUnderTest = () =>
  createHandler(
    createDeps({}, { client: new SecretsManagerClient({}), clock: { now: () => NOW }, randomBytes: countingBytes() }),
  );

/** DescribeSecret answering these version stages (rotation on). */
const describeWith = (stages: Record<string, string[]>, rotationEnabled = true) =>
  secretsManager.on(DescribeSecretCommand).resolves({ RotationEnabled: rotationEnabled, VersionIdsToStages: stages });

const notFound = () => new ResourceNotFoundException({ message: 'no such version', $metadata: {} });

describe('Function: rotateUserTokenKeys', () => {
  beforeEach(() => {
    secretsManager.reset();
  });

  describe('Method: nextUserTokenKeys', () => {
    it('returns a new 32-byte current key and keeps the old current key as previous', () => {
      // Prepare
      const deps = createDeps({}, { clock: { now: () => NOW }, randomBytes: countingBytes() });

      // Act
      const next = parseUserTokenKeys(nextUserTokenKeys(keysJson('old', 7), deps), 'next');

      // Assess
      expect(next).toHaveLength(2);
      expect(next[0]?.kid).toMatch(/^20261207-[A-Za-z0-9_-]{12}$/);
      expect(next[0]?.secret).toHaveLength(KEY_BYTES);
      expect(next[1]).toEqual({ kid: 'old', secret: Buffer.alloc(32, 7) });
    });

    it('returns only a current key when the current value is the placeholder the stack creates', () => {
      // Prepare
      const deps = createDeps({}, { clock: { now: () => NOW }, randomBytes: countingBytes() });

      // Act
      const next = JSON.parse(nextUserTokenKeys('Qx7generatedPlaceholderWithoutJson', deps)) as Record<string, unknown>;

      // Assess
      expect(Object.keys(next)).toEqual(['current']);
    });

    it('returns different keys and key ids on each rotation', () => {
      // Prepare
      const deps = createDeps({}, { clock: { now: () => NOW }, randomBytes: countingBytes() });

      // Act
      const first = JSON.parse(nextUserTokenKeys(undefined, deps)) as { current: { kid: string; secret: string } };
      const second = JSON.parse(nextUserTokenKeys(undefined, deps)) as { current: { kid: string; secret: string } };

      // Assess
      expect(second.current.kid).not.toBe(first.current.kid);
      expect(second.current.secret).not.toBe(first.current.secret);
    });
  });

  describe('Method: createSecret', () => {
    it('puts the next keys as the AWSPENDING version of the request token', async () => {
      // Prepare
      describeWith({ [OLD_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
      secretsManager
        .on(GetSecretValueCommand, { SecretId: SECRET, VersionStage: 'AWSCURRENT' })
        .resolves({ SecretString: keysJson('old', 7) })
        .on(GetSecretValueCommand, { SecretId: SECRET, VersionId: TOKEN, VersionStage: 'AWSPENDING' })
        .rejects(notFound());
      secretsManager.on(PutSecretValueCommand).resolves({});

      // Act
      await handlerUnderTest()(event('createSecret'));

      // Assess
      const puts = secretsManager.commandCalls(PutSecretValueCommand);
      expect(puts).toHaveLength(1);
      const input = puts[0]?.args[0].input;
      expect(input).toMatchObject({ SecretId: SECRET, ClientRequestToken: TOKEN, VersionStages: ['AWSPENDING'] });
      const keys = parseUserTokenKeys(input?.SecretString ?? '', 'put');
      expect(keys.map((key) => key.kid)).toEqual([expect.stringMatching(/^20261207-/), 'old']);
    });

    it('puts nothing when the pending version exists already (a retried step)', async () => {
      // Prepare
      describeWith({ [OLD_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
      secretsManager
        .on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })
        .resolves({ SecretString: keysJson('old', 7) })
        .on(GetSecretValueCommand, { VersionId: TOKEN })
        .resolves({ SecretString: keysJson('new', 9) });

      // Act
      await handlerUnderTest()(event('createSecret'));

      // Assess
      expect(secretsManager.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    });

    it('throws on any other failure to read the pending version', async () => {
      // Prepare
      describeWith({ [OLD_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
      secretsManager
        .on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })
        .resolves({ SecretString: keysJson('old', 7) })
        .on(GetSecretValueCommand, { VersionId: TOKEN })
        .rejects(new Error('AccessDeniedException'));

      // Act + Assess
      await expect(handlerUnderTest()(event('createSecret'))).rejects.toThrow('AccessDeniedException');
      expect(secretsManager.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    });
  });

  describe('Method: setSecret', () => {
    it('changes nothing: no other service holds the keys', async () => {
      // Prepare
      describeWith({ [OLD_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });

      // Act
      await handlerUnderTest()(event('setSecret'));

      // Assess
      expect(secretsManager.calls().map((call) => call.args[0].constructor.name)).toEqual(['DescribeSecretCommand']);
    });
  });

  describe('Method: testSecret', () => {
    it('accepts pending keys that parse, with a new current key id', async () => {
      // Prepare
      describeWith({ [OLD_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
      const pending = JSON.stringify({
        current: { kid: 'new', secret: Buffer.alloc(32, 1).toString('base64') },
        previous: { kid: 'old', secret: Buffer.alloc(32, 2).toString('base64') },
      });
      secretsManager.on(GetSecretValueCommand, { VersionId: TOKEN }).resolves({ SecretString: pending });

      // Act + Assess
      await expect(handlerUnderTest()(event('testSecret'))).resolves.toBeUndefined();
    });

    it.each([
      ['a key too short', JSON.stringify({ current: { kid: 'new', secret: Buffer.alloc(16).toString('base64') } })],
      [
        'the same key id twice',
        JSON.stringify({
          current: { kid: 'same', secret: Buffer.alloc(32, 1).toString('base64') },
          previous: { kid: 'same', secret: Buffer.alloc(32, 2).toString('base64') },
        }),
      ],
      ['no JSON', 'not json'],
    ])('rejects pending keys with %s', async (_name, pending) => {
      // Prepare
      describeWith({ [OLD_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
      secretsManager.on(GetSecretValueCommand, { VersionId: TOKEN }).resolves({ SecretString: pending });

      // Act + Assess
      await expect(handlerUnderTest()(event('testSecret'))).rejects.toThrow();
    });
  });

  describe('Method: finishSecret', () => {
    it('moves AWSCURRENT from the current version to the pending one', async () => {
      // Prepare
      describeWith({ [OLD_VERSION]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
      secretsManager.on(UpdateSecretVersionStageCommand).resolves({});

      // Act
      await handlerUnderTest()(event('finishSecret'));

      // Assess
      const updates = secretsManager.commandCalls(UpdateSecretVersionStageCommand);
      expect(updates.map((call) => call.args[0].input)).toEqual([
        { SecretId: SECRET, VersionStage: 'AWSCURRENT', MoveToVersionId: TOKEN, RemoveFromVersionId: OLD_VERSION },
      ]);
    });
  });

  describe('Method: handler', () => {
    it('does nothing for a version that is AWSCURRENT already', async () => {
      // Prepare
      describeWith({ [TOKEN]: ['AWSCURRENT', 'AWSPENDING'] });

      // Act
      await handlerUnderTest()(event('finishSecret'));

      // Assess
      expect(secretsManager.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    });

    it.each([
      ['rotation is off', { [TOKEN]: ['AWSPENDING'] }, false, 'rotation off'],
      ['the token names no version', { [OLD_VERSION]: ['AWSCURRENT'] }, true, 'no version'],
      ['the version is not pending', { [TOKEN]: [] as string[] }, true, 'not AWSPENDING'],
    ])('throws when %s', async (_name, stages, enabled, message) => {
      // Prepare
      describeWith(stages, enabled);

      // Act + Assess
      await expect(handlerUnderTest()(event('createSecret'))).rejects.toThrow(message);
      expect(secretsManager.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    });

    it('throws on an unknown step', async () => {
      // Act + Assess
      await expect(handlerUnderTest()(event('dropSecret'))).rejects.toThrow('unknown rotation step');
    });
  });
});
