import { describe, expect, it } from 'vitest';
import { PipelineConfigError } from '#shared/training/errors.ts';
import {
  checkNamePrefix,
  dataWindow,
  executionHex,
  MAX_NAME_PREFIX_CHARS,
  parseS3Uri,
  sageMakerName,
  versionId,
  versionPaths,
  VERSION_PATTERN,
} from '#shared/training/plan.ts';

const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:training:0f1e2d3c';
const START = Date.parse('2026-05-01T03:04:05.678Z');

describe('Function: versionId', () => {
  it('returns v<yyyyMMddHHmmss>-<8 hex of the execution id>, the same for the same execution', () => {
    // Act
    const version = versionId(START, EXECUTION);
    // Assess
    expect(version).toBe(`v20260501030405-${executionHex(EXECUTION)}`);
    expect(version).toMatch(VERSION_PATTERN);
    expect(versionId(START, EXECUTION)).toBe(version);
    expect(versionId(START, `${EXECUTION}x`)).not.toBe(version);
  });

  it('returns ids that sort by start time', () => {
    // Act
    const ids = [START + 86_400_000, START, START + 1_000].map((at) => versionId(at, EXECUTION));
    // Assess
    expect([...ids].sort()).toEqual([ids[1], ids[2], ids[0]]);
  });
});

describe('Function: dataWindow', () => {
  it('returns windowDays back from to, the holdout in seconds split off the end', () => {
    // Act
    const window = dataWindow({ to: START, windowDays: 90, holdout: { seconds: 7 * 86_400 } });
    // Assess
    expect(window).toEqual({
      from: '2026-01-31T03:04:05.678Z',
      holdoutFrom: '2026-04-24T03:04:05.678Z',
      to: '2026-05-01T03:04:05.678Z',
    });
  });

  it('takes the holdout as a fraction of the window, given as fraction or as seconds below 1', () => {
    // Act
    const fraction = dataWindow({ to: START, windowDays: 10, holdout: { fraction: 0.1 } });
    const small = dataWindow({ to: START, windowDays: 10, holdout: { seconds: 0.1 } });
    // Assess
    expect(fraction.holdoutFrom).toBe('2026-04-30T03:04:05.678Z');
    expect(small).toEqual(fraction);
  });

  it('uses training.windowDays and training.holdout by default', () => {
    expect(dataWindow({ to: START }).holdoutFrom).toBe('2026-04-24T03:04:05.678Z');
  });

  it('throws PipelineConfigError for a holdout as long as the window, or empty', () => {
    expect(() => dataWindow({ to: START, windowDays: 1, holdout: { seconds: 86_400 } })).toThrow(PipelineConfigError);
    expect(() => dataWindow({ to: START, holdout: { fraction: 0 } })).toThrow(/holdout/);
  });
});

describe('Function: sageMakerName', () => {
  it('joins the prefix and parts, and refuses names over 63 characters', () => {
    // Prepare
    const prefix = 'p'.repeat(MAX_NAME_PREFIX_CHARS);
    const version = versionId(START, EXECUTION);
    // Act
    const longest = sageMakerName(prefix, version, executionHex(EXECUTION));
    // Assess
    expect(longest).toHaveLength(63);
    expect(() => sageMakerName(`${prefix}x`, version, executionHex(EXECUTION))).toThrow(PipelineConfigError);
  });
});

describe('Function: checkNamePrefix', () => {
  it('accepts letters, digits and inner hyphens, and refuses anything else', () => {
    expect(checkNamePrefix('reco-prod-1')).toBe('reco-prod-1');
    for (const bad of ['', '-reco', 'reco_prod', 'reco.prod', 'r'.repeat(MAX_NAME_PREFIX_CHARS + 1)]) {
      expect(() => checkNamePrefix(bad)).toThrow(PipelineConfigError);
    }
  });
});

describe('Function: versionPaths', () => {
  it('returns the dataset and model prefixes and the no-live-model marker of a version', () => {
    expect(versionPaths('artifacts', 'v1')).toEqual({
      dataset: 's3://artifacts/datasets/v1/',
      models: 's3://artifacts/models/v1/',
      noLiveModel: 's3://artifacts/datasets/v1/no-live-model/NONE',
    });
  });
});

describe('Function: parseS3Uri', () => {
  it('splits bucket and key, and refuses what is not an s3 URI', () => {
    expect(parseS3Uri('s3://lake/events/')).toEqual({ bucket: 'lake', key: 'events/' });
    expect(parseS3Uri('s3://lake')).toEqual({ bucket: 'lake', key: '' });
    expect(() => parseS3Uri('https://lake/events/')).toThrow(PipelineConfigError);
  });
});
