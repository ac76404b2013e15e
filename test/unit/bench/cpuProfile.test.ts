import { describe, expect, it } from 'vitest';
import { packageOf, summarize } from '../../../bench/lib/cpuProfile.ts';

const frame = (id: number, functionName: string, url: string) => ({
  id,
  callFrame: { functionName, url, lineNumber: 9 },
});

/** Samples at 1,000 µs steps from t = 10,000 µs: idle, then SDK, SDK, ours, SDK, idle. */
const profile = {
  nodes: [
    frame(1, '(idle)', ''),
    frame(2, 'signer', 'file:///repo/node_modules/@aws-sdk/core/dist-cjs/index.js'),
    frame(3, 'handleStorefront', 'file:///repo/local/apiGateway.ts'),
  ],
  startTime: 10_000,
  samples: [1, 2, 2, 3, 2, 1],
  timeDeltas: [1_000, 1_000, 1_000, 1_000, 1_000, 1_000],
};

describe('Function: summarize', () => {
  it('ranks self time by function and package, idle left out of the busy time', () => {
    // Act
    const summary = summarize(profile);

    // Assess
    expect(summary.busyMs).toBe(4);
    expect(summary.functions.map((entry) => [entry.frame, entry.share])).toEqual([
      ['signer @aws-sdk/core/dist-cjs/index.js:10', 0.75],
      ['handleStorefront local/apiGateway.ts:10', 0.25],
    ]);
    expect(summary.packages.map((entry) => entry.frame)).toEqual(['@aws-sdk/core', 'local']);
  });

  it('counts only the samples inside the window', () => {
    // Act: the samples stamped 13,000 and 14,000 µs (the second SDK sample and ours).
    const summary = summarize(profile, { fromUs: 12_500, toUs: 14_000 });

    // Assess
    expect(summary.busyMs).toBe(2);
    expect(summary.wallMs).toBe(2);
    expect(summary.functions.map((entry) => entry.share)).toEqual([0.5, 0.5]);
  });
});

describe('Function: packageOf', () => {
  it('names npm packages, Node modules and repository folders', () => {
    // Assess
    expect(packageOf('file:///x/node_modules/@smithy/core/dist-cjs/index.js')).toBe('@smithy/core');
    expect(packageOf('file:///x/node_modules/dynalite/index.js')).toBe('dynalite');
    expect(packageOf('node:_http_client')).toBe('node:_http_client');
    expect(packageOf('node:internal/crypto/hash')).toBe('node:internal/crypto');
    expect(packageOf('file:///repo/shared/features/applyEvents.ts')).toBe('shared/features');
    expect(packageOf('file:///repo/local/stack.ts')).toBe('local');
    expect(packageOf('')).toBe('(native)');
  });
});
