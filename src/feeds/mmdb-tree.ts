import type { Network } from '../ip/network.js';

/** What the walker needs from an MMDB's metadata. */
export interface MmdbTreeShape {
  nodeCount: number;
  recordSize: number;
  nodeByteSize: number;
  searchTreeSize: number;
  ipVersion: number;
}

/** Called once per network whose record points into the data section, with the absolute file
 * offset of that data record. */
export type MmdbVisitor = (network: Network, dataOffset: number) => void;

/** Reads the left and right record of a node (MaxMind DB spec, "Node Layout"):
 *   24 bits: | left 3 bytes | right 3 bytes |
 *   28 bits: | left low 3 bytes | left high nibble, right high nibble | right low 3 bytes |
 *   32 bits: | left 4 bytes | right 4 bytes |
 */
function recordReader(db: Buffer, shape: MmdbTreeShape): (node: number, right: boolean) => number {
  const size = shape.nodeByteSize;
  switch (shape.recordSize) {
    case 24:
      return (node, right) => db.readUIntBE(node * size + (right ? 3 : 0), 3);
    case 28:
      return (node, right) => {
        const at = node * size;
        const middle = db[at + 3]!;
        return right
          ? (middle & 0x0f) * 0x1000000 + db.readUIntBE(at + 4, 3)
          : (middle >>> 4) * 0x1000000 + db.readUIntBE(at, 3);
      };
    case 32:
      return (node, right) => db.readUInt32BE(node * size + (right ? 4 : 0));
    default:
      throw new Error(`record size ${shape.recordSize} is not 24, 28 or 32`);
  }
}

/** The node IPv4 lookups start from in an IPv6 tree: 96 zero bits down from the root. */
function ipv4StartNode(read: (node: number, right: boolean) => number, nodeCount: number): number {
  let node = 0;
  for (let i = 0; i < 96 && node < nodeCount; i++) node = read(node, false);
  return node;
}

const V4_SPACE = { family: 4, first: 0, prefix: 0 } as const satisfies Network;

function toNetwork(value: bigint, depth: number, ipVersion: number): Network {
  if (ipVersion === 4) return { family: 4, first: Number(value >> 96n), prefix: depth };
  if (depth >= 96 && value >> 32n === 0n) return { family: 4, first: Number(value), prefix: depth - 96 };
  return { family: 6, first: value, prefix: depth };
}

/**
 * Visits every network of the search tree that has a data record. Paths are carried as 128-bit
 * values (an IPv4 tree's 32 bits sit at the top). In an IPv6 tree the IPv4 space is the ::/96
 * subtree, reported as family 4; MaxMind's writer also links ::ffff:0:0/96 and 2002::/16 to
 * that same node, and those aliases are skipped so each IPv4 network comes out once.
 * Throws on a tree that points outside itself.
 */
export function walkMmdbTree(db: Buffer, shape: MmdbTreeShape, visit: MmdbVisitor): void {
  const { nodeCount, ipVersion, searchTreeSize } = shape;
  if (ipVersion !== 4 && ipVersion !== 6) throw new Error(`ip_version ${ipVersion} is not 4 or 6`);
  if (nodeCount * shape.nodeByteSize !== searchTreeSize || searchTreeSize > db.length) {
    throw new Error('search tree size does not match the node count');
  }
  const read = recordReader(db, shape);
  const bits = ipVersion === 4 ? 32 : 128;
  const v4Start = ipVersion === 6 ? ipv4StartNode(read, nodeCount) : -1;
  // Explicit stack of (record, depth, path): depth-first, left before right, so networks come
  // out in address order.
  const records: number[] = [0];
  const depths: number[] = [0];
  const paths: bigint[] = [0n];
  let visits = 0;
  const maxVisits = nodeCount * 4 + 1024;
  while (records.length > 0) {
    const record = records.pop()!;
    const depth = depths.pop()!;
    const path = paths.pop()!;
    if (record === nodeCount) continue;
    if (record > nodeCount) {
      const dataOffset = record - nodeCount + searchTreeSize;
      if (dataOffset >= db.length) throw new Error(`record points past the end of the data section (${dataOffset})`);
      visit(toNetwork(path, depth, ipVersion), dataOffset);
      if (ipVersion === 6 && depth < 96 && path === 0n) visit(V4_SPACE, dataOffset);
      continue;
    }
    if (record === v4Start && depth > 0 && !(depth === 96 && path === 0n)) continue;
    if (depth >= bits) throw new Error(`search tree is deeper than ${bits} bits`);
    if (++visits > maxVisits) throw new Error('search tree loops back on itself');
    const shift = BigInt(127 - depth);
    records.push(read(record, true), read(record, false));
    depths.push(depth + 1, depth + 1);
    paths.push(path | (1n << shift), path);
  }
}
