/**
 * Position of the snapshot in force at `timeMs` among validity starts sorted ascending: the last
 * one at or before it (an event exactly at a start gets the snapshot starting there). -1 when
 * `timeMs` precedes them all.
 */
export function inForceAt(validFromMs: ArrayLike<number>, timeMs: number): number {
  let lo = 0;
  let hi = validFromMs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (validFromMs[mid]! <= timeMs) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
