import type { IncomingMessage } from 'node:http';
import { ApiError } from './api-error.js';

/** The client went away before its request body was complete: nothing to answer. */
export class ClientGone extends Error {
  constructor() {
    super('the client closed the connection before its request body was complete');
    this.name = 'ClientGone';
  }
}

function tooLarge(maxBytes: number, announced?: number): ApiError {
  const what = announced === undefined ? 'The request body is larger' : `The request body (${announced} bytes) is larger`;
  return new ApiError(413, `${what} than the limit of ${maxBytes} bytes.`, { bodyUnread: true });
}

/**
 * The media type of a Content-Type header, lower case, without parameters
 * ("application/json; charset=utf-8" is "application/json").
 */
export function mediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === '' ? undefined : type;
}

/**
 * Reads a request body of at most `maxBytes`. Rejects with a 413 ApiError as soon as the
 * announced Content-Length or the bytes received pass the limit: nothing beyond the limit is
 * buffered. Rejects with ClientGone when the client aborts.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const header = req.headers['content-length'];
  if (header !== undefined) {
    const announced = Number(header);
    if (Number.isFinite(announced) && announced > maxBytes) return Promise.reject(tooLarge(maxBytes, announced));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        chunks.length = 0;
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onGone = (): void => {
      cleanup();
      reject(new ClientGone());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Body text, or a 400 naming the problem: not UTF-8 is not silently mended with U+FFFD. */
export function decodeUtf8(body: Buffer): string {
  try {
    return UTF8.decode(body);
  } catch {
    throw new ApiError(400, 'The request body is not valid UTF-8: send the JSON as UTF-8 text.');
  }
}
