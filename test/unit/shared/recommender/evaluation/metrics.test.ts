import { describe, expect, it } from 'vitest';
import {
  catalogueCoverage,
  hitRate,
  ndcg,
  precision,
  recall,
  reciprocalRank,
  scoreList,
} from '#shared/recommender/evaluation/metrics.ts';

const RANKED = ['a', 'b', 'c', 'd', 'e'];

describe('Function: hitRate', () => {
  it('is 1 when a relevant item is in the top K and 0 when it is just below', () => {
    // Prepare
    const relevant = new Set(['c']);

    // Act
    const inside = hitRate(relevant, RANKED, 3);
    const outside = hitRate(relevant, RANKED, 2);

    // Assess
    expect(inside).toBe(1);
    expect(outside).toBe(0);
  });
});

describe('Function: precision', () => {
  it('divides the hits in the top K by K, even for a shorter list', () => {
    // Prepare
    const relevant = new Set(['a', 'c', 'z']);

    // Act
    const atTwo = precision(relevant, RANKED, 2);
    const atTen = precision(relevant, RANKED, 10);

    // Assess
    expect(atTwo).toBe(0.5);
    expect(atTen).toBe(0.2);
  });
});

describe('Function: recall', () => {
  it('divides the hits in the top K by the number of relevant items', () => {
    // Prepare
    const relevant = new Set(['a', 'c', 'z', 'y']);

    // Act
    const value = recall(relevant, RANKED, 3);

    // Assess
    expect(value).toBe(0.5);
  });

  it('is 0 for an empty relevant set', () => {
    // Prepare
    const relevant = new Set<string>();

    // Act
    const value = recall(relevant, RANKED, 3);

    // Assess
    expect(value).toBe(0);
  });
});

describe('Function: ndcg', () => {
  it('is 1/log2(rank + 1) for one relevant item, as in the NCF paper', () => {
    // Prepare
    const relevant = new Set(['c']);

    // Act
    const value = ndcg(relevant, RANKED, 10);

    // Assess
    expect(value).toBeCloseTo(0.5, 12);
  });

  it('normalises by the ideal ranking of min(|relevant|, K) hits', () => {
    // Prepare: hits at ranks 1 and 3; ideal is ranks 1 and 2.
    const relevant = new Set(['a', 'c']);
    const expected = (1 + 1 / Math.log2(4)) / (1 + 1 / Math.log2(3));

    // Act
    const value = ndcg(relevant, RANKED, 5);

    // Assess
    expect(value).toBeCloseTo(expected, 12);
    expect(value).toBeCloseTo(0.9197, 4);
  });

  it('is 1 for a perfect ranking and 0 without hits', () => {
    // Prepare
    const perfect = new Set(['a', 'b']);
    const none = new Set(['z']);

    // Act
    const best = ndcg(perfect, RANKED, 2);
    const worst = ndcg(none, RANKED, 5);

    // Assess
    expect(best).toBe(1);
    expect(worst).toBe(0);
  });
});

describe('Function: reciprocalRank', () => {
  it('is one over the rank of the first relevant item', () => {
    // Prepare
    const relevant = new Set(['d', 'e']);

    // Act
    const value = reciprocalRank(relevant, RANKED);

    // Assess
    expect(value).toBe(0.25);
  });
});

describe('Function: catalogueCoverage', () => {
  it('counts distinct items in the top K of all lists over the catalogue size', () => {
    // Prepare
    const lists = [
      ['a', 'b', 'c'],
      ['b', 'd', 'e'],
    ];

    // Act
    const value = catalogueCoverage(lists, 2, 8);

    // Assess: a, b, d
    expect(value).toBe(3 / 8);
  });
});

describe('Function: scoreList', () => {
  it('keys every metric by name and K, plus mrr', () => {
    // Prepare
    const relevant = new Set(['b']);

    // Act
    const scores = scoreList(relevant, RANKED, [1, 5]);

    // Assess
    expect(scores).toEqual({
      'hr@1': 0,
      'precision@1': 0,
      'recall@1': 0,
      'ndcg@1': 0,
      'hr@5': 1,
      'precision@5': 0.2,
      'recall@5': 1,
      'ndcg@5': 1 / Math.log2(3),
      mrr: 0.5,
    });
  });
});
