/** Reads a bounded application/x-www-form-urlencoded body (the console's forms are small). */
import type { IncomingMessage } from 'node:http';
import { BackendError } from '../errors.js';

export const MAX_FORM_BYTES = 8 * 1024;

export function readForm(req: IncomingMessage, limit = MAX_FORM_BYTES): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
      req.resume();
      reject(new BackendError('UNSUPPORTED_MEDIA_TYPE', 'console forms are sent as application/x-www-form-urlencoded'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(new BackendError('PAYLOAD_TOO_LARGE', `form over ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}
