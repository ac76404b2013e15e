import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createHmac } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  erasureHashKeyFrom,
  InlineErasureHashKey,
  SecretsManagerErasureHashKey,
} from '#shared/adapters/erasureHashKey.ts';
import { ErasureHasher, erasureHash } from '#shared/privacy/erasureHash.ts';

const KEY = 'k'.repeat(32);
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:erasure-hash-key';
const secrets = mockClient(SecretsManagerClient);

describe('Function: erasureHash', () => {
  it('returns HMAC-SHA256 of the shopper key in hex, different per key and per shopper key', () => {
    // Act
    const hash = erasureHash(KEY, 'u:alice');

    // Assess
    expect(hash).toBe(createHmac('sha256', KEY).update('u:alice').digest('hex'));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain('alice');
    expect(erasureHash(KEY, 'a:alice')).not.toBe(hash);
    expect(erasureHash('j'.repeat(32), 'u:alice')).not.toBe(hash);
    expect(erasureHash(KEY, 'u:alice')).toBe(hash);
  });
});

describe('Class: InlineErasureHashKey', () => {
  it('returns the value as the key', async () => {
    // Act
    const key = await new InlineErasureHashKey(KEY).key();

    // Assess
    expect(key).toBe(KEY);
  });

  it('throws for a key shorter than 32 characters, naming where it came from', () => {
    // Act
    const make = () => new InlineErasureHashKey('short');

    // Assess
    expect(make).toThrow(/ERASURE_HASH_KEY has 5 characters; it needs at least 32/);
  });
});

describe('Class: SecretsManagerErasureHashKey', () => {
  beforeEach(() => {
    secrets.reset();
  });

  it('returns the secret string, read once by a hasher however often it hashes', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: KEY });
    const hasher = new ErasureHasher(new SecretsManagerErasureHashKey(new SecretsManagerClient({}), ARN));

    // Act
    const hashes = [await hasher.hash('u:a'), await hasher.hash('u:b'), (await hasher.hashFunction())('u:a')];

    // Assess
    expect(hashes).toEqual([erasureHash(KEY, 'u:a'), erasureHash(KEY, 'u:b'), erasureHash(KEY, 'u:a')]);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('returns a 503 erasure_hash_key_unavailable when Secrets Manager fails, and reads again on the next call', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejectsOnce(new Error('timeout')).resolves({ SecretString: KEY });
    const hasher = new ErasureHasher(new SecretsManagerErasureHashKey(new SecretsManagerClient({}), ARN));

    // Act
    const first = hasher.hash('u:a');

    // Assess
    await expect(first).rejects.toMatchObject({ status: 503, reason: 'erasure_hash_key_unavailable' });
    expect(await hasher.hash('u:a')).toBe(erasureHash(KEY, 'u:a'));
  });

  it('returns a 500 invalid_erasure_hash_key for a secret shorter than 32 characters', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'too-short' });

    // Act
    const read = new SecretsManagerErasureHashKey(new SecretsManagerClient({}), ARN).key();

    // Assess
    await expect(read).rejects.toMatchObject({ status: 500, reason: 'invalid_erasure_hash_key' });
  });
});

describe('Function: erasureHashKeyFrom', () => {
  it('returns the inline key when ERASURE_HASH_KEY is set, without a Secrets Manager client', async () => {
    // Act
    const source = erasureHashKeyFrom({ ERASURE_HASH_KEY: KEY, ERASURE_HASH_KEY_SECRET_ARN: ARN }, () => {
      throw new Error('no client expected');
    });

    // Assess
    expect(await source.key()).toBe(KEY);
  });

  it('returns the Secrets Manager key when only the ARN is set', () => {
    // Act
    const source = erasureHashKeyFrom({ ERASURE_HASH_KEY_SECRET_ARN: ARN }, () => new SecretsManagerClient({}));

    // Assess
    expect(source).toBeInstanceOf(SecretsManagerErasureHashKey);
  });

  it('throws naming both variables when neither is set', () => {
    // Act
    const make = () => erasureHashKeyFrom({}, () => new SecretsManagerClient({}));

    // Assess
    expect(make).toThrow(/ERASURE_HASH_KEY_SECRET_ARN \(or ERASURE_HASH_KEY\) is required/);
  });
});
