import type { IpExtractionConfig } from '../config/schema.js';
import type { ClientIp } from '../ip/client-ip.js';
import { parseClientIp } from '../ip/client-ip.js';
import { NetworkSet } from '../ip/network.js';
import { FieldPath } from './field-path.js';

/** Where an event's client address came from, as text, before classification. */
export interface ExtractedIp {
  /** The raw text found; undefined when no configured field holds a string. */
  raw: string | undefined;
  /** Parsed once; callers cache by raw text across a batch. */
  parsed: ClientIp;
}

const MISSING: ClientIp = { kind: 'invalid', ip: '', reason: 'missing' };

function isTrusted(trusted: NetworkSet, ip: ClientIp): boolean {
  if (ip.kind === 'invalid') return false;
  // Bogons count too: proxies often sit on private addresses (a load balancer on 10.0.0.5).
  return ip.family === 4 ? trusted.hasV4(ip.v4) : trusted.hasV6(ip.words);
}

/**
 * Finds the client address of an event (SPEC section 3): the first configured field that
 * holds a string; then, when that address is a trusted proxy, the X-Forwarded-For chain read
 * right to left, skipping trusted proxies, as nginx's real_ip_recursive does. Without trusted
 * proxies the chain is spoofable and is read only when no address field is present, taking the
 * right-most entry: the address the last hop saw.
 */
export class IpExtractor {
  private readonly fields: readonly FieldPath[];
  private readonly xff: FieldPath;
  private readonly trusted: NetworkSet;

  constructor(config: IpExtractionConfig) {
    this.fields = config.ip_fields.map((p) => new FieldPath(p));
    this.xff = new FieldPath(config.xff_field);
    this.trusted = new NetworkSet(config.trusted_proxies);
  }

  /** Reads the raw text of the first configured IP field holding a string, or undefined. */
  private direct(event: Record<string, unknown>): string | undefined {
    for (const field of this.fields) {
      const value = field.read(event);
      if (typeof value === 'string') return value;
      if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
    }
    return undefined;
  }

  private chain(event: Record<string, unknown>): string[] {
    const value = this.xff.read(event);
    if (typeof value === 'string') return value.split(',');
    if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string').flatMap((v) => v.split(','));
    return [];
  }

  extract(event: Record<string, unknown>, parse: (raw: string) => ClientIp = parseClientIp): ExtractedIp {
    const raw = this.direct(event);
    const direct = raw === undefined ? undefined : parse(raw);
    if (direct !== undefined && !this.isTrustedProxy(direct)) return { raw, parsed: direct };
    return this.fromChain(event, raw, direct, parse);
  }

  /** extract(event, parse).parsed without the wrapper object: the enricher's per-event path. */
  client(event: Record<string, unknown>, parse: (raw: string) => ClientIp = parseClientIp): ClientIp {
    const raw = this.direct(event);
    const direct = raw === undefined ? undefined : parse(raw);
    if (direct !== undefined && !this.isTrustedProxy(direct)) return direct;
    return this.fromChain(event, raw, direct, parse).parsed;
  }

  private isTrustedProxy(ip: ClientIp): boolean {
    return this.trusted.size > 0 && isTrusted(this.trusted, ip);
  }

  /** The X-Forwarded-For part of extract: no direct address, or a trusted proxy's. */
  private fromChain(
    event: Record<string, unknown>,
    raw: string | undefined,
    direct: ClientIp | undefined,
    parse: (raw: string) => ClientIp,
  ): ExtractedIp {
    const hops = this.chain(event).map((h) => h.trim()).filter((h) => h.length > 0);
    if (hops.length === 0) return raw === undefined ? { raw, parsed: MISSING } : { raw, parsed: direct ?? MISSING };
    if (this.trusted.size === 0) {
      const last = hops.at(-1)!;
      return { raw: last, parsed: parse(last) };
    }
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      const parsed = parse(hop);
      if (i === 0 || !isTrusted(this.trusted, parsed)) return { raw: hop, parsed };
    }
    return { raw, parsed: direct ?? MISSING };
  }
}
