import { errorMessage } from '../errors.js';
import { parseNetworks } from '../ip/network.js';
import type { Signals } from '../security/record.js';
import { readAddressList } from './address-list.js';
import { EntryCollector } from './collector.js';
import { isCommentLine, textLines } from './text.js';
import type { FeedInput, FeedParseResult, FeedParser } from './types.js';

const TOR: Signals = Object.freeze({ is_tor: true });

/** Keywords of a TorDNSEL record; `@type` and `Downloaded` head CollecTor's copies. */
const TORDNSEL_KEYWORDS = new Set(['ExitNode', 'Published', 'LastStatus', 'ExitAddress', '@type', 'Downloaded']);

function isTorDnsel(lines: readonly string[]): boolean {
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '' || isCommentLine(trimmed)) continue;
    return /^(?:@type\s+tordnsel|Downloaded\s|ExitNode\s)/.test(trimmed);
  }
  return false;
}

/** One address, as an ExitAddress line gives it (IPv6 possibly bracketed). */
function exitAddress(text: string): string {
  return text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
}

function parseExitAddresses(input: FeedInput, lines: readonly string[]): FeedParseResult {
  const out = new EntryCollector(input.file, { dedupe: true });
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i]!.trim();
    if (trimmed === '' || isCommentLine(trimmed)) continue;
    const words = trimmed.split(/\s+/);
    const keyword = words[0]!;
    if (!TORDNSEL_KEYWORDS.has(keyword)) {
      out.problem(i + 1, `unexpected line in a TorDNSEL exit list: '${trimmed}'`);
      continue;
    }
    if (keyword !== 'ExitAddress') continue;
    const text = exitAddress(words[1] ?? '');
    if (text === '' || text.includes('/') || text.includes('-')) {
      out.problem(i + 1, `ExitAddress needs one IP address, got '${words[1] ?? ''}'`);
      continue;
    }
    try {
      out.addAll(parseNetworks(text), TOR);
    } catch (err) {
      out.problem(i + 1, errorMessage(err));
    }
  }
  return out.result();
}

/** Tor exit lists: the plain one-IP-a-line forms (torbulkexitlist, FireHOL tor_exits, doodad-labs
 * with IPv6) and TorDNSEL's exit-addresses, told apart by the file's first data line. */
export const parseTorExits: FeedParser = (input) => {
  const lines = textLines(input.data);
  return isTorDnsel(lines) ? parseExitAddresses(input, lines) : readAddressList(input, lines, TOR);
};
