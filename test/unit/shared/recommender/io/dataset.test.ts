import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closestName,
  DatasetError,
  describeSkipped,
  readCatalogue,
  readInteractions,
  readTrainingData,
} from '#shared/recommender/io/dataset.ts';

const FIXTURES = fileURLToPath(new URL('../../../../fixtures/recommender/', import.meta.url));
const HEADER = 'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE';

let dir: string;
let counter = 0;

/** Writes `text` (or bytes) to a fresh file in the temporary directory. */
async function file(content: string | Buffer, name = `data-${++counter}.csv`): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** The DatasetError a read throws (fails the test if it resolves). */
async function errorOf(read: Promise<unknown>): Promise<DatasetError> {
  const error: unknown = await read.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reco-io-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Function: readInteractions', () => {
  it('reads the online-retail fixture with event types and values', async () => {
    // Prepare
    const path = join(FIXTURES, 'interactions.csv');

    // Act
    const { interactions, report } = await readInteractions(path);

    // Assess
    expect(interactions).toHaveLength(411);
    expect(report).toMatchObject({ lines: 411, rows: 411, skipped: {} });
    expect(interactions[0]).toEqual({
      userId: expect.any(String),
      itemId: expect.any(String),
      timestamp: expect.any(Number),
      eventType: 'purchase',
      eventValue: expect.any(Number),
    });
    expect(interactions.some((i) => i.eventType === 'return')).toBe(true);
  });

  it('reads the gzip fixture to the same rows as the plain one', async () => {
    // Prepare
    const plain = await readInteractions(join(FIXTURES, 'interactions.csv'));

    // Act
    const gzip = await readInteractions(join(FIXTURES, 'interactions.csv.gz'));

    // Assess
    expect(gzip.interactions).toEqual(plain.interactions);
  });

  it('detects gzip by magic bytes when the name does not say so', async () => {
    // Prepare
    const path = await file(gzipSync(`${HEADER}\nu1,i1,100,view,\n`), 'compressed.csv');

    // Act
    const { interactions } = await readInteractions(path);

    // Assess
    expect(interactions).toEqual([{ userId: 'u1', itemId: 'i1', timestamp: 100, eventType: 'view' }]);
  });

  it('finds columns by case-insensitive name in any order, ignores extra columns, accepts CRLF and a BOM', async () => {
    // Prepare
    const path = await file('\ufefftimestamp,Item_Id,SESSION,user_id\r\n100,i1,s1,u1\r\n200,"i,2",s2,u2\r\n');

    // Act
    const { interactions } = await readInteractions(path);

    // Assess
    expect(interactions).toEqual([
      { userId: 'u1', itemId: 'i1', timestamp: 100 },
      { userId: 'u2', itemId: 'i,2', timestamp: 200 },
    ]);
  });

  it('names the misspelt column and the valid name it probably meant', async () => {
    // Prepare
    const path = await file('USERID,ITEM_ID,TIMESTAMP\nu1,i1,100\n');

    // Act
    const error = await errorOf(readInteractions(path));

    // Assess
    expect(error.message).toBe(
      `${path}:line 1: USER_ID: missing required column USER_ID; did you mean USER_ID instead of USERID?`,
    );
    expect(error).toMatchObject({ file: path, line: 1, field: 'USER_ID', reason: 'missing-column' });
  });

  it('lists the header when a required column is missing without a look-alike', async () => {
    // Prepare
    const path = await file('USER_ID,ITEM_ID\nu1,i1\n');

    // Act
    const error = await errorOf(readInteractions(path));

    // Assess
    expect(error.message).toContain('missing required column TIMESTAMP; the header has USER_ID, ITEM_ID');
  });

  it('rejects a header naming a column twice', async () => {
    // Prepare
    const path = await file('USER_ID,ITEM_ID,TIMESTAMP,user_id\nu1,i1,100,u1\n');

    // Act
    const error = await errorOf(readInteractions(path));

    // Assess
    expect(error).toMatchObject({ line: 1, field: 'USER_ID', reason: 'duplicate-column' });
  });

  it.each([
    ['a zero-byte file', '', 'the file is empty (zero bytes)'],
    ['a header without rows', `${HEADER}\n`, 'the file has a header but no interactions'],
    ['only blank lines', '\n\n', 'the file has no header line'],
  ])('rejects %s', async (_case, content, message) => {
    // Prepare
    const path = await file(content);

    // Act
    const error = await errorOf(readInteractions(path));

    // Assess
    expect(error.message).toContain(path);
    expect(error.message).toContain(message);
    expect(error.reason).toBe('empty-file');
  });

  it.each([
    ['a missing column', 'u1,i1\n', 3, undefined, 'expected 5 columns'],
    ['an extra column', 'u1,i1,100,view,1,extra\n', 3, undefined, 'found 6'],
    ['an unterminated quote', 'u1,"i1,100,view,1\n', 3, undefined, 'quoted field is never closed'],
    ['text after a closing quote', 'u1,"i1"x,100,view,1\n', 3, undefined, 'after closing quote'],
    [
      'a decimal timestamp',
      'u1,i1,100.5,view,1\n',
      3,
      'TIMESTAMP',
      '"100.5" is not an integer number of epoch seconds',
    ],
    ['a date as timestamp', 'u1,i1,2011-12-09,view,1\n', 3, 'TIMESTAMP', 'not an integer'],
    ['a negative timestamp', 'u1,i1,-5,view,1\n', 3, 'TIMESTAMP', 'not an integer'],
    ['a timestamp in milliseconds', 'u1,i1,1291191960000,view,1\n', 3, 'TIMESTAMP', 'milliseconds? divide by 1000'],
    ['an empty timestamp', 'u1,i1,,view,1\n', 3, 'TIMESTAMP', 'is empty'],
    ['a bad event value', 'u1,i1,100,view,six\n', 3, 'EVENT_VALUE', '"six" is not a number'],
    ['an empty user id', ' ,i1,100,view,1\n', 3, 'USER_ID', 'is empty'],
    ['an empty item id', 'u1,,100,view,1\n', 3, 'ITEM_ID', 'is empty'],
  ])('names file, line and field for %s', async (_case, badLine, line, field, message) => {
    // Prepare
    const path = await file(`${HEADER}\nu0,i0,50,view,1\n${badLine}`);

    // Act
    const error = await errorOf(readInteractions(path));

    // Assess
    expect(error.file).toBe(path);
    expect(error.line).toBe(line);
    expect(error.field).toBe(field);
    expect(error.message).toContain(`${path}:line ${line}:${field === undefined ? '' : ` ${field}:`}`);
    expect(error.message).toContain(message);
  });

  it('reports the line a multi-line record starts on', async () => {
    // Prepare
    const path = await file(`${HEADER}\n"u\n1",i1,100,view,1\nu2,i2,x,view,1\n`);

    // Act
    const error = await errorOf(readInteractions(path));

    // Assess
    expect(error.line).toBe(4);
    expect(error.field).toBe('TIMESTAMP');
  });

  it('counts skipped lines per reason with skipInvalid and keeps the valid ones', async () => {
    // Prepare
    const path = await file(
      [
        HEADER,
        'u1,i1,100,view,1',
        'u1,i2',
        'u2,i1,abc,view,1',
        'u2,i3,1e3,view,1',
        'u3,i1,100,view,x',
        'u3,i2,200,,',
      ].join('\n'),
    );

    // Act
    const { interactions, report } = await readInteractions(path, { skipInvalid: true, maxExamples: 2 });

    // Assess
    expect(interactions.map((i) => i.itemId)).toEqual(['i1', 'i2']);
    expect(interactions[1]).toEqual({ userId: 'u3', itemId: 'i2', timestamp: 200 });
    expect(report).toMatchObject({ lines: 6, rows: 2, skipped: { 'column-count': 1, timestamp: 2, number: 1 } });
    expect(report.examples).toHaveLength(2);
    expect(report.examples[0]).toContain(`${path}:line 3:`);
    expect(describeSkipped(report)).toBe(`${path}: 4 of 6 lines skipped (column-count 1, timestamp 2, number 1)`);
  });

  it('still throws for a missing column with skipInvalid', async () => {
    // Prepare
    const path = await file('USER,ITEM_ID,TIMESTAMP\nu1,i1,100\n');

    // Act
    const error = await errorOf(readInteractions(path, { skipInvalid: true }));

    // Assess
    expect(error.reason).toBe('missing-column');
  });

  it('throws with skipInvalid when no line at all is valid', async () => {
    // Prepare
    const path = await file(`${HEADER}\nu1,i1,x,view,1\n`);

    // Act
    const error = await errorOf(readInteractions(path, { skipInvalid: true }));

    // Assess
    expect(error.message).toContain('every one of the 1 lines is invalid');
  });

  it('names the file when a .gz file is not gzip or is truncated', async () => {
    // Prepare
    const notGzip = await file(`${HEADER}\nu1,i1,100,view,1\n`, 'plain.csv.gz');
    const body = Array.from({ length: 5000 }, (_, i) => `u${(i * 7919) % 1013},i${(i * 104729) % 4099},${i},view,1`);
    const compressed = gzipSync(`${HEADER}\n${body.join('\n')}\n`);
    const truncated = await file(compressed.subarray(0, compressed.length >> 1), 'cut.csv.gz');

    // Act
    const notGzipError = await errorOf(readInteractions(notGzip));
    const truncatedError = await errorOf(readInteractions(truncated));

    // Assess
    expect(notGzipError.message).toContain(`${notGzip}: cannot read the file (incorrect header check)`);
    expect(truncatedError.message).toContain(`${truncated}: cannot read the file`);
  });

  it('names the file when it does not exist', async () => {
    // Prepare
    const path = join(dir, 'missing.csv');

    // Act
    const error = await errorOf(readInteractions(path));

    // Assess
    expect(error.message).toContain(`${path}: cannot read the file`);
  });

  describe('EVENT_COUNT', () => {
    const COUNTED = `${HEADER},EVENT_COUNT`;

    it('reads the events a row stands for, keeping only counts above one', async () => {
      // Prepare
      const path = await file(`${COUNTED}\nu1,i1,100,view,,3\nu1,i2,100,purchase,6,2\nu2,i1,90,view,,1\n`);

      // Act
      const { interactions } = await readInteractions(path);

      // Assess
      expect(interactions).toEqual([
        { userId: 'u1', itemId: 'i1', timestamp: 100, eventType: 'view', eventCount: 3 },
        { userId: 'u1', itemId: 'i2', timestamp: 100, eventType: 'purchase', eventValue: 6, eventCount: 2 },
        { userId: 'u2', itemId: 'i1', timestamp: 90, eventType: 'view' },
      ]);
    });

    it('finds the column in any case and order', async () => {
      // Prepare
      const path = await file('event_count,timestamp,item_id,user_id\n4,100,i1,u1\n');

      // Act
      const { interactions } = await readInteractions(path);

      // Assess
      expect(interactions).toEqual([{ userId: 'u1', itemId: 'i1', timestamp: 100, eventCount: 4 }]);
    });

    it.each([
      ['zero', '0', '"0" is not a positive integer'],
      ['a negative count', '-2', '"-2" is not a positive integer'],
      ['a fraction', '2.5', '"2.5" is not a positive integer'],
      ['an exponent', '1e3', '"1e3" is not a positive integer'],
      ['leading zeros', '007', '"007" is not a positive integer'],
      ['a word', 'three', '"three" is not a positive integer'],
      ['a count beyond safe integers', '9007199254740993', '"9007199254740993" is not a positive integer'],
      ['an empty count', '', 'is empty; expected the number of events the row stands for'],
    ])('names file, line and EVENT_COUNT for %s', async (_case, count, message) => {
      // Prepare
      const path = await file(`${COUNTED}\nu0,i0,50,view,,1\nu1,i1,100,view,,${count}\n`);

      // Act
      const error = await errorOf(readInteractions(path));

      // Assess
      expect(error).toMatchObject({ file: path, line: 3, field: 'EVENT_COUNT', reason: 'event-count' });
      expect(error.message).toContain(`${path}:line 3: EVENT_COUNT: ${message}`);
    });

    it('counts bad counts as skipped lines with skipInvalid', async () => {
      // Prepare
      const path = await file(`${COUNTED}\nu1,i1,100,view,,2\nu1,i2,100,view,,0\nu2,i1,90,view,,x\n`);

      // Act
      const { interactions, report } = await readInteractions(path, { skipInvalid: true });

      // Assess
      expect(interactions).toHaveLength(1);
      expect(report.skipped).toEqual({ 'event-count': 2 });
    });

    it('suggests EVENT_COUNT for a misspelt column that hides a required one', async () => {
      // Prepare
      const path = await file('USER_ID,ITEM_ID,TIMESTAMPS,EVENT_COUNT\nu1,i1,100,2\n');

      // Act
      const error = await errorOf(readInteractions(path));

      // Assess
      expect(error.message).toContain('did you mean TIMESTAMP instead of TIMESTAMPS?');
    });
  });
});

describe('Function: readCatalogue', () => {
  it('reads quoted commas, doubled quotes, multi-line fields, category levels and stock flags', async () => {
    // Prepare
    const path = join(FIXTURES, 'items-quoted.csv');

    // Act
    const { catalogue, report } = await readCatalogue(path);

    // Assess
    expect(report).toMatchObject({ lines: 4, rows: 4 });
    expect(catalogue).toEqual([
      {
        itemId: '85123A',
        title: 'WHITE HANGING HEART T-LIGHT HOLDER',
        description: 'A heart, in white metal',
        categories: ['home', 'candles'],
        price: 2.55,
        inStock: true,
        creationTimestamp: 1291191960,
      },
      {
        itemId: '71053',
        title: 'WHITE METAL LANTERN',
        description: 'Says "hello"',
        categories: ['home', 'lighting'],
        price: 3.39,
        inStock: false,
        creationTimestamp: 1291191960,
      },
      {
        itemId: '84406B',
        title: 'CREAM CUPID HEARTS COAT HANGER',
        description: 'Two lines:\nsecond line, with a comma',
        categories: ['home'],
        price: 2.75,
        creationTimestamp: 1291191960,
      },
      { itemId: '22752', title: 'SET 7 BABUSHKA NESTING BOXES', categories: ['toys'], price: 7.65, inStock: true },
    ]);
  });

  it('reads the online-retail items fixture with its quoted titles', async () => {
    // Prepare
    const path = join(FIXTURES, 'items.csv');

    // Act
    const { catalogue } = await readCatalogue(path);

    // Assess
    expect(catalogue).toHaveLength(306);
    expect(catalogue.filter((entry) => entry.title?.includes(',') === true)).toHaveLength(2);
    expect(catalogue.every((entry) => entry.categories.length === 0 && typeof entry.price === 'number')).toBe(true);
  });

  it.each([
    ['a bad price', 'i1,T,cheap,true,100', 'PRICE', '"cheap" is not a number'],
    ['a bad stock flag', 'i1,T,1.5,maybe,100', 'IN_STOCK', '"maybe" is not a boolean'],
    ['a bad creation timestamp', 'i1,T,1.5,true,yesterday', 'CREATION_TIMESTAMP', 'not an integer'],
  ])('names file, line and field for %s', async (_case, badLine, field, message) => {
    // Prepare
    const path = await file(`ITEM_ID,TITLE,PRICE,IN_STOCK,CREATION_TIMESTAMP\n${badLine}\n`);

    // Act
    const error = await errorOf(readCatalogue(path));

    // Assess
    expect(error).toMatchObject({ file: path, line: 2, field });
    expect(error.message).toContain(message);
  });

  it('reads RECOMMENDABLE in any case, empty as recommendable, and rejects a bad value', async () => {
    // Prepare
    const good = await file('ITEM_ID,RECOMMENDABLE\nPOST,FALSE\nDOT,false\nmug,True\ncup,\n');
    const bad = await file('ITEM_ID,RECOMMENDABLE\nPOST,never\n');

    // Act
    const { catalogue } = await readCatalogue(good);
    const error = await errorOf(readCatalogue(bad));

    // Assess
    expect(catalogue.map((entry) => entry.recommendable)).toEqual([false, false, undefined, undefined]);
    expect(error).toMatchObject({ file: bad, line: 2, field: 'RECOMMENDABLE', reason: 'boolean' });
    expect(error.message).toContain('"never" is not a boolean');
  });

  it('suggests ITEM_ID for a misspelt item column', async () => {
    // Prepare
    const path = await file('ITEMID,TITLE\ni1,T\n');

    // Act
    const error = await errorOf(readCatalogue(path));

    // Assess
    expect(error.message).toContain('did you mean ITEM_ID instead of ITEMID?');
  });
});

describe('Function: readTrainingData', () => {
  it('reads interactions and catalogue together with one report each', async () => {
    // Prepare
    const files = { interactions: join(FIXTURES, 'interactions.csv.gz'), items: join(FIXTURES, 'items.csv') };

    // Act
    const { data, reports } = await readTrainingData(files);

    // Assess
    expect(data.interactions).toHaveLength(411);
    expect(data.catalogue).toHaveLength(306);
    expect(reports.map((r) => r.rows)).toEqual([411, 306]);
  });
});

describe('Function: closestName', () => {
  it('suggests a near name and nothing for an unrelated one', () => {
    // Prepare
    const names = ['USER_ID', 'ITEM_ID', 'TIMESTAMP'];

    // Act
    const near = closestName('TIME_STAMP', names);
    const far = closestName('PRICE', names);

    // Assess
    expect(near).toBe('TIMESTAMP');
    expect(far).toBeUndefined();
  });
});
