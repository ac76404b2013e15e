import { describe, expect, it } from 'vitest';
import { DataWindowError, inTrainedPart, parseDataWindow, rowsInHoldout } from '#shared/recommender/dataWindow.ts';
import type { Interaction } from '#shared/recommender/model.ts';

const fields = (from: unknown, holdoutFrom: unknown, to: unknown) => ({
  from: { name: 'from', value: from },
  holdoutFrom: { name: 'holdoutFrom', value: holdoutFrom },
  to: { name: 'to', value: to },
});

const at = (timestamp: number): Interaction => ({ userId: 'u', itemId: 'i', timestamp });

/** 2025-06-01T00:00:00Z in epoch seconds. */
const JUNE = 1_748_736_000;

describe('Function: parseDataWindow', () => {
  it('returns the window with every bound as toISOString() writes it', () => {
    // Act
    const window = parseDataWindow(fields('2025-03-01T00:00Z', '2025-05-25T02:00:00+02:00', '2025-06-01T00:00:00.5Z'));

    // Assess
    expect(window).toEqual({
      from: '2025-03-01T00:00:00.000Z',
      holdoutFrom: '2025-05-25T00:00:00.000Z',
      to: '2025-06-01T00:00:00.500Z',
    });
  });

  it('returns undefined when no bound is set', () => {
    // Act
    const window = parseDataWindow(fields(undefined, undefined, undefined));

    // Assess
    expect(window).toBeUndefined();
  });

  it.each([
    ['some bounds only', fields('2025-03-01T00:00:00Z', undefined, undefined), 'incomplete', 'missing holdoutFrom, to'],
    ['a number', fields(1_740_787_200, '2025-05-25T00:00:00Z', '2025-06-01T00:00:00Z'), 'not-an-instant', 'from:'],
    [
      'no zone',
      fields('2025-03-01T00:00:00', '2025-05-25T00:00:00Z', '2025-06-01T00:00:00Z'),
      'not-an-instant',
      'from:',
    ],
    [
      'a bad offset',
      fields('2025-03-01T00:00:00+25:00', '2025-05-25T00:00:00Z', '2025-06-01T00:00:00Z'),
      'not-an-instant',
      'from:',
    ],
    [
      'bounds out of order',
      fields('2025-03-01T00:00:00Z', '2025-06-02T00:00:00Z', '2025-06-01T00:00:00Z'),
      'out-of-order',
      'does not hold',
    ],
  ])('rejects %s with a reason', (_name, input, reason, message) => {
    // Act
    const act = () => parseDataWindow(input);

    // Assess
    expect(act).toThrow(DataWindowError);
    expect(act).toThrow(message);
    try {
      act();
    } catch (error) {
      expect((error as DataWindowError).reason).toBe(reason);
    }
  });
});

describe('Function: inTrainedPart', () => {
  it('returns whether an interaction lies in [from, holdoutFrom), widened to whole seconds', () => {
    // Prepare
    const seen = inTrainedPart({
      from: new Date((JUNE - 100) * 1000 + 400).toISOString(),
      holdoutFrom: new Date(JUNE * 1000 + 400).toISOString(),
      to: new Date((JUNE + 100) * 1000).toISOString(),
    });

    // Act
    const inside = [JUNE - 101, JUNE - 100, JUNE - 1, JUNE, JUNE + 1].map((timestamp) => seen(at(timestamp)));

    // Assess
    expect(inside).toEqual([false, true, true, true, false]);
  });
});

describe('Function: rowsInHoldout', () => {
  it('counts rows whose second starts at or after holdoutFrom', () => {
    // Prepare
    const window = {
      from: new Date((JUNE - 100) * 1000).toISOString(),
      holdoutFrom: new Date(JUNE * 1000 + 400).toISOString(),
      to: new Date((JUNE + 100) * 1000).toISOString(),
    };

    // Act
    const late = rowsInHoldout([at(JUNE - 1), at(JUNE), at(JUNE + 1), at(JUNE + 50)], window);

    // Assess
    expect(late).toBe(2);
  });
});
