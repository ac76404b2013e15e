import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { csvLine, csvRecords, type CsvRecord, type CsvSyntaxProblem } from '#shared/recommender/io/csv.ts';

async function parse(text: string): Promise<(CsvRecord | CsvSyntaxProblem)[]> {
  const records: (CsvRecord | CsvSyntaxProblem)[] = [];
  for await (const record of csvRecords(Readable.from([text]))) records.push(record);
  return records;
}

describe('Function: csvRecords', () => {
  it('splits RFC 4180 quoted fields with commas, doubled quotes and line breaks', async () => {
    // Prepare
    const text = 'a,b,c\n"x, y","say ""hi""","two\nlines"\nplain,,end\n';

    // Act
    const records = await parse(text);

    // Assess
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x, y', 'say "hi"', 'two\nlines'] },
      { line: 4, fields: ['plain', '', 'end'] },
    ]);
  });

  it('keeps a quote inside an unquoted field as text and an empty quoted field as empty', async () => {
    // Prepare
    const text = '12" RULER,""\n';

    // Act
    const records = await parse(text);

    // Assess
    expect(records).toEqual([{ line: 1, fields: ['12" RULER', ''] }]);
  });

  it('reports an unterminated quote at the line it opened on', async () => {
    // Prepare
    const text = 'a,b\n1,"open\n2,3\n';

    // Act
    const records = await parse(text);

    // Assess
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, reason: 'unterminated-quote', message: 'quoted field is never closed before the end of the file' },
    ]);
  });
});

describe('Function: csvLine', () => {
  it('quotes only the fields that need it and round-trips through the parser', async () => {
    // Prepare
    const values = ['plain', 'a,b', 'say "hi"', 'two\nlines', 3, undefined];

    // Act
    const line = csvLine(values);
    const [record] = await parse(`${line}\n`);

    // Assess
    expect(line).toBe('plain,"a,b","say ""hi""","two\nlines",3,');
    expect(record).toEqual({ line: 1, fields: ['plain', 'a,b', 'say "hi"', 'two\nlines', '3', ''] });
  });
});
