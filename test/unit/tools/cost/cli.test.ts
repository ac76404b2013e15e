import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  costReport,
  CostUsageError,
  formatWarmSource,
  LOAD_LIMITS,
  parseCostArgs,
  runCost,
} from '../../../../tools/cost/cli.ts';
import { measuredBench } from './fixtures.ts';
import { SERVICES } from '../../../../tools/cost/estimate.ts';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const LOAD = ['--events-per-day', '10000000', '--recommendations-per-day', '5000000', '--catalog', '100000'];

/** Runs `npm run cost`'s entry point as npm does (tsx), in a child process. */
function cost(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'tools/cost/main.ts', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

describe('Command: cost', () => {
  it('prints each shape per service, the idle floors, the crossover, Personalize and the prices', () => {
    // Act
    const run = cost(LOAD);
    // Assess
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    for (const service of [
      'API Gateway',
      'Lambda',
      'Kinesis Data Streams',
      'Data Firehose',
      'S3',
      'DynamoDB',
      'ElastiCache Serverless',
      'SageMaker',
      'Step Functions',
      'VPC',
      'Secrets Manager',
      'KMS',
      'WAF',
      'CloudWatch',
      'X-Ray',
      'ECR',
      'Personalize',
    ]) {
      expect(run.stdout, service).toContain(`  ${service} / `);
    }
    expect(run.stdout).toMatch(/== shape default: \$[\d,.]+ a month \(idle floor \$[\d,.]+\) ==/);
    expect(run.stdout).toMatch(/== shape lean: \$[\d,.]+ a month \(idle floor \$[\d,.]+\) ==/);
    expect(run.stdout).toContain('== crossover');
    expect(run.stdout).toContain('== Amazon Personalize for the same load');
    expect(run.stdout).toContain('lambdaArmGbSecond: $0.0000133334 per GB-second');
  }, 60_000);

  it('exits 2 naming an unknown flag', () => {
    // Act
    const run = cost([...LOAD, '--events', '5']);
    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("'--events'");
    expect(run.stderr).toContain('usage: npm run cost --');
    expect(run.stdout).toBe('');
  }, 60_000);
});

describe('Function: runCost', () => {
  it('itemises only the shape asked for, and still sums both', () => {
    // Prepare
    let out = '';
    // Act
    const code = runCost([...LOAD, '--shape', 'lean', '--cache-hit-ratio', '0.8'], {
      stdout: (text) => (out += text),
      stderr: () => undefined,
    });
    // Assess
    expect(code).toBe(0);
    expect(out).toContain('== shape lean:');
    expect(out).not.toContain('== shape default:');
    expect(out).toMatch(/ {2}default +\$/);
    expect(out).toContain('cache hit ratio 0.8');
  });

  it('lists every service of the model in the output', () => {
    // Prepare
    let out = '';
    // Act
    runCost(LOAD, { stdout: (text) => (out += text), stderr: () => undefined });
    // Assess
    expect(SERVICES.length).toBe(18);
    expect(out.match(/^ {2}\S.* \/ /gm)?.length).toBeGreaterThanOrEqual(2 * 30);
  });

  it.each([
    [['--recommendations-per-day', '1', '--catalog', '1'], '--events-per-day is required'],
    [
      ['--events-per-day', 'many', '--recommendations-per-day', '1', '--catalog', '1'],
      '--events-per-day must be a decimal number from 0 to 1000000000000, not "many"',
    ],
    [
      ['--events-per-day', '1', '--recommendations-per-day=-5', '--catalog', '1'],
      '--recommendations-per-day must be a decimal number from 0 to 1000000000000',
    ],
    [
      ['--events-per-day', '1', '--recommendations-per-day', '-5', '--catalog', '1'],
      "Option '--recommendations-per-day' argument is ambiguous",
    ],
    [
      ['--events-per-day', '1', '--recommendations-per-day', '1', '--catalog', '1.5'],
      '--catalog must be a whole number from 0 to 1000000000',
    ],
    [[...LOAD, '--cache-hit-ratio', '1.2'], '--cache-hit-ratio must be a decimal number from 0 to 1, not "1.2"'],
    [[...LOAD, '--cache-hit-ratio', ''], '--cache-hit-ratio must be a decimal number from 0 to 1'],
    [[...LOAD, '--shape', 'tiny'], '--shape must be one of default, lean, not "tiny"'],
    [
      ['--events-per-day', '1.7e308', '--recommendations-per-day', '1', '--catalog', '1'],
      '--events-per-day must be a decimal number from 0 to 1000000000000, not "1.7e308"',
    ],
    [
      ['--events-per-day', '0x10', '--recommendations-per-day', '1', '--catalog', '1'],
      '--events-per-day must be a decimal number from 0 to 1000000000000, not "0x10"',
    ],
    [
      ['--events-per-day', '1', '--recommendations-per-day', '1', '--catalog', '2000000000'],
      '--catalog must be a whole number from 0 to 1000000000, not "2000000000"',
    ],
    [[...LOAD, '--catalog', '5'], '--catalog is given twice; give it once'],
    [[...LOAD, '--region', 'eu-west-1'], '--region eu-west-1 has no prices; supported: us-east-1'],
    [[...LOAD, '--catalog'], "Option '--catalog <value>' argument missing"],
    [[...LOAD, 'extra'], "Unexpected argument 'extra'"],
  ])('rejects %j naming the flag', (args, message) => {
    // Prepare
    let err = '';
    // Act
    const attempt = () => parseCostArgs(args);
    const code = runCost(args, { stdout: () => undefined, stderr: (text) => (err += text) });
    // Assess
    expect(attempt).toThrow(CostUsageError);
    expect(attempt).toThrow(message);
    expect(code).toBe(2);
    expect(err).toContain(message);
  });
});

describe('Function: costReport at the largest load the flags take', () => {
  it('returns finite dollar figures for every shape and Personalize', () => {
    // Act
    const report = costReport(
      parseCostArgs([
        '--events-per-day',
        String(LOAD_LIMITS.perDay),
        '--recommendations-per-day',
        String(LOAD_LIMITS.perDay),
        '--catalog',
        String(LOAD_LIMITS.catalog),
      ]),
    );

    // Assess
    expect(report).not.toMatch(/NaN|∞|Infinity/);
    expect(report).toMatch(/== shape lean: \$[\d,]+\.\d\d a month/);
  });
});

describe('Function: formatWarmSource', () => {
  it('names the record and the date the Lambda billed times came from', () => {
    // Act
    const line = formatWarmSource(measuredBench.warm);

    // Assess
    expect(line).toBe(
      'Lambda billed time per invocation: bench/results/cold-start.json of 2026-12-08T00:00:00.000Z (warm invocations of the bundled handlers)',
    );
  });

  it('says which functions fall back when the record lacks their warm blocks, and why all do without a record', () => {
    // Prepare
    const { warm } = measuredBench;
    const withoutProcessor = warm.measured ? { ...warm, processorBatches: undefined } : warm;

    // Act
    const partial = formatWarmSource(withoutProcessor);
    const none = formatWarmSource({ measured: false, note: 'bench/results/cold-start.json not found' });

    // Assess
    expect(partial).toContain('; processor from the CPU benches and assumed round trips');
    expect(none).toMatch(
      /^NOTE: bench\/results\/cold-start.json not found; Lambda billed time per invocation is estimated/,
    );
  });
});
