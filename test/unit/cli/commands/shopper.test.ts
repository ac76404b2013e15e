import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../../../cli/reco.ts';

/** Runs the CLI and returns its exit code and what it wrote to stderr. */
async function run(argv: readonly string[]): Promise<{ code: number; stderr: string }> {
  const err: string[] = [];
  const io = { stdout: { write: () => true }, stderr: { write: (text: string) => err.push(text) } };
  const code = await main(argv, io as never);
  return { code, stderr: err.join('') };
}

// An address nothing answers on: a flag that passed the checks would fail later, with exit code 1.
const API = 'http://127.0.0.1:9';

describe('Command: reco user-token', () => {
  it.each(['', '0x10', '1e3', '1.5', ' 60', '99999999999'])(
    'returns exit code 2 naming --ttl for --ttl "%s", before any call',
    async (ttl) => {
      // Act
      const { code, stderr } = await run(['user-token', '--user', 'u1', `--ttl=${ttl}`, '--api', API]);

      // Assess
      expect(code).toBe(2);
      expect(stderr).toContain(`--ttl must be a whole number of seconds, got "${ttl}"`);
    },
  );
});

describe('Command: reco erase', () => {
  it('returns exit code 2 naming --region for an empty --region, before any call', async () => {
    // Act
    const { code, stderr } = await run(['erase', '--user', 'u1', '--region', '', '--api', API]);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('--region must name a region');
  });
});

describe('Command: reco erase (no answer)', () => {
  it('returns exit code 1 naming the URL, the cause and --api when nothing answers there', async () => {
    // Prepare: credentials, so the call is signed and sent.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', undefined);
    vi.stubEnv('AWS_PROFILE', undefined);

    // A port that was just free, so the connection is refused.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));

    // Act
    const { code, stderr } = await run(['erase', '--user', 'u1', '--api', `http://127.0.0.1:${port}`]);
    vi.unstubAllEnvs();

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      `reco: cannot reach the server API at http://127.0.0.1:${port} (ECONNREFUSED); check --api (or RECO_SERVER_API_URL)\n`,
    );
  });
});
