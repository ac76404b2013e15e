import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { main } from '../../../../cli/reco.ts';

describe('Command: reco tune', () => {
  it.each(['ndcg@0', 'hr@00', 'recall@-1', 'ndcg@', 'ndcg@1e3', 'mrr@5'])(
    'returns exit code 2 naming --metric for --metric %s, before any data is read',
    async (metric) => {
      // Prepare
      const err: string[] = [];
      const io = { stdout: { write: () => true }, stderr: { write: (text: string) => err.push(text) } };
      const absent = join(tmpdir(), 'reco-tune-absent.csv');

      // Act
      const code = await main(
        ['tune', '--interactions', absent, '--algorithm', 'ials', '--out', `${absent}.json`, `--metric=${metric}`],
        io as never,
      );

      // Assess
      expect(code).toBe(2);
      expect(err.join('')).toContain(`--metric must be hr@K, ndcg@K`);
      expect(err.join('')).toContain(`got "${metric}"`);
    },
  );
});
