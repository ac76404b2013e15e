import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

export interface RunningDashboard {
  /** What `reco dashboard` printed to open, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  /** Sends SIGTERM and resolves with the exit code and everything written to stderr. */
  stop(): Promise<{ readonly code: number | null; readonly stderr: string }>;
}

/**
 * `reco dashboard --api <api> --port 0` as an operator runs it (`node bin/reco.js`, a child
 * process), signing with the AWS credentials given as the standard environment variables.
 */
export async function startRecoDashboard(options: {
  readonly api: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly region?: string;
}): Promise<RunningDashboard> {
  const { AWS_PROFILE: _profile, AWS_SESSION_TOKEN: _token, ...env } = process.env;
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'reco.js'), 'dashboard', '--api', options.api, '--port', '0'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...env,
        AWS_ACCESS_KEY_ID: options.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
        AWS_REGION: options.region ?? 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'close') as Promise<[number | null]>;
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = /^(http:\/\/127\.0\.0\.1:\d+\/)\n/m.exec(stdout)?.[1];
      if (line !== undefined) resolve(line);
    });
    void exited.then(([code]) => reject(new Error(`reco dashboard exited ${code} before serving: ${stderr}`)));
  });
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const [code] = await exited;
      return { code, stderr };
    },
  };
}
