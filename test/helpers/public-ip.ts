import type { PublicIp } from '../../src/enrich/lookup-provider.js';
import { parseClientIp } from '../../src/ip/client-ip.js';

/** A public address as the enricher hands it to a lookup provider. */
export function pub(text: string): PublicIp {
  const parsed = parseClientIp(text);
  if (parsed.kind !== 'public') throw new Error(`${text} is not a public address`);
  return parsed.family === 4 ? { family: 4, ip: parsed.ip, v4: parsed.v4 } : { family: 6, ip: parsed.ip, words: parsed.words };
}

export function pubs(...texts: string[]): PublicIp[] {
  return texts.map(pub);
}
