/**
 * `npm run cost -- --events-per-day N --recommendations-per-day N --catalog N [--region us-east-1]
 * [--cache-hit-ratio 0.6] [--shape default|lean]`: a month of each deployment shape per AWS
 * service with formulas and list prices, the idle floors, the crossover between the shapes, and
 * Amazon Personalize for the same load. Exit code 2 on a bad command line, naming the flag.
 */
import { parseArgs } from 'node:util';
import { deploymentShapes, SHAPE_NAMES, type ShapeName } from '#shared/config/shapes.ts';
import { defaultAssumptions } from './assumptions.ts';
import { readBenchFigures, type WarmBilling } from './bench.ts';
import { endpointCallsPerSecondLimit, streamEventsPerDayLimit } from './capacity.ts';
import { crossovers } from './crossover.ts';
import { estimate, idle } from './estimate.ts';
import {
  dollars,
  formatCrossovers,
  formatLines,
  formatLoad,
  formatPrices,
  formatShape,
  formatSummary,
  type ShapeReport,
} from './format.ts';
import type { Load } from './model.ts';
import { num } from './model.ts';
import { PERSONALIZE_PRICING, PERSONALIZE_RECIPE, personalize } from './personalize.ts';
import { priceBook, SUPPORTED_REGIONS, UnsupportedRegionError } from './prices.ts';
import { TARGET_INVOCATIONS_PER_INSTANCE_MINUTE } from './services/sagemaker.ts';

/** A bad command line; the message names the flag. */
export class CostUsageError extends Error {
  override readonly name = 'CostUsageError';
}

export const USAGE =
  'usage: npm run cost -- --events-per-day N --recommendations-per-day N --catalog N ' +
  `[--region ${SUPPORTED_REGIONS.join('|')}] [--cache-hit-ratio 0..1] [--shape ${SHAPE_NAMES.join('|')}]`;

export interface CostArgs {
  readonly load: Load;
  readonly region: string;
  /** The shape to itemise; both when absent. */
  readonly shape: ShapeName | undefined;
}

/**
 * The most a load flag takes: 10^12 a day (over 11 million events a second) and 10^9 catalogue
 * items, well past any shop, so every product of the model stays a finite dollar figure.
 */
export const LOAD_LIMITS = { perDay: 1e12, catalog: 1e9 } as const;

/** Plain decimal notation only: no hex, no exponent, no sign but a leading minus, no spaces. */
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)$/;

function number(flag: string, raw: string | undefined, check: { min: number; max: number; integer?: boolean }): number {
  if (raw === undefined) throw new CostUsageError(`--${flag} is required`);
  const value = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
  const { min, max, integer } = check;
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new CostUsageError(
      `--${flag} must be ${integer ? 'a whole number' : 'a decimal number'} from ${min} to ${max}, not ${JSON.stringify(raw)}`,
    );
  }
  // -0 reads as 0.
  return value + 0;
}

/** Parses the flags; throws {@link CostUsageError} naming the bad or unknown flag. */
export function parseCostArgs(args: readonly string[]): CostArgs {
  let values;
  let tokens;
  try {
    ({ values, tokens } = parseArgs({
      args: [...args],
      options: {
        'events-per-day': { type: 'string' },
        'recommendations-per-day': { type: 'string' },
        catalog: { type: 'string' },
        region: { type: 'string', default: 'us-east-1' },
        'cache-hit-ratio': { type: 'string', default: '0.6' },
        shape: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
      tokens: true,
    }));
  } catch (error) {
    // node's messages name the flag ("Unknown option '--foo'", "Option '--catalog <value>' argument missing").
    throw new CostUsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const seen = new Set<string>();
  for (const token of tokens ?? []) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name)) throw new CostUsageError(`--${token.name} is given twice; give it once`);
    seen.add(token.name);
  }
  const shape = values.shape;
  if (shape !== undefined && !(SHAPE_NAMES as readonly string[]).includes(shape)) {
    throw new CostUsageError(`--shape must be one of ${SHAPE_NAMES.join(', ')}, not ${JSON.stringify(shape)}`);
  }
  if (!(SUPPORTED_REGIONS as readonly string[]).includes(values.region)) {
    throw new CostUsageError(`--region ${values.region} has no prices; supported: ${SUPPORTED_REGIONS.join(', ')}`);
  }
  return {
    load: {
      eventsPerDay: number('events-per-day', values['events-per-day'], { min: 0, max: LOAD_LIMITS.perDay }),
      recommendationsPerDay: number('recommendations-per-day', values['recommendations-per-day'], {
        min: 0,
        max: LOAD_LIMITS.perDay,
      }),
      catalogItems: number('catalog', values.catalog, { min: 0, max: LOAD_LIMITS.catalog, integer: true }),
      cacheHitRatio: number('cache-hit-ratio', values['cache-hit-ratio'], { min: 0, max: 1 }),
    },
    region: values.region,
    shape: shape as ShapeName | undefined,
  };
}

/** Where the Lambda functions' billed time per invocation came from: the record and its date, or why not. */
export function formatWarmSource(warm: WarmBilling): string {
  if (!warm.measured) {
    return (
      `NOTE: ${warm.note}; Lambda billed time per invocation is estimated from the CPU figures of ` +
      `recommend-lambda.json, ingest.json and processor.json and the assumed round trips instead`
    );
  }
  const missing = [warm.ingestRequest ? undefined : 'ingest', warm.processorBatches ? undefined : 'processor'].filter(
    (name) => name !== undefined,
  );
  return (
    `Lambda billed time per invocation: ${warm.file} of ${warm.date} (warm invocations of the bundled handlers)` +
    (missing.length > 0
      ? `; ${missing.join(' and ')} from the CPU benches and assumed round trips (the record has no warm blocks for them)`
      : '')
  );
}

/** The whole report for parsed arguments. */
export function costReport(args: CostArgs): string {
  const prices = priceBook(args.region);
  const bench = readBenchFigures();
  const assumptions = defaultAssumptions;
  const common = { prices, bench, assumptions };
  const reports: ShapeReport[] = SHAPE_NAMES.map((name) => ({
    name,
    shape: deploymentShapes[name],
    month: estimate({ ...common, load: args.load, shape: deploymentShapes[name] }),
    idle: estimate({ ...common, load: idle(args.load), shape: deploymentShapes[name] }),
  }));
  const shown = reports.filter((r) => args.shape === undefined || r.name === args.shape);
  const found = crossovers({ ...common, load: args.load, a: deploymentShapes.default, b: deploymentShapes.lean });
  const amazon = personalize({ ...common, load: args.load });
  const limits = reports.flatMap((r) => {
    const lines: string[] = [];
    const events = streamEventsPerDayLimit(r.shape, { eventBytes: bench.eventBytes.value, assumptions });
    if (events !== undefined) {
      const over = args.load.eventsPerDay > events ? ' (EXCEEDED by this load: add shards)' : '';
      lines.push(
        `  ${r.name}: its provisioned stream takes at most ${num(events)} events/day at a peak of ${assumptions.peakToMean} × the mean${over}`,
      );
    }
    const calls = endpointCallsPerSecondLimit(r.shape, {
      targetPerInstanceMinute: TARGET_INVOCATIONS_PER_INSTANCE_MINUTE,
      callMs: bench.modelCallMs.value,
    });
    const peakMisses =
      ((args.load.recommendationsPerDay * (1 - r.month.hitRatio.ratio)) / 86_400) * assumptions.peakToMean;
    const over = peakMisses > calls ? ' (EXCEEDED at this load: the excess is answered by the fallback)' : '';
    lines.push(
      `  ${r.name}: its endpoint answers at most ${num(calls)} model calls/s; this load peaks at ${num(peakMisses, 1)}/s${over}`,
    );
    return lines;
  });
  const sections = [
    `reco cost estimate: ${formatLoad(args.load, args.region)}`,
    formatWarmSource(bench.warm),
    ...shown.map(formatShape),
    formatSummary(reports),
    formatCrossovers(found, { a: 'default', b: 'lean' }),
    ...(limits.length > 0 ? [['== capacity ==', ...limits].join('\n')] : []),
    [
      `== Amazon Personalize for the same load: ${dollars(amazon.totalUsd)} a month ==`,
      `   recipe: ${PERSONALIZE_RECIPE}; pricing: ${PERSONALIZE_PRICING}`,
      `   (Personalize alone: the APIs, ingestion and the lake around it are still needed)`,
      formatLines(amazon.lines),
    ].join('\n'),
    formatPrices([...reports.flatMap((r) => r.month.lines), ...amazon.lines]),
  ];
  return `${sections.join('\n\n')}\n`;
}

export interface CostIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Runs the command; returns the exit code (2: bad command line). */
export function runCost(args: readonly string[], io: CostIo): number {
  let parsed: CostArgs;
  try {
    parsed = parseCostArgs(args);
  } catch (error) {
    if (error instanceof CostUsageError || error instanceof UnsupportedRegionError) {
      io.stderr(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  io.stdout(costReport(parsed));
  return 0;
}
