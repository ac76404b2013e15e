import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * `npm start` as a user runs it: a child process, over HTTP, through the CLI's own flags.
 * The stand-in endpoint variables are cleared so the stack starts its own.
 */

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startCli(args: string[]) {
  const env = { ...process.env, AWS_ENDPOINT_URL_DYNAMODB: '', AWS_ENDPOINT_URL_KINESIS: '' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', ...args], {
    cwd: join(import.meta.dirname, '..', '..'),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const finished = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, finished, output: () => stdout };
}

describe('CLI: npm start', () => {
  it('--once runs a bounded scenario, drains the stream and exits 0 with recommendations for u1', async () => {
    // Act
    const { finished } = startCli(['--once', '--port', '0', '--events', '1500']);
    const run = await finished;
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout.slice(run.stdout.indexOf('\n{'))) as {
      ok: boolean;
      drained: boolean;
      traffic: { sent: number; accepted: number };
      stream: { processed: number; discarded: number };
      recommendationsForU1: { items: { itemId: string; score: number }[] };
    };
    expect(summary.ok).toBe(true);
    expect(summary.traffic.sent).toBe(1500);
    expect(summary.traffic.accepted).toBe(1500);
    expect(summary.stream).toMatchObject({ processed: 1500, discarded: 0 });
    expect(summary.recommendationsForU1.items.length).toBe(5);
  });

  it('serves until SIGINT with live traffic, then shuts down cleanly', async () => {
    // Prepare
    const cli = startCli(['--port', '0', '--rate', '200']);
    const deadline = Date.now() + 30_000;
    let url: string | undefined;
    while (!url && Date.now() < deadline) {
      url = /on (http:\/\/localhost:\d+)/.exec(cli.output())?.[1];
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(url, 'the stack never printed its URL').toBeDefined();
    // Act: let the simulator's events flow, then ask as the README's curl does.
    let items: unknown[] = [];
    while (items.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const response = await fetch(`${url}/v1/users/u1/recommendations`, { headers: { 'x-api-key': 'local-dev-key' } });
      items = ((await response.json()) as { items: unknown[] }).items;
    }
    cli.child.kill('SIGINT');
    const run = await cli.finished;
    // Assess
    expect(items.length).toBeGreaterThan(0);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('shutting down');
  });

  it('prints the key, the server credentials, a token for u1 and curl lines for both callers that work as printed', async () => {
    // Prepare
    const cli = startCli(['--port', '0', '--rate', '0', '--no-model']);
    const deadline = Date.now() + 30_000;
    while (!cli.output().includes("try, as the shop's backend") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 200));
    const printed = cli.output();
    const curls = printed
      .split('\n')
      .filter((line) => line.startsWith('  curl '))
      .map((line) => line.trim());

    // Act: each line through a shell, as a user pastes it.
    const statuses: string[] = [];
    for (const line of curls) {
      const shell = spawn('bash', ['-c', `${line} -s -o /dev/null -w '%{http_code}'`], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      shell.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await new Promise((resolve) => shell.on('close', resolve));
      statuses.push(out);
    }
    const shopUrl = /demo shop: (http:\/\/localhost:\d+\/)/.exec(printed)?.[1] ?? '';
    const shopPage = await fetch(shopUrl);
    cli.child.kill('SIGINT');
    const run = await cli.finished;

    // Assess
    expect(printed).toMatch(/storefront API key: local-dev-key/);
    expect(printed).toMatch(/access key local, secret local-dev-secret/);
    expect(printed).toMatch(/user token for u1 .*: v1\.\S+/);
    expect(curls.filter((line) => line.includes('--aws-sigv4')).length).toBeGreaterThanOrEqual(3);
    expect(curls.filter((line) => line.includes('x-reco-user-token')).length).toBeGreaterThanOrEqual(2);
    expect(statuses).toEqual(curls.map(() => '200'));
    expect([shopPage.status, shopPage.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(await shopPage.text()).toContain('<script id="shop-config"');
    expect(run.code, run.stderr).toBe(0);
  });

  it('names the flag when an option is invalid and exits 2', async () => {
    const run = await startCli(['--port', 'abc']).finished;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--port');
  });

  it('fails at once with a clear message when the port is taken, before training the model', async () => {
    // Prepare
    const { createServer } = await import('node:net');
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    // Act
    const run = await startCli(['--port', String(port), '--rate', '0']).finished;
    blocker.close();
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`port ${port} is in use (EADDRINUSE)`);
    expect(run.stdout).not.toContain('training the local model');
  });
});
