// Port settings from the environment: a number, or 0 for any free loopback port.
import net from 'node:net';
import process from 'node:process';
import { StackError } from './errors.js';

/**
 * @param {string} variable @param {number} fallback
 * @returns {{ port: number; explicit: boolean }}
 */
export function portSetting(variable, fallback) {
  const raw = process.env[variable];
  if (raw === undefined || raw.trim() === '') return { port: fallback, explicit: false };
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new StackError(`${variable}=${JSON.stringify(raw)} is not a port: use an integer from 1 to 65535, or 0 for any free port`);
  }
  return { port, explicit: true };
}

/** @param {number} port @returns {Promise<number>} the bound port, or -1 when it is taken */
function tryListen(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error) => {
      if (/** @type {NodeJS.ErrnoException} */ (error).code === 'EADDRINUSE') resolve(-1);
      else reject(error);
    });
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A free port on 127.0.0.1: the requested one (error naming the variable when taken), or any
 * free one for 0. `exclude` keeps two ports chosen in one run apart.
 * @param {string} variable @param {number} port @param {number[]} [exclude]
 */
export async function claimPort(variable, port, exclude = []) {
  if (port === 0) {
    for (let i = 0; i < 20; i++) {
      const free = await tryListen(0);
      if (free > 0 && !exclude.includes(free)) return free;
    }
    throw new StackError(`could not find a free port on 127.0.0.1 for ${variable}`);
  }
  if (exclude.includes(port) || (await tryListen(port)) < 0) {
    throw new StackError(
      `port ${port} on 127.0.0.1 is already in use, so the stack cannot take it for ${variable}. ` +
        `Stop whatever listens there, or choose another port: ${variable}=<port> (0 picks any free port).`,
    );
  }
  return port;
}
