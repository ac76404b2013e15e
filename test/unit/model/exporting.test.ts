import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PipelineConfigError } from '#shared/training/errors.ts';
import { exportMain, type ExportIo } from '../../../model/lib/exporting.ts';
import { TrainingJobError } from '../../../model/lib/failure.ts';
import { containerPaths, type ContainerPaths } from '../../../model/lib/paths.ts';

let root: string;
let paths: ContainerPaths;
let lines: string[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'reco-export-'));
  paths = containerPaths(root);
  lines = [];
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const io = (runExport: ExportIo['runExport']): ExportIo => ({
  env: {},
  log: (line) => lines.push(line),
  error: (line) => lines.push(line),
  runExport,
});

describe('Entry point: export', () => {
  it('returns 0 after the export wrote into processing/output under the root', async () => {
    // Prepare
    const outputs: string[] = [];

    // Act
    const code = await exportMain(
      ['--root', root],
      io(async (outputDir) => void outputs.push(outputDir)),
    );

    // Assess
    expect(code).toBe(0);
    expect(outputs).toEqual([join(root, 'processing', 'output')]);
    expect((await stat(paths.processingOutput)).isDirectory()).toBe(true);
    expect(lines).toContain(`export written to ${paths.processingOutput}`);
  });

  it('returns 1 and the reason in output/message, SageMaker Processing’s ExitMessage', async () => {
    // Act
    const code = await exportMain([], {
      ...io(() => Promise.reject(new Error('lake bucket\nnot found'))),
      env: { SM_ROOT: root },
    });

    // Assess
    expect(code).toBe(1);
    expect(await readFile(paths.message, 'utf8')).toBe('unexpected error while exporting: lake bucket not found\n');
    expect(lines).toContain('export failed: unexpected error while exporting: lake bucket not found');
  });

  it('returns an explained error verbatim', async () => {
    // Act
    const code = await exportMain(
      ['--root', root],
      io(() => Promise.reject(new TrainingJobError('no events in the window'))),
    );

    // Assess
    expect(code).toBe(1);
    expect(await readFile(paths.message, 'utf8')).toBe('no events in the window\n');
  });

  it('returns a pipeline error with its reason', async () => {
    // Act
    const code = await exportMain(
      ['--root', root],
      io(() =>
        Promise.reject(new PipelineConfigError('invalid_export_environment', 'RECO_EXPORT_LAKE_URI is required')),
      ),
    );

    // Assess
    expect(code).toBe(1);
    expect(await readFile(paths.message, 'utf8')).toBe(
      'RECO_EXPORT_LAKE_URI is required (invalid_export_environment)\n',
    );
    expect(lines).toEqual([
      `exporting into ${paths.processingOutput}`,
      'export failed: RECO_EXPORT_LAKE_URI is required (invalid_export_environment)',
    ]);
  });

  it('returns 2 for an unknown flag without running the export', async () => {
    // Prepare
    let ran = false;

    // Act
    const code = await exportMain(['--bogus', 'x'], { ...io(async () => void (ran = true)), env: { SM_ROOT: root } });

    // Assess
    expect(code).toBe(2);
    expect(ran).toBe(false);
    expect(await readFile(paths.message, 'utf8')).toContain("Unknown option '--bogus'");
  });

  it('returns the stop reason in output/message when the stop handler runs', async () => {
    // Prepare
    let stop: ((signal: string) => void) | undefined;
    await exportMain(['--root', root], { ...io(async () => undefined), onStop: (handler) => (stop = handler) });

    // Act
    stop?.('SIGTERM');

    // Assess
    expect(await readFile(paths.message, 'utf8')).toBe(
      "export stopped by SIGTERM (StopProcessingJob or the job's time limit)\n",
    );
  });
});
