import { NOTHING_KNOWN, NOTHING_KNOWN_JSON } from '../enrich/answer.js';
import type { LookupAnswer, LookupProvider, PublicIp } from '../enrich/lookup-provider.js';
import type { RangeIndex } from '../range-index/types.js';
import type { Projection } from '../security/projection.js';
import type { SecurityRecord } from '../security/record.js';
import { formatIPv4, formatIPv6 } from '../ip/address.js';
import type { PublicAddress } from './api-ip.js';
import { classifyApiIp, entryMessage, nonStringMessage } from './api-ip.js';
import type { OutputFormat } from './params.js';
import { escapeXml, xmlElement } from './xml.js';

/** One answered address: what the index (or the fallback) knows, with its JSON when at hand. */
export interface Found {
  /** The address as sent, trimmed: text that parsed as an IPv4 or IPv6 address. */
  given: string;
  security: Readonly<SecurityRecord>;
  /** JSON.stringify(security), precomputed by the index; undefined when not at hand. */
  json: string | undefined;
}

/** A bulk entry: an answer, or the message that takes its place. */
export type Slot = Found | string;

export interface LookupCounts {
  hits: number;
  misses: number;
}

/** Called when the fallback fails: the entries are answered from the index alone (SPEC 6, `pass`). */
export type FallbackFailure = (err: unknown, ips: number) => void;

/** The fallback's form of an address, with its canonical text (the key of its answers). */
function publicIp(address: PublicAddress): PublicIp {
  return address.family === 4
    ? { family: 4, ip: formatIPv4(address.v4), v4: address.v4 }
    : { family: 6, ip: formatIPv6(address.words), words: address.words };
}

/**
 * Looks addresses up: the index first (one index reference for the whole request), then, for
 * the index's misses, the optional async fallback, asked once for the unique misses.
 */
export class Lookup {
  readonly counts: LookupCounts = { hits: 0, misses: 0 };
  private readonly pending = new Map<string, { ip: PublicIp; found: Found[] }>();

  constructor(
    private readonly index: RangeIndex,
    private readonly fallback: LookupProvider | undefined,
  ) {}

  /** The index's answer now; a miss is the defaults until `resolveMisses` fills it in. */
  find(given: string, address: PublicAddress): Found {
    const entry = address.family === 4 ? this.index.findV4(address.v4) : this.index.findV6(address.words);
    if (entry !== undefined) {
      this.counts.hits++;
      return { given, security: entry.security, json: entry.securityJson };
    }
    this.counts.misses++;
    const found: Found = { given, security: NOTHING_KNOWN, json: NOTHING_KNOWN_JSON };
    if (this.fallback !== undefined) {
      const ip = publicIp(address);
      const waiting = this.pending.get(ip.ip);
      if (waiting) waiting.found.push(found);
      else this.pending.set(ip.ip, { ip, found: [found] });
    }
    return found;
  }

  /** Asks the fallback about every miss so far. Never rejects: on failure misses keep the defaults. */
  async resolveMisses(onFailure: FallbackFailure): Promise<void> {
    if (this.fallback === undefined || this.pending.size === 0) return;
    const pending = [...this.pending.values()];
    this.pending.clear();
    let answers: ReadonlyMap<string, LookupAnswer>;
    try {
      answers = await this.fallback.lookup(pending.map((p) => p.ip));
    } catch (err) {
      onFailure(err, pending.length);
      return;
    }
    for (const { ip, found } of pending) {
      const answer = answers.get(ip.ip);
      if (answer === undefined) continue;
      for (const f of found) {
        f.security = answer.security;
        f.json = answer.securityJson;
      }
    }
  }
}

/** A bulk entry, classified and (when public) looked up. */
export function slotFor(entry: unknown, lookup: Lookup): Slot {
  if (typeof entry !== 'string') return nonStringMessage(entry);
  const ip = classifyApiIp(entry);
  return ip.kind === 'public' ? lookup.find(ip.given, ip.address) : entryMessage(ip);
}

/**
 * Renders answers in one format under one projection. The security part is rendered once per
 * distinct record (index entries are shared by many ranges), so a bulk of 50,000 addresses
 * costs one string concatenation per entry.
 */
export class AnswerRenderer {
  private readonly cache = new Map<Readonly<SecurityRecord>, string>();

  constructor(
    readonly format: OutputFormat,
    private readonly projection: Projection,
  ) {}

  /** One answer as JSON text or as an XML <response> element. */
  render(slot: Slot): string {
    if (typeof slot === 'string') {
      return this.format === 'json' ? `{"message":${JSON.stringify(slot)}}` : `<response><message>${escapeXml(slot)}</message></response>`;
    }
    const security = this.securityPart(slot);
    // `given` parsed as an IP address: hex digits, dots and colons only, nothing to escape.
    if (this.format === 'json') return `{"ip":"${slot.given}"${security}}`;
    return `<response><ip>${escapeXml(slot.given)}</ip>${security}</response>`;
  }

  /** `,"security":{...}` (JSON) or `<security>...</security>` (XML); empty when projected away. */
  private securityPart(found: Found): string {
    if (!this.projection.includeSecurity) return '';
    if (this.format === 'json' && this.projection.keep === null && found.json !== undefined) return `,"security":${found.json}`;
    let part = this.cache.get(found.security);
    if (part === undefined) {
      const projected = this.projection.apply('', found.security).security ?? {};
      part = this.format === 'json' ? `,"security":${JSON.stringify(projected)}` : xmlElement('security', projected);
      this.cache.set(found.security, part);
    }
    return part;
  }
}
