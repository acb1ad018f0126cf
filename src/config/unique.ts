import type { z } from 'zod';

/**
 * A superRefine for a list whose elements are told apart by one key (source names, allowlist
 * names): a repeated value is reported at its element's key, naming the first one.
 * `what` is the value's name in messages, `list` the list's path ("duplicate source name 'x'
 * (also at sources.0)").
 */
export function uniqueBy<T>(key: keyof T & string, what: string, list: string) {
  return (items: readonly T[], ctx: z.RefinementCtx): void => {
    const seen = new Map<unknown, number>();
    items.forEach((item, i) => {
      const value = item[key];
      const before = seen.get(value);
      if (before !== undefined) {
        ctx.addIssue({ code: 'custom', message: `duplicate ${what} '${String(value)}' (also at ${list}.${before})`, path: [i, key] });
      }
      seen.set(value, i);
    });
  };
}
