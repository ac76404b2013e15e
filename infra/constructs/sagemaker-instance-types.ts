/**
 * What the model image can run on: it is built for `linux/amd64` only, because SageMaker trains and
 * processes on x86 instances only, and one image serves as well as trains. Instance types are
 * checked here at synth time, so a typo or a Graviton type fails `cdk synth` naming the setting
 * instead of failing a training run hours later.
 */

/** x86 families SageMaker offers for training and processing jobs (CPU and GPU). */
export const X86_JOB_FAMILIES: readonly string[] = [
  'm4',
  'm5',
  'm5d',
  'm6i',
  'm6id',
  'm7i',
  'c4',
  'c5',
  'c5d',
  'c5n',
  'c6i',
  'c6id',
  'c7i',
  'r5',
  'r5d',
  'r6i',
  'r7i',
  't3',
  'g4dn',
  'g5',
  'g6',
  'p3',
  'p4d',
  'p5',
];

/** x86 families SageMaker offers for real-time endpoints (CPU and GPU). */
export const X86_ENDPOINT_FAMILIES: readonly string[] = [
  't2',
  'm5',
  'm5d',
  'm6i',
  'm6id',
  'm7i',
  'c5',
  'c5d',
  'c6i',
  'c6id',
  'c7i',
  'r5',
  'r5d',
  'r6i',
  'r7i',
  'g4dn',
  'g5',
  'g6',
  'p3',
];

/** What an instance type is for: a training or processing job, or an endpoint. */
export type InstanceUse = 'job' | 'endpoint';

/** One setting to check. */
export interface InstanceTypeSetting {
  /** The setting's name as a deployer finds it, e.g. `training.trainingInstanceType`. */
  readonly setting: string;
  /** Its value, e.g. `ml.m5.xlarge`. */
  readonly value: string;
  readonly use: InstanceUse;
}

const FORMAT = /^ml\.([a-z0-9]+)\.(medium|large|\d*xlarge|metal)$/;
/** Graviton families end in `g` after the generation, with optional suffixes: `c7g`, `m6gd`, `c6gn`. */
const GRAVITON_FAMILY = /^[a-z]+\d+g[a-z]*$/;

/**
 * Throws unless `value` is an `ml.<family>.<size>` type of an x86 family SageMaker offers for
 * `use`; the message names the setting, the value and what to choose instead.
 */
export function checkInstanceType({ setting, value, use }: InstanceTypeSetting): void {
  const families = use === 'job' ? X86_JOB_FAMILIES : X86_ENDPOINT_FAMILIES;
  const family = FORMAT.exec(value)?.[1];
  if (family === undefined) {
    throw new Error(`${setting} must be a SageMaker instance type such as ml.m5.xlarge, got ${JSON.stringify(value)}`);
  }
  if (GRAVITON_FAMILY.test(family)) {
    throw new Error(
      `${setting} is ${value}, a Graviton (arm64) type: the model image is linux/amd64 because SageMaker ` +
        `trains on x86 only; choose an x86 family (${families.join(', ')})`,
    );
  }
  if (!families.includes(family)) {
    throw new Error(
      `${setting} is ${value}, not an x86 type SageMaker offers for ${use === 'job' ? 'jobs' : 'endpoints'}; ` +
        `choose one of the families ${families.join(', ')}`,
    );
  }
}
