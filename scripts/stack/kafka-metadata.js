// A raw Metadata request, so readiness is proven by the broker answering the protocol
// (not just by a log line) without loading a client library into this script.
//
// Metadata v4 is the oldest version Kafka 4 still accepts (KIP-896 removed v0-v3).
//   request : int32 size | int16 api_key=3 | int16 api_version=4 | int32 correlation_id
//             | int16 client_id length + bytes | int32 topics=0 (none) | int8 allow_auto_create=0
//   response: int32 size | int32 correlation_id | int32 throttle_ms
//             | int32 broker count, each: int32 node_id | string host | int32 port | nullable string rack
import { Buffer } from 'node:buffer';
import net from 'node:net';

const CLIENT_ID = 'iprisk-stack';

function request(correlationId) {
  const client = Buffer.from(CLIENT_ID, 'utf8');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + client.length + 4 + 1);
  let o = 0;
  o = body.writeInt16BE(3, o);
  o = body.writeInt16BE(4, o);
  o = body.writeInt32BE(correlationId, o);
  o = body.writeInt16BE(client.length, o);
  o += client.copy(body, o);
  o = body.writeInt32BE(0, o);
  body.writeInt8(0, o);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** @param {Buffer} frame the response after its size prefix */
function parseBrokers(frame, correlationId) {
  let o = 0;
  if (frame.readInt32BE(o) !== correlationId) throw new Error('metadata response carries another correlation id');
  o += 8; // correlation id, throttle time
  const count = frame.readInt32BE(o);
  o += 4;
  const brokers = [];
  for (let i = 0; i < count; i++) {
    o += 4; // node id
    const hostLength = frame.readInt16BE(o);
    o += 2;
    const host = frame.toString('utf8', o, o + hostLength);
    o += hostLength;
    const port = frame.readInt32BE(o);
    o += 4;
    const rackLength = frame.readInt16BE(o);
    o += 2 + Math.max(rackLength, 0);
    brokers.push(`${host}:${port}`);
  }
  return brokers;
}

/**
 * @param {string} host @param {number} port @param {number} timeoutMs
 * @returns {Promise<string[]>} the advertised brokers; rejects when the broker does not answer
 */
export function metadataBrokers(host, port, timeoutMs) {
  const correlationId = 1 + Math.floor(Math.random() * 1_000_000);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let received = Buffer.alloc(0);
    const done = (error, brokers) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(brokers);
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no metadata answer from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once('error', (error) => done(error));
    socket.once('connect', () => socket.write(request(correlationId)));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const size = received.readInt32BE(0);
      if (received.length < 4 + size) return;
      try {
        done(null, parseBrokers(received.subarray(4, 4 + size), correlationId));
      } catch (error) {
        done(error);
      }
    });
    socket.once('end', () => done(new Error(`${host}:${port} closed the connection before answering metadata`)));
  });
}
