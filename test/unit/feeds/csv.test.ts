import { describe, expect, it } from 'vitest';
import { csvRecords } from '../../../src/feeds/csv.js';

describe('csvRecords', () => {
  it('splits quoted fields holding commas, doubled quotes and line breaks', () => {
    const text = 'a,"b,c","say ""hi"""\r\n"multi\nline",x,\n';
    expect([...csvRecords(text)]).toEqual([
      { line: 1, fields: ['a', 'b,c', 'say "hi"'] },
      { line: 2, fields: ['multi\nline', 'x', ''] },
    ]);
  });

  it('skips comment and blank lines but keeps counting them', () => {
    expect([...csvRecords('# header comment\n\nnetwork\n\n1.2.3.4')]).toEqual([
      { line: 3, fields: ['network'] },
      { line: 5, fields: ['1.2.3.4'] },
    ]);
  });

  it('reports a stray quote after a quoted field and carries on with the next line', () => {
    expect([...csvRecords('"a"b,c\nd,e\n')]).toEqual([
      { line: 1, error: expect.stringContaining('closing quote') as unknown },
      { line: 2, fields: ['d', 'e'] },
    ]);
  });

  it('reports an unterminated quoted field at the line it starts on', () => {
    expect([...csvRecords('x,y\n"open,\nmore\n')]).toEqual([
      { line: 1, fields: ['x', 'y'] },
      { line: 2, error: 'unterminated quoted field' },
    ]);
  });
});
