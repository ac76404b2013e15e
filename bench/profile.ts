/**
 * `npx tsx bench/profile.ts <dir>`: the top self-time functions and packages of every
 * `.cpuprofile` in `<dir>`, cut to the load window a suite wrote there (`window.json`, see
 * `bench/README.md#storefront`), with each process's role when the window names it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readProfile, summarize, type ProfileWindowFile } from './lib/cpuProfile.ts';

const pct = (share: number) => `${(share * 100).toFixed(1)} %`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '10' } },
  });
  const dir = positionals[0];
  if (dir === undefined) {
    console.log('usage: npx tsx bench/profile.ts <dir with .cpuprofile files> [--top 10]');
    return;
  }
  const windowFile = await readFile(join(dir, 'window.json'), 'utf8').then(
    (text) => JSON.parse(text) as ProfileWindowFile,
    () => undefined,
  );
  const roleOf = new Map(Object.entries(windowFile?.roles ?? {}).map(([role, pid]) => [pid, role]));
  const files = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile')).sort();
  const summaries = await Promise.all(
    files.map(async (name) => {
      const pid = Number(/\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(name)?.[1]);
      return {
        name,
        role: roleOf.get(pid) ?? `pid ${pid}`,
        summary: summarize(await readProfile(join(dir, name)), windowFile, Number(values.top)),
      };
    }),
  );
  const busyTotal = summaries.reduce((sum, { summary }) => sum + summary.busyMs, 0);
  console.log(
    windowFile
      ? `window: ${((windowFile.toUs - windowFile.fromUs) / 1e6).toFixed(1)} s of load`
      : 'whole profiles (no window.json)',
  );
  for (const { name, role, summary } of summaries) {
    console.log(
      `\n## ${role} (${name}): busy ${(summary.busyMs / 1000).toFixed(1)} s of ${(summary.wallMs / 1000).toFixed(1)} s, ${pct(summary.busyMs / busyTotal)} of the profiled CPU`,
    );
    console.log('| self | function |\n| --: | --- |');
    for (const entry of summary.functions) console.log(`| ${pct(entry.share)} | \`${entry.frame}\` |`);
    console.log(`by package: ${summary.packages.map((entry) => `${entry.frame} ${pct(entry.share)}`).join(', ')}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
