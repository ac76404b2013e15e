import { describe, expect, it } from 'vitest';
import { InvalidUserTokenError, mintUserToken, StaticUserTokenKeys, verifyUserToken } from '#shared/auth/userToken.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const key = (kid: string, fill: number) => ({ kid, secret: Buffer.alloc(32, fill).toString('base64') });
const keysOf = (current: object, previous?: object) => new StaticUserTokenKeys(JSON.stringify({ current, previous }));
const at = (now: number) => ({ now: () => now });

describe('Function: verifyUserToken', () => {
  it('returns the user id of a token minted with the current key', async () => {
    // Prepare
    const keys = keysOf(key('k2', 2), key('k1', 1));
    const { token } = await mintUserToken('u-1 ü', { keys, clock: at(NOW) }, 3600);

    // Act + Assess
    await expect(verifyUserToken(token, { keys, clock: at(NOW + 1000) })).resolves.toBe('u-1 ü');
  });

  it('returns the user id of a token signed with the previous key after a rotation', async () => {
    // Prepare
    const before = keysOf(key('k1', 1));
    const { token } = await mintUserToken('u1', { keys: before, clock: at(NOW) }, 3600);
    const rotated = keysOf(key('k2', 2), key('k1', 1));

    // Act + Assess
    await expect(verifyUserToken(token, { keys: rotated, clock: at(NOW) })).resolves.toBe('u1');
  });

  it.each([
    [
      'expired',
      async (keys: StaticUserTokenKeys) => (await mintUserToken('u1', { keys, clock: at(NOW - 7200_000) }, 3600)).token,
    ],
    [
      'signed by a key rotated away',
      async () => (await mintUserToken('u1', { keys: keysOf(key('k0', 9)), clock: at(NOW) }, 3600)).token,
    ],
    [
      'with its user id changed',
      async (keys: StaticUserTokenKeys) => {
        const [v, kid, exp, , mac] = (await mintUserToken('mallory', { keys, clock: at(NOW) }, 3600)).token.split('.');
        return [v, kid, exp, Buffer.from('alice').toString('base64url'), mac].join('.');
      },
    ],
    [
      'with its expiry pushed back',
      async (keys: StaticUserTokenKeys) => {
        const [v, kid, exp, user, mac] = (await mintUserToken('u1', { keys, clock: at(NOW) }, 3600)).token.split('.');
        return [v, kid, String(Number(exp) + 86_400), user, mac].join('.');
      },
    ],
    ['malformed', async () => 'not-a-token'],
    ['empty', async () => ''],
  ])('throws invalid_user_token (401) for a token %s', async (_name, tokenOf) => {
    // Prepare
    const keys = keysOf(key('k2', 2), key('k1', 1));
    const token = await tokenOf(keys);

    // Act
    const verified = verifyUserToken(token, { keys, clock: at(NOW) });

    // Assess
    await expect(verified).rejects.toBeInstanceOf(InvalidUserTokenError);
    await expect(verified).rejects.toMatchObject({ status: 401, reason: 'invalid_user_token' });
  });
});

describe('Class: StaticUserTokenKeys', () => {
  it('throws, naming the source, for keys shorter than 32 bytes or without a key id', () => {
    // Act + Assess
    expect(() => keysOf({ kid: 'k1', secret: Buffer.alloc(8).toString('base64') })).toThrow(/at least 32 bytes/);
    expect(() => keysOf({ secret: Buffer.alloc(32).toString('base64') })).toThrow(/current must be/);
  });
});
