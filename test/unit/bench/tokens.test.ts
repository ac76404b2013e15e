import { describe, expect, it } from 'vitest';
import { api } from '#shared/config/index.ts';
import { StaticUserTokenKeys, verifyUserToken } from '#shared/auth/userToken.ts';
import { idsOf, ShopperTokens } from '../../../bench/lib/serving/tokens.ts';

describe('Bench: serving', () => {
  describe('Class: ShopperTokens', () => {
    it("gives a minted shopper's page the storefront key and a token the stack's keys verify", async () => {
      // Prepare
      const tokens = new ShopperTokens('bench-key');
      const stackKeys = new StaticUserTokenKeys(tokens.keysJson);

      // Act
      await tokens.mint(['u1', 'live-2']);
      const headers = tokens.headers('live-2');

      // Assess
      expect(headers[api.apiKeyHeader]).toBe('bench-key');
      const token = headers[api.userTokenHeader] ?? '';
      expect(await verifyUserToken(token, { keys: stackKeys, clock: { now: () => Date.now() } })).toBe('live-2');
    });

    it('refuses headers for a shopper never minted, and mints on demand through headersOf', async () => {
      // Prepare
      const tokens = new ShopperTokens('bench-key');

      // Act & Assess
      expect(() => tokens.headers('probe-1')).toThrow(/no user token minted for probe-1/);
      const headers = await tokens.headersOf('probe-1');
      expect(tokens.headers('probe-1')).toEqual(headers);
    });

    it('signs with a new key per run', () => {
      // Act & Assess
      expect(new ShopperTokens('k').keysJson).not.toBe(new ShopperTokens('k').keysJson);
    });
  });

  describe('Function: idsOf', () => {
    it('lists each id once', () => {
      // Act & Assess
      expect([...idsOf(5, (n) => `s-${n % 3}`)]).toEqual(['s-0', 's-1', 's-2']);
    });
  });
});
