import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRecoClient, memoryStorage } from '../../../sdk/index.ts';
import { FakeFetch } from './fakes.ts';

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const client = () =>
  createRecoClient({
    endpoint: 'https://api.example.test',
    apiKey: 'k',
    fetch: new FakeFetch().fetch,
    storage: memoryStorage(),
  });

describe('SDK anonymous ids', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('come from crypto.randomUUID where the runtime has it', () => {
    // Prepare
    const randomUUID = vi.fn(() => '0b0e1f2a-3c4d-4e5f-8a6b-7c8d9e0f1a2b');
    const getRandomValues = vi.fn();
    vi.stubGlobal('crypto', { randomUUID, getRandomValues });
    // Act
    const id = client().anonymousId;
    // Assess
    expect(id).toBe('0b0e1f2a-3c4d-4e5f-8a6b-7c8d9e0f1a2b');
    expect(randomUUID).toHaveBeenCalled();
    expect(getRandomValues).not.toHaveBeenCalled();
  });

  it('are v4 UUIDs built from 16 bytes of crypto.getRandomValues without randomUUID (plain-HTTP pages)', () => {
    // Prepare
    const mathRandom = vi.spyOn(Math, 'random');
    const getRandomValues = vi.fn(<T>(bytes: T): T => {
      (bytes as Uint8Array).fill(0xff);
      return bytes;
    });
    vi.stubGlobal('crypto', { getRandomValues });
    // Act
    const id = client().anonymousId;
    // Assess
    expect(id).toMatch(uuidV4);
    // All 122 bits that are not version or variant come from getRandomValues.
    expect(id).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
    expect((getRandomValues.mock.calls[0]?.[0] as unknown as Uint8Array).length).toBe(16);
    expect(mathRandom).not.toHaveBeenCalled();
  });

  it('differ between clients with their own storage, from the fallback too', () => {
    // Prepare
    vi.stubGlobal('crypto', { getRandomValues: globalThis.crypto.getRandomValues.bind(globalThis.crypto) });
    // Act
    const ids = new Set(Array.from({ length: 50 }, () => client().anonymousId));
    // Assess
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(uuidV4);
  });

  it('are never made without Web Crypto: the client refuses to start', () => {
    // Prepare
    const mathRandom = vi.spyOn(Math, 'random');
    vi.stubGlobal('crypto', undefined);
    // Act / Assess
    expect(client).toThrow(/no crypto.getRandomValues/);
    expect(mathRandom).not.toHaveBeenCalled();
  });
});
