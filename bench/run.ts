/**
 * `npm run bench` runs every suite in `bench/suites/`; `npm run bench -- ingest` runs the named
 * ones. Each suite writes `bench/results/<name>.json`; `bench/results/SUMMARY.md` is regenerated
 * from all records there. `--out <dir>` writes elsewhere. Missed targets are reported, not fatal;
 * the exit code is non-zero only when a suite could not run.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeTarget, formatNumber, loadSuites, runSuite, writeSummary, type BenchRecord } from './lib/harness.ts';

const suitesDir = fileURLToPath(new URL('./suites/', import.meta.url));
const defaultOutDir = fileURLToPath(new URL('./results/', import.meta.url));

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function report(record: BenchRecord): string {
  const { subject, floor } = record;
  const lines = [
    `${record.name}: ${record.description}`,
    `  ${subject.label}: median ${integer.format(subject.medianPerSecond)} ${record.unit}/s (${subject.medianMs.toFixed(1)} ms/round), p95 round ${integer.format(subject.p95PerSecond)} ${record.unit}/s (${subject.p95Ms.toFixed(1)} ms)`,
    `  ${floor.label} (floor): median ${integer.format(floor.medianPerSecond)} ${record.unit}/s (${floor.medianMs.toFixed(1)} ms/round), p95 round ${integer.format(floor.p95PerSecond)} ${record.unit}/s`,
    `  ours/floor: ${(record.ratio * 100).toFixed(1)} % (paired per round: ${(record.pairedRatio * 100).toFixed(1)} %), ${subject.rounds} rounds after ${record.warmupRounds} warm-up, GC between rounds: ${record.gcBetweenRounds ? 'yes' : 'no'}`,
    ...Object.entries(record.metrics).map(([key, value]) => `  ${key}: ${formatNumber(value, '')}`),
    ...record.targets.map((t) => `  target ${t.pass ? 'PASS' : 'MISS'}: ${describeTarget(t)}`),
    `  wall time ${(record.wallMs / 1000).toFixed(1)} s`,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) {
    console.log('usage: npm run bench [-- [--out <dir>] [suite ...]]');
    return;
  }
  const outDir = values.out ?? defaultOutDir;
  const suites = await loadSuites(suitesDir, positionals);
  console.log(`node ${process.version}; suites: ${suites.map((s) => s.name).join(', ')}; results in ${outDir}`);
  for (const suite of suites) {
    console.log(`\nrunning ${suite.name} ...`);
    const record = await runSuite(suite, { outDir });
    console.log(report(record));
  }
  await writeSummary(outDir);
  console.log(`\nwrote ${suites.length} record(s) and SUMMARY.md to ${outDir}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
