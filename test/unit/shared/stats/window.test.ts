import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '#shared/errors.ts';
import { parseStatsMinutes, periodStarts, statsWindow } from '#shared/stats/window.ts';

describe('Function: parseStatsMinutes', () => {
  it('returns the default without a query, and the minutes asked for within the limits', () => {
    expect(parseStatsMinutes(null)).toBe(15);
    expect(parseStatsMinutes({ minutes: '1' })).toBe(1);
    expect(parseStatsMinutes({ minutes: '180' })).toBe(180);
  });

  it.each(['0', '181', '-1', '1.5', '', ' 5', '1e2', '0x10', 'fifteen', '9'.repeat(400)])(
    'refuses minutes=%j with invalid_minutes',
    (minutes) => {
      expect(() => parseStatsMinutes({ minutes })).toThrow(
        expect.objectContaining({ constructor: InvalidRequestError, reason: 'invalid_minutes' }),
      );
    },
  );

  it.each([{ limit: '5' }, { minutes: '5', constructor: 'x' }, JSON.parse('{"__proto__": "1"}') as object])(
    'refuses %j with unknown_parameter',
    (query) => {
      expect(() => parseStatsMinutes(query as Record<string, string>)).toThrow(
        expect.objectContaining({ reason: 'unknown_parameter' }),
      );
    },
  );
});

describe('Function: statsWindow', () => {
  const now = Date.parse('2026-12-07T12:00:35Z');

  it('returns whole periods of the resolution ending before the period in progress', () => {
    expect(statsWindow({ minutes: 15, now, resolutionSeconds: 60 })).toEqual({
      start: '2026-12-07T11:45:00.000Z',
      end: '2026-12-07T12:00:00.000Z',
      periodSeconds: 60,
    });
  });

  it('returns longer periods, multiples of the resolution, when the window would have too many points', () => {
    // Act
    const window = statsWindow({ minutes: 180, now, resolutionSeconds: 10, maxPoints: 180 });

    // Assess
    expect(window.periodSeconds).toBe(60);
    expect(periodStarts(window)).toHaveLength(180);
  });
});
