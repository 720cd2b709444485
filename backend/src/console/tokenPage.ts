/**
 * One fob: its state, owner, drift, failures and history, and support's tools on it: check a
 * code (which also clears a quarantine), assign (after that check), resync with two codes,
 * enable or disable, unbind, revoke. Never the seed.
 */
import { html } from './html.js';
import type { TokenView } from '../service/tokens.js';
import { CONSOLE_BASE, csrfField, renderPage, type Notice } from './renderPage.js';
import type { ConsoleSession } from './consoleSessions.js';
import { formatDuration, formatTime } from './formatTime.js';
import { stateBadge } from './badges.js';

/** The user a fob was last taken from, to offer giving it back after a successful check. */
function lastOwner(t: TokenView): string | undefined {
  for (let i = t.history.length - 1; i >= 0; i--) {
    const h = t.history[i]!;
    if ((h.action === 'token.unbind' || h.action === 'token.assign') && typeof h.detail.user === 'string') return h.detail.user;
  }
  return undefined;
}

function codeInput(id: string, name: string, label: string, digits: number) {
  return html`<label for="${id}">${label}<input id="${id}" name="${name}" class="code" inputmode="numeric" autocomplete="off" required pattern="[0-9]{${digits}}" minlength="${digits}" maxlength="${digits}"></label>`;
}

export function tokenPage(session: ConsoleSession, t: TokenView, notice?: Notice): string {
  const s = encodeURIComponent(t.serial);
  const base = `${CONSOLE_BASE}/tokens/${s}`;
  const owner = t.state === 'available' ? lastOwner(t) : undefined;
  return renderPage({
    title: `Fob ${t.serial}`,
    session,
    notice,
    body: html`<h1>Fob <span class="mono">${t.serial}</span> ${stateBadge(t.state, t.enabled)}</h1>
<div class="grid">
<section class="panel" aria-labelledby="facts-h"><h2 id="facts-h">Details</h2>
<dl class="facts">
  <dt>User</dt><dd>${t.user ? html`<a href="${CONSOLE_BASE}/users/${encodeURIComponent(t.user)}">${t.user}</a>` : html`<span class="muted">none</span>`}</dd>
  <dt>Model, batch</dt><dd>${t.model ?? '—'}, ${t.batch ?? '—'} (${t.source})</dd>
  <dt>Profile</dt><dd>${t.algorithm.toUpperCase()}, ${t.digits} digits, ${t.period} s</dd>
  <dt>Clock drift</dt><dd>${formatDuration(t.drift.seconds)} (${t.drift.steps} steps; ${t.drift.ratePpm} ± ${t.drift.rateUncertaintyPpm} ppm)</dd>
  <dt>Last use</dt><dd>${formatTime(t.lastUsed)}</dd>
  <dt>Failures</dt><dd>${t.failures.count}${t.failures.lockedUntil !== null && html` <span class="badge locked">locked until ${formatTime(t.failures.lockedUntil)}</span>`}</dd>
  <dt>Provisioned</dt><dd>${formatTime(t.provisionedAt)}</dd>
</dl>
<div class="actions">
  ${t.state === 'assigned' && html`<a class="button danger" href="${base}/unbind">Unbind (lost or returned)…</a>`}
  ${t.state !== 'revoked' && (t.enabled
    ? html`<a class="button secondary" href="${base}/disable">Disable…</a>`
    : html`<form method="post" action="${base}/enable">${csrfField(session)}<button type="submit">Enable</button></form>`)}
  ${t.state !== 'revoked' && html`<a class="button danger" href="${base}/revoke">Revoke for good…</a>`}
</div>
</section>
${t.state !== 'revoked' && html`<section class="panel" aria-labelledby="check-h"><h2 id="check-h">Check a code</h2>
<p class="muted">Ask the holder for the code on the display. Consumes nothing${t.state === 'quarantined' ? '; a match takes the fob out of quarantine' : ''}.</p>
<form class="inline" method="post" action="${base}/check">${csrfField(session)}
  ${codeInput('check-code', 'code', 'Code', t.digits)}
  <button type="submit">Check</button>
</form></section>`}
${t.state === 'available' && html`<section class="panel" aria-labelledby="assign-h"><h2 id="assign-h">Assign to a user</h2>
<form class="inline" method="post" action="${base}/assign">${csrfField(session)}
  <label for="assign-user">User<input id="assign-user" name="user" required maxlength="128" value="${owner ?? ''}"></label>
  <button type="submit">Assign</button>
</form></section>`}
${(t.state === 'assigned' || t.state === 'available') && html`<section class="panel" aria-labelledby="resync-h"><h2 id="resync-h">Resync the clock</h2>
<p class="muted">Two codes in a row from the fob: press, note the code, wait until it changes, note the next one.</p>
<form class="inline" method="post" action="${base}/resync">${csrfField(session)}
  ${codeInput('code1', 'code1', 'First code', t.digits)}
  ${codeInput('code2', 'code2', 'Next code', t.digits)}
  <button type="submit">Resync</button>
</form></section>`}
</div>
<section class="panel" aria-labelledby="hist-h"><h2 id="hist-h">History</h2>
<div class="scroll"><table><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Detail</th></tr></thead><tbody>
${[...t.history].reverse().map((h) => html`<tr><td class="when">${formatTime(h.at)}</td><td class="mono">${h.actor}</td><td>${h.action}</td><td class="mono detail">${JSON.stringify(h.detail)}</td></tr>`)}
</tbody></table></div>
</section>`,
  });
}
