/** What a console handler answers, and the one place that writes it with the console's security headers. */
import type { ServerResponse } from 'node:http';

export type ConsoleReply =
  | { status: number; html: string; headers?: Record<string, string> }
  | { redirect: string; headers?: Record<string, string> }
  | { status: number; css: string };

/**
 * default-src 'self' (the brief's CSP) plus what it does not cover: no <base>, forms post
 * only here, and no framing (clickjacking of the confirm buttons).
 */
export const CONSOLE_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function writeConsoleReply(res: ServerResponse, reply: ConsoleReply): void {
  const common = {
    'content-security-policy': CONSOLE_CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
  };
  if ('redirect' in reply) {
    res.writeHead(303, { ...common, location: reply.redirect, 'content-length': 0, ...reply.headers });
    res.end();
    return;
  }
  const [type, body] = 'css' in reply ? ['text/css; charset=utf-8', reply.css] : ['text/html; charset=utf-8', reply.html];
  res.writeHead(reply.status, { ...common, 'content-type': type, 'content-length': Buffer.byteLength(body), ...('headers' in reply ? reply.headers : {}) });
  res.end(body);
}
