import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTrainingData } from '#shared/recommender/io/dataset.ts';
import { markNonProducts, readNonProductCodes } from '#shared/recommender/io/nonProductCodes.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reco-non-products-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Function: markNonProducts', () => {
  it('marks POST of an online-retail-shaped set not recommendable, and a code seen only in interactions', async () => {
    // Prepare
    const interactions = join(dir, 'interactions.csv');
    const items = join(dir, 'items.csv');
    const overlay = join(dir, 'codes.json');
    await writeFile(
      interactions,
      'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n12347,85123A,1291193100,purchase,6\n12347,POST,1291193100,purchase,1\n12348,DOT,1291193200,purchase,1\n',
    );
    await writeFile(
      items,
      'ITEM_ID,TITLE,PRICE,CREATION_TIMESTAMP\n85123A,WHITE HANGING HEART,2.55,1291193100\nPOST,POSTAGE,18.00,1291193100\n',
    );
    await writeFile(
      overlay,
      JSON.stringify({
        codes: [
          { itemId: 'POST', reason: 'postage' },
          { itemId: 'DOT', reason: 'postage' },
          { itemId: 'TEST001', reason: 'test' },
        ],
      }),
    );

    // Act
    const { data } = await readTrainingData({ interactions, items });
    const marked = markNonProducts(data, await readNonProductCodes(overlay));

    // Assess
    const flag = (id: string): boolean | undefined =>
      marked.catalogue.find((item) => item.itemId === id)?.recommendable;
    expect(flag('POST')).toBe(false);
    expect(flag('DOT')).toBe(false);
    expect(flag('85123A')).toBeUndefined();
    expect(marked.catalogue.some((item) => item.itemId === 'TEST001')).toBe(false);
    expect(marked.interactions).toHaveLength(3);
  });

  it('rejects an entry without a reason, naming it', async () => {
    // Prepare
    const overlay = join(dir, 'bad.json');
    await writeFile(overlay, JSON.stringify({ codes: [{ itemId: 'POST' }] }));

    // Act
    const error = await readNonProductCodes(overlay).catch((e: unknown) => e as Error);

    // Assess
    expect((error as Error).message).toContain('codes[0] needs a non-empty itemId and reason');
  });
});
