/**
 * Self time by function in V8 `.cpuprofile` files (`--cpu-prof`), within a window of the monotonic
 * clock: what `bench/profile.ts` prints for the storefront suite's processes. V8 stamps
 * samples with the same monotonic clock as `process.hrtime`, in µs, so a suite can log its load
 * window once and every process's profile is cut to it.
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A window of the monotonic clock, µs, as `process.hrtime.bigint() / 1000n` reads it. */
export interface ProfileWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

/** What a suite writes beside the profiles (`window.json`): the load window and the role of each pid. */
export interface ProfileWindowFile extends ProfileWindow {
  readonly roles: Readonly<Record<string, number>>;
}

export interface SelfTime {
  /** `function file:line`, the file relative to `node_modules/` or the repository. */
  readonly frame: string;
  readonly ms: number;
  /** Share of the process's busy (non-idle) time in the window. */
  readonly share: number;
}

export interface ProfileSummary {
  /** Wall time the window covers in this profile, ms. */
  readonly wallMs: number;
  /** Sampled time not idle (JavaScript, GC, native), ms. */
  readonly busyMs: number;
  readonly functions: readonly SelfTime[];
  /** Self time by npm package, Node module group or repository folder. */
  readonly packages: readonly SelfTime[];
}

const IDLE = '(idle)';

/** The package (or `node:*` module, or repository folder such as `shared/adapters`) a frame's file belongs to. */
export function packageOf(url: string): string {
  if (url === '') return '(native)';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1] as string;
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?([^/]+).*$/, 'node:$1$2');
  const local = /\/(bench|functions|local|shared|sdk|infra)\/(?:([^/]+)\/)?/.exec(url);
  if (local) return local[2] && !local[2].includes('.') ? `${local[1]}/${local[2]}` : (local[1] as string);
  return url;
}

function frameOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*node_modules\//, '').replace(/^.*\/(bench|functions|local|shared)\//, '$1/');
  return file === '' ? functionName || '(anonymous)' : `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

const ranked = (totals: ReadonlyMap<string, number>, busyUs: number, top: number): SelfTime[] =>
  [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, us]) => ({ frame, ms: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }));

/** Self time of `profile` within `window` (the whole profile without one), top `top` entries. */
export function summarize(profile: CpuProfile, window?: ProfileWindow, top = 10): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let at = profile.startTime;
  let first: number | undefined;
  let last = at;
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    first ??= at - delta;
    last = at;
    const node = byId.get(profile.samples[i] as number);
    if (!node || node.callFrame.functionName === IDLE) continue;
    busyUs += delta;
    const frame = frameOf(node);
    functions.set(frame, (functions.get(frame) ?? 0) + delta);
    const pkg = packageOf(node.callFrame.url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + delta);
  }
  return {
    wallMs: (last - (first ?? last)) / 1000,
    busyMs: busyUs / 1000,
    functions: ranked(functions, busyUs, top),
    packages: ranked(packages, busyUs, top),
  };
}

export async function readProfile(path: string): Promise<CpuProfile> {
  return JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
}
