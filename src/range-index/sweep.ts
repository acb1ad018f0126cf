/**
 * Cuts one family's address space into elementary intervals over which the set of covering
 * networks does not change. Networks are CIDRs, so any two are nested or disjoint and the open
 * networks at any point form one chain: a stack whose top is the most specific.
 *
 * Generic over number (IPv4) and bigint (IPv6): only comparisons are needed, because every
 * network carries its exclusive end, computed once by the caller.
 */
export interface SweepNetwork<K extends number | bigint> {
  first: K;
  /** One past the last address. */
  end: K;
  prefix: number;
  /** Tie-break among identical networks: the order they are pushed in. */
  order: number;
}

export function compareNetworks<K extends number | bigint>(a: SweepNetwork<K>, b: SweepNetwork<K>): number {
  if (a.first < b.first) return -1;
  if (a.first > b.first) return 1;
  return a.prefix - b.prefix || a.order - b.order;
}

/**
 * Calls `visit(start, stack, depth)` for each interval [start, next start) in ascending order,
 * from `spaceStart` up to `spaceEnd` (exclusive), gaps included. `stack[0..depth)` holds the
 * networks covering the interval, outermost first. `sorted` must be ordered by compareNetworks.
 * The stack array is reused between calls: read it, do not keep it.
 */
export function sweep<K extends number | bigint, N extends SweepNetwork<K>>(
  sorted: readonly N[],
  spaceStart: K,
  spaceEnd: K,
  visit: (start: K, stack: readonly N[], depth: number) => void,
): void {
  const stack: N[] = [];
  let depth = 0;
  let i = 0;
  let cur = spaceStart;
  while (cur < spaceEnd) {
    while (depth > 0 && stack[depth - 1]!.end <= cur) depth--;
    while (i < sorted.length && sorted[i]!.first === cur) {
      stack[depth++] = sorted[i++]!;
    }
    let next = spaceEnd;
    if (depth > 0) next = stack[depth - 1]!.end;
    if (i < sorted.length && sorted[i]!.first < next) next = sorted[i]!.first;
    visit(cur, stack, depth);
    cur = next;
  }
}
