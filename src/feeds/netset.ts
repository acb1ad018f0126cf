import { IpriskError } from '../errors.js';
import { BENIGN, signalsForMeaning } from '../security/record.js';
import { readAddressList } from './address-list.js';
import { KNOWN_GOOD_SIGNALS } from './known-good.js';
import { textLines } from './text.js';
import type { FeedParser } from './types.js';

/** Plain CIDR / IP / range lists (FireHOL netsets and ipsets, X4BNet, az0, mannfred, monosans):
 * every entry gets the source's declared meaning. Bogons are kept; the index builder clips them. */
export const parseNetset: FeedParser = (input) => {
  const { meaning, provider, confidence } = input.source;
  if (meaning === undefined) {
    throw new IpriskError('CONFIG_INVALID', `source '${input.source.name}': netset sources must declare a meaning`);
  }
  const signals = meaning === BENIGN ? KNOWN_GOOD_SIGNALS : Object.freeze(signalsForMeaning(meaning, provider, confidence));
  return readAddressList(input, textLines(input.data), signals);
};
