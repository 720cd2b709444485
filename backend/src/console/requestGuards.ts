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
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return { ok: false, reason: 'Origin is not a URL' };
  }
  // Behind a reverse proxy that rewrites Host, the public name arrives as X-Forwarded-Host.
  // Trusting it is safe here: a page on another site cannot make a browser send that header
  // (a form cannot set headers, and fetch with one needs a CORS preflight this server never grants).
  const forwarded = req.headers['x-forwarded-host'];
  const hosts = [req.headers.host, ...(typeof forwarded === 'string' ? [forwarded.split(',')[0]!.trim()] : [])];
  if (!hosts.includes(parsed.host)) return { ok: false, reason: 'Origin is another site' };
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
