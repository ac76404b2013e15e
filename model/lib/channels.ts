/**
 * A training job's data channels (`input/data/<channel>/`, File or FastFile mode): which CSV files
 * each holds, and reading them with the Personalize readers, bad lines reported in the log.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describeSkipped, readCatalogue, readInteractions, type ReadReport } from '#shared/recommender/io/dataset.ts';
import type { CatalogueItem, Interaction, TrainingData } from '#shared/recommender/model.ts';
import { TrainingJobError } from './failure.ts';
import { CHANNELS, type ContainerPaths } from './paths.ts';

const DATA_FILE = /\.csv(\.gz)?$/i;

/** Whether the job has the channel at all (a directory under `input/data/`). */
export async function hasChannel(paths: ContainerPaths, channel: string): Promise<boolean> {
  return readdir(paths.channel(channel)).then(
    () => true,
    () => false,
  );
}

/**
 * The CSV files of a channel, at any depth (SageMaker keeps the S3 key structure below the
 * channel's prefix), sorted. Hidden files and other names (`_SUCCESS`, manifests) are left out.
 */
export async function channelFiles(paths: ContainerPaths, channel: string, required: boolean): Promise<string[]> {
  const dir = paths.channel(channel);
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return [];
    if (code !== 'ENOENT') {
      throw new TrainingJobError(`channel "${channel}": cannot read ${dir} (${(error as Error).message})`);
    }
    const present = await readdir(paths.data).catch(() => [] as string[]);
    const pipe = present.some((name) => name.startsWith(`${channel}_`));
    const hint = pipe
      ? '; Pipe input mode is not supported, use File or FastFile'
      : present.length === 0
        ? `; ${paths.data} has no channels`
        : `; the job's channels are: ${present.sort().join(', ')}`;
    throw new TrainingJobError(`channel "${channel}" is missing: expected Personalize CSV files in ${dir}${hint}`);
  }
  const files = entries
    .filter(
      (entry) =>
        (entry.isFile() || entry.isSymbolicLink()) && !entry.name.startsWith('.') && DATA_FILE.test(entry.name),
    )
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  if (required && files.length === 0) {
    const others = entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
    const found = others.length === 0 ? 'it is empty' : `found only ${others.slice(0, 5).join(', ')}`;
    throw new TrainingJobError(`channel "${channel}" has no .csv or .csv.gz files in ${dir}; ${found}`);
  }
  return files;
}

/** Appends without spreading (a spread of a million rows overflows the call stack). */
function append<T>(target: T[], rows: readonly T[]): void {
  for (const row of rows) target.push(row);
}

function reportSkipped(reports: readonly ReadReport[], log: (line: string) => void): void {
  for (const report of reports) {
    const skipped = describeSkipped(report);
    if (skipped === undefined) continue;
    log(`warning: ${skipped}`);
    for (const example of report.examples) log(`  e.g. ${example}`);
  }
}

export interface ChannelReading {
  readonly skipInvalid: boolean;
  readonly log: (line: string) => void;
}

/** Every interactions file of a required channel, as one list. */
export async function readInteractionChannel(
  paths: ContainerPaths,
  channel: string,
  reading: ChannelReading,
): Promise<{ interactions: Interaction[]; files: number }> {
  const files = await channelFiles(paths, channel, true);
  const interactions: Interaction[] = [];
  const reports: ReadReport[] = [];
  for (const file of files) {
    const result = await readInteractions(file, { skipInvalid: reading.skipInvalid });
    append(interactions, result.interactions);
    reports.push(result.report);
  }
  reportSkipped(reports, reading.log);
  return { interactions, files: files.length };
}

/** Every interactions file and every items file of the job, as one data set. */
export async function readChannels(paths: ContainerPaths, reading: ChannelReading): Promise<TrainingData> {
  const { interactions, files } = await readInteractionChannel(paths, CHANNELS.interactions, reading);
  const itemFiles = await channelFiles(paths, CHANNELS.items, false);
  const catalogue: CatalogueItem[] = [];
  const reports: ReadReport[] = [];
  for (const file of itemFiles) {
    const result = await readCatalogue(file, { skipInvalid: reading.skipInvalid });
    append(catalogue, result.catalogue);
    reports.push(result.report);
  }
  reportSkipped(reports, reading.log);
  reading.log(
    `read ${interactions.length} interactions from ${files} file(s), ` +
      `${catalogue.length} catalogue items from ${itemFiles.length} file(s)`,
  );
  return { interactions, catalogue };
}
