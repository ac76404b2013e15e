import { describe, expect, it } from 'vitest';
import { OPTIONAL_PHASES, selectedPhases } from '../../../bench/lib/serving/phases/select.ts';

describe('Bench: serving', () => {
  describe('Function: selectedPhases', () => {
    it('runs every phase when none is named', () => {
      // Act & Assess
      expect([...selectedPhases(undefined)]).toEqual([...OPTIONAL_PHASES]);
      expect([...selectedPhases(' , ')]).toEqual([...OPTIONAL_PHASES]);
    });

    it('returns the optional phases named, the cache-hit pair being implied', () => {
      // Act & Assess
      expect([...selectedPhases('hit')]).toEqual([]);
      expect([...selectedPhases('chaos, hit,miss')]).toEqual(['miss', 'chaos']);
    });

    it('refuses an unknown phase, naming the known ones', () => {
      // Act & Assess
      expect(() => selectedPhases('hit,warm')).toThrow(/unknown phase\(s\) warm; known: hit, miss, mixed, chaos/);
    });
  });
});
