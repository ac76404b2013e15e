import { describe, expect, it } from 'vitest';
import { deploymentShapes } from '#shared/config/shapes.ts';
import { vpcEndpoints } from '../../../../../tools/cost/services/network.ts';
import { kms, secretsManager, waf } from '../../../../../tools/cost/services/security.ts';
import { context, perDay } from '../fixtures.ts';

describe('Function: waf', () => {
  it('prices the docs/deploy.md example: 10 million storefront requests a month cost $12', () => {
    // Prepare: $5 web ACL + $1 rule + 10M × $0.60/M = $12.
    const ctx = context({ load: { recommendationsPerDay: perDay(10_000_000) } });
    // Act
    const [line] = waf(ctx);
    // Assess
    expect(line?.usd).toBeCloseTo(12, 6);
  });

  it('costs nothing without the web ACL', () => {
    // Act
    const [line] = waf(context({ shape: deploymentShapes.lean, load: { recommendationsPerDay: 1e6 } }));
    // Assess
    expect(line?.usd).toBe(0);
  });
});

describe('Function: vpcEndpoints', () => {
  it('prices two interface endpoints in 2 AZs: docs/deploy.md’s $14.60 each', () => {
    // Prepare: 2 endpoints × 2 AZs × 730 h × $0.01 = $29.20.
    // Act
    const [line] = vpcEndpoints(context({}));
    // Assess
    expect(line?.usd).toBeCloseTo(29.2, 6);
  });

  it('costs nothing without a VPC', () => {
    // Act
    const [line] = vpcEndpoints(context({ shape: deploymentShapes.lean }));
    // Assess
    expect(line?.usd).toBe(0);
  });
});

describe('Function: secretsManager and kms', () => {
  it('bill the secrets and keys of an idle month', () => {
    // Prepare: 2 secrets × $0.40 = $0.80; 5 keys × $1 = $5; no function is warm, so no calls.
    // Act
    const [secrets] = secretsManager(context({}));
    const [keys] = kms(context({}));
    // Assess
    expect(secrets?.usd).toBeCloseTo(0.8, 9);
    expect(keys?.usd).toBeCloseTo(5, 9);
  });
});
