/**
 * Cross-site request checks for every console POST, before any cookie is trusted: a browser
 * states where a request comes from (Sec-Fetch-Site; Origin on every POST), and only this
 * origin may post. A form on another port of the same host is same-site (so SameSite=Strict
 * still sends the cookie) but not same-origin: it is refused here. Clients that send neither
 * header (not a browser) must still carry the form's synchronizer token, checked by the caller.
 */
import type { IncomingMessage } from 'node:http';

export type OriginVerdict = { ok: true } | { ok: false; reason: string };

export function checkSameOrigin(req: IncomingMessage): OriginVerdict {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return { ok: false, reason: `Sec-Fetch-Site is ${String(site)}` };
  const origin = req.headers.origin;
  if (origin === undefined) return { ok: true };
  const host = req.headers.host;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return { ok: false, reason: 'Origin is not a URL' };
  }
  if (!host || parsed.host !== host) return { ok: false, reason: 'Origin is another site' };
  return { ok: true };
}

/** The value of one cookie, or undefined. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
