import { describe, expect, it } from 'vitest';
import { deploymentShapes } from '#shared/config/shapes.ts';
import { defaultAssumptions } from '../../../../tools/cost/assumptions.ts';
import { endpointCallsPerSecondLimit, streamEventsPerDayLimit } from '../../../../tools/cost/capacity.ts';

describe('Function: streamEventsPerDayLimit', () => {
  it('takes 1,000 records a second a shard, at the peak over the mean', () => {
    // Prepare: 1 shard × min(1,000 records/s, 1 MiB / 170 B = 6,168/s) × 86,400 s ÷ 2 = 43,200,000 events/day.
    // Act
    const limit = streamEventsPerDayLimit(deploymentShapes.lean, { eventBytes: 170, assumptions: defaultAssumptions });
    // Assess
    expect(limit).toBe(43_200_000);
    expect(
      streamEventsPerDayLimit(deploymentShapes.default, { eventBytes: 170, assumptions: defaultAssumptions }),
    ).toBe(undefined);
  });
});

describe('Function: endpointCallsPerSecondLimit', () => {
  it('is the scaling target at the maximum instances, or the concurrency over the call time', () => {
    // Prepare: 4 instances × 3,000 a minute ÷ 60 = 200/s; 5 concurrent ÷ 0.002 s = 2,500/s.
    const options = { targetPerInstanceMinute: 3000, callMs: 1.6 };
    // Act
    const realtime = endpointCallsPerSecondLimit(deploymentShapes.default, options);
    const serverless = endpointCallsPerSecondLimit(deploymentShapes.lean, options);
    // Assess
    expect(realtime).toBe(200);
    expect(serverless).toBe(2500);
  });
});
