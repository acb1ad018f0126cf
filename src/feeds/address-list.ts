import { IpriskError, errorMessage } from '../errors.js';
import { parseNetworks } from '../ip/network.js';
import type { Signals } from '../security/record.js';
import { EntryCollector } from './collector.js';
import { isCommentLine } from './text.js';
import type { FeedInput, FeedParseResult } from './types.js';

const INLINE_COMMENT = /\s+(?:#|;|\/\/).*$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const V4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const BRACKETED_V6 = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/;
/** A CSV header such as mannfred's `proxy exit ip,optional comment` or `subnet mask,description`. */
const HEADER = /^[A-Za-z][A-Za-z0-9 _-]*(?:,[A-Za-z0-9 _-]*)*$/;

/**
 * The address text of one list line, as real lists write it: `1.2.3.4 # Amsterdam`,
 * `1.2.3.4,comment` (first CSV field), `socks5://1.2.3.4:1080`, `1.2.3.4:8080`,
 * `[2001:db8::1]:443`. CIDRs and `a-b` ranges pass through unchanged.
 */
export function addressText(line: string): string {
  let text = line.replace(INLINE_COMMENT, '');
  const comma = text.indexOf(',');
  if (comma >= 0) text = text.slice(0, comma);
  text = text.trim();
  const scheme = SCHEME.exec(text);
  if (scheme) {
    text = text.slice(scheme[0].length);
    const slash = text.indexOf('/');
    if (slash >= 0) text = text.slice(0, slash);
    const at = text.lastIndexOf('@');
    if (at >= 0) text = text.slice(at + 1);
  }
  const bracketed = BRACKETED_V6.exec(text);
  if (bracketed) return bracketed[1]!;
  const withPort = V4_WITH_PORT.exec(text);
  if (withPort) return withPort[1]!;
  return text;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Reads a one-address-a-line list where every entry carries the same signals. Blank and
 * comment lines are skipped, as is a CSV header on the first data line. A file in which no
 * data line is an address is not a list at all (an HTML error page, an ASN list): that
 * throws FEED_UNREADABLE rather than burying the operator in one problem per line.
 */
export function readAddressList(input: FeedInput, lines: readonly string[], signals: Signals): FeedParseResult {
  const out = new EntryCollector(input.file, { dedupe: true });
  let dataLines = 0;
  let firstData = true;
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i]!.trim();
    if (trimmed === '' || isCommentLine(trimmed)) continue;
    const isFirst = firstData;
    firstData = false;
    const text = addressText(trimmed);
    try {
      out.addAll(parseNetworks(text), signals);
      dataLines++;
    } catch (err) {
      if (isFirst && HEADER.test(trimmed)) continue;
      dataLines++;
      out.problem(i + 1, text === trimmed ? errorMessage(err) : `${errorMessage(err)} (line: '${clip(trimmed)}')`);
    }
  }
  if (dataLines > 0 && out.entries.length === 0) {
    const first = out.problems[0];
    throw new IpriskError(
      'FEED_UNREADABLE',
      `${input.file}: no line is an IP address, CIDR or range` + (first ? ` (line ${first.line}: ${first.message})` : ''),
    );
  }
  return out.result();
}
