// A date (midnight UTC) or a date-time with Z or an offset: a time without a zone would be read
// in the machine's local zone, and a time window or a validity should not move with the host
// it runs on.
const ISO = /^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2}))?$/;

/**
 * Epoch milliseconds of a command-line time, or undefined with a problem (naming the option and
 * the value) pushed onto `problems`.
 */
export function parseInstant(text: string, option: string, problems: string[]): number | undefined {
  const match = ISO.exec(text.trim());
  if (!match) {
    const hint = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text.trim()) ? ': add Z or an offset such as +02:00' : '';
    problems.push(`${option}: '${text}' is not an ISO 8601 date or date-time with a zone (e.g. 2025-01-31T12:00:00Z)${hint}`);
    return undefined;
  }
  // Date.parse rolls 30 February over into March; the fields are checked first.
  const [year, month, day] = match[1]!.split('-').map(Number) as [number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const clock = [match[2], match[3], match[4]].map((v) => Number(v ?? 0));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || clock[0]! > 23 || clock[1]! > 59 || clock[2]! > 59) {
    problems.push(`${option}: '${text}' is not a valid date or time`);
    return undefined;
  }
  const ms = match[2] === undefined ? Date.parse(`${match[1]!}T00:00:00Z`) : Date.parse(text.trim().replace(' ', 'T'));
  if (Number.isNaN(ms)) {
    problems.push(`${option}: '${text}' is not a valid date or time`);
    return undefined;
  }
  return ms;
}
