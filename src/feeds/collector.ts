import type { Network } from '../ip/network.js';
import type { Signals } from '../security/record.js';
import type { FeedEntry, FeedParseResult, FeedProblem } from './types.js';

function networkKey(net: Network): string {
  return `${net.family}|${String(net.first)}|${net.prefix}`;
}

/**
 * Gathers one file's entries and problems. Formats whose every entry carries the same signals
 * (lists, cloud ranges) dedupe identical networks: Azure repeats a prefix under many tags, AWS
 * under several services, Tor's exit-addresses once per relay.
 */
export class EntryCollector {
  readonly entries: FeedEntry[] = [];
  readonly problems: FeedProblem[] = [];
  private readonly seen: Set<string> | undefined;

  constructor(
    private readonly file: string,
    options: { dedupe: boolean },
  ) {
    this.seen = options.dedupe ? new Set<string>() : undefined;
  }

  add(network: Network, signals: Signals): void {
    if (this.seen) {
      const key = networkKey(network);
      if (this.seen.has(key)) return;
      this.seen.add(key);
    }
    this.entries.push({ network, signals });
  }

  addAll(networks: readonly Network[], signals: Signals): void {
    for (const network of networks) this.add(network, signals);
  }

  problem(line: number, message: string): void {
    this.problems.push({ file: this.file, line, message });
  }

  result(): FeedParseResult {
    return { entries: this.entries, problems: this.problems };
  }
}
