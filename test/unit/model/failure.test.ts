import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetError } from '#shared/recommender/io/dataset.ts';
import { failureReason, TrainingJobError, writeFailure, writeFailureSync } from '../../../model/lib/failure.ts';
import { UsageError } from '../../../model/lib/paths.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reco-failure-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Entry point: train', () => {
  describe('failure file', () => {
    it('returns a dataset error verbatim, naming file, line and field', () => {
      // Prepare
      const error = new DatasetError(
        '/opt/ml/input/data/interactions/a.csv',
        'timestamp',
        'is empty; expected epoch seconds',
        {
          line: 7,
          field: 'TIMESTAMP',
        },
      );

      // Act
      const reason = failureReason(error);

      // Assess
      expect(reason).toBe('/opt/ml/input/data/interactions/a.csv:line 7: TIMESTAMP: is empty; expected epoch seconds');
    });

    it.each([
      ['a job error', new TrainingJobError('channel "interactions" is missing'), 'channel "interactions" is missing'],
      ['a usage error', new UsageError("Unknown option '--bogus'"), "Unknown option '--bogus'"],
      ['an unexpected error', new Error('out of memory'), 'unexpected error while training: out of memory'],
      ['a thrown string', 'boom', 'unexpected error while training: boom'],
      ['an error without a message', new Error(''), 'unexpected error while training: no message'],
    ])('returns %s as one reason', (_name, error, expected) => {
      // Act
      const reason = failureReason(error);

      // Assess
      expect(reason).toBe(expected);
    });

    it('returns one paragraph when the message spans lines', () => {
      // Prepare
      const error = new DatasetError('items.csv', 'number', '"12\n 34" is not a number', { line: 3, field: 'PRICE' });

      // Act
      const reason = failureReason(error);

      // Assess
      expect(reason).toBe('items.csv:line 3: PRICE: "12 34" is not a number');
      expect(reason).not.toContain('\n');
    });

    it('returns the reason after writing it to output/failure, creating output/', async () => {
      // Prepare
      const file = join(dir, 'output', 'failure');

      // Act
      const reason = await writeFailure(file, new TrainingJobError('no interactions'));

      // Assess
      expect(reason).toBe('no interactions');
      expect(await readFile(file, 'utf8')).toBe('no interactions\n');
    });

    it('returns the reason when the file cannot be written', async () => {
      // Prepare
      const blocker = join(dir, 'output');
      await writeFile(blocker, 'a file where the output directory should be');

      // Act
      const reason = await writeFailure(join(blocker, 'failure'), new TrainingJobError('no interactions'));

      // Assess
      expect(reason).toBe('no interactions');
    });

    it('returns the reason after writing it synchronously, as a signal handler must', async () => {
      // Prepare
      const file = join(dir, 'output', 'failure');

      // Act
      const reason = writeFailureSync(file, new TrainingJobError('training stopped by SIGTERM'));

      // Assess
      expect(reason).toBe('training stopped by SIGTERM');
      expect(await readFile(file, 'utf8')).toBe('training stopped by SIGTERM\n');
    });
  });
});
