import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/*
 * Integration tests run the Redis cache adapter against a real server. With REDIS_URL set, that
 * server is used; otherwise one is started here from Debian's `redis-server` (which `.ci/run`
 * installs) on a free loopback port, with persistence off, and stopped after the run.
 */

let server: ChildProcess | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export async function setup(): Promise<void> {
  if (process.env.REDIS_URL) return;
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error(
      'integration tests need Redis: install redis-server (apt-get install redis-server) or set REDIS_URL',
    );
  }
  const port = await freePort();
  server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    if (spawnSync('redis-cli', ['-u', url, 'ping']).stdout?.toString().trim() === 'PONG') {
      process.env.REDIS_URL = url;
      return;
    }
    await sleep(50);
  }
  throw new Error(`redis-server did not answer on ${url}`);
}

export async function teardown(): Promise<void> {
  server?.kill('SIGTERM');
}
