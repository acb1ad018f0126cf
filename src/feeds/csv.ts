/** One CSV record and the 1-based line it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** A record that could not be split; the reader resumes on the next line. */
export interface CsvError {
  line: number;
  error: string;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/**
 * RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks (the record
 * keeps the line it starts on). Lines starting with `#` and blank lines are skipped. Quotes
 * inside an unquoted field are kept as text, as spreadsheets write them.
 */
export function* csvRecords(text: string): Generator<CsvRecord | CsvError> {
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const skipToNextLine = (): void => {
    while (i < n && text.charCodeAt(i) !== LF) i++;
    if (i < n) {
      i++;
      line++;
    }
  };
  while (i < n) {
    const start = line;
    if (text.charCodeAt(i) === 35) {
      skipToNextLine();
      continue;
    }
    const fields: string[] = [];
    let error: string | undefined;
    for (;;) {
      let field = '';
      if (text.charCodeAt(i) === QUOTE) {
        i++;
        for (;;) {
          const close = text.indexOf('"', i);
          if (close < 0) {
            error = 'unterminated quoted field';
            i = n;
            break;
          }
          const chunk = text.slice(i, close);
          for (let k = chunk.indexOf('\n'); k >= 0; k = chunk.indexOf('\n', k + 1)) line++;
          field += chunk;
          i = close + 1;
          if (text.charCodeAt(i) === QUOTE) {
            field += '"';
            i++;
            continue;
          }
          break;
        }
        if (error) break;
        const next = i < n ? text.charCodeAt(i) : LF;
        if (next !== COMMA && next !== LF && next !== CR) {
          error = 'text after a closing quote (a quote inside a quoted field must be doubled)';
          break;
        }
      } else {
        const from = i;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === COMMA || c === LF) break;
          i++;
        }
        field = text.slice(from, i);
        if (field.endsWith('\r') && (i === n || text.charCodeAt(i) === LF)) field = field.slice(0, -1);
      }
      fields.push(field);
      if (i < n && text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF) i++;
      if (i >= n) break;
      const c = text.charCodeAt(i);
      i++;
      if (c === LF) {
        line++;
        break;
      }
    }
    if (error !== undefined) {
      yield { line: start, error };
      if (i < n) skipToNextLine();
      continue;
    }
    if (fields.length === 1 && fields[0]!.trim() === '') continue;
    yield { line: start, fields };
  }
}
