/**
 * One user: their fob (serial, state, drift, last use) and app factor (enrolment state), their
 * lockout, their recent authentication attempts with the reasons, and what support can do
 * about each. Never a seed: nothing here reads one.
 */
import { html } from './html.js';
import type { UserAppView, UserView } from '../service/users.js';
import type { TokenView } from '../service/tokens.js';
import { CONSOLE_BASE, csrfField, renderPage, type Notice } from './renderPage.js';
import type { ConsoleSession } from './consoleSessions.js';
import type { AuthLogEntry } from './readAuthLog.js';
import { formatDuration, formatTime } from './formatTime.js';
import { stateBadge } from './badges.js';

export interface UserPageData {
  user: UserView;
  fob: TokenView | null;
  /** The active app, else the pending enrolment (describeUser's `app`). */
  app: UserAppView | null;
  authLog: AuthLogEntry[];
}

export function userPage(session: ConsoleSession, d: UserPageData, notice?: Notice): string {
  const u = encodeURIComponent(d.user.user);
  const f = d.fob;
  const locked = d.user.failures.lockedUntil !== null;
  return renderPage({
    title: `User ${d.user.user}`,
    session,
    notice,
    body: html`<h1>User <span class="mono">${d.user.user}</span></h1>
<div class="grid">
<section class="panel" aria-labelledby="fob-h"><h2 id="fob-h">Key fob</h2>
${f ? html`<dl class="facts">
  <dt>Serial</dt><dd><a class="mono" href="${CONSOLE_BASE}/tokens/${encodeURIComponent(f.serial)}">${f.serial}</a></dd>
  <dt>State</dt><dd>${stateBadge(f.state, f.enabled)}</dd>
  <dt>Clock drift</dt><dd>${formatDuration(f.drift.seconds)} (${f.drift.steps} steps, ${f.drift.ratePpm} ppm)</dd>
  <dt>Last use</dt><dd>${formatTime(f.lastUsed)}</dd>
  <dt>Model, batch</dt><dd>${f.model ?? '—'}, ${f.batch ?? '—'}</dd>
</dl>
<div class="actions">
  <a class="button danger" href="${CONSOLE_BASE}/tokens/${encodeURIComponent(f.serial)}/unbind">Unbind (lost or returned)…</a>
  <a class="button secondary" href="${CONSOLE_BASE}/tokens/${encodeURIComponent(f.serial)}#resync-h">Resync…</a>
  ${f.enabled
    ? html`<a class="button secondary" href="${CONSOLE_BASE}/tokens/${encodeURIComponent(f.serial)}/disable">Disable…</a>`
    : html`<form method="post" action="${CONSOLE_BASE}/tokens/${encodeURIComponent(f.serial)}/enable">${csrfField(session)}<input type="hidden" name="back" value="user"><button type="submit">Enable</button></form>`}
</div>` : html`<p>No fob assigned.</p>
<form class="inline" method="post" action="${CONSOLE_BASE}/users/${u}/assign">${csrfField(session)}
  <label for="assign-serial">Serial of an available fob<input id="assign-serial" name="serial" class="mono" required maxlength="32"></label>
  <button type="submit">Assign</button>
</form>`}
</section>
<section class="panel" aria-labelledby="app-h"><h2 id="app-h">Authenticator app</h2>
${d.app ? html`<dl class="facts">
  <dt>Device</dt><dd>${d.app.label ?? 'unnamed'} <span class="muted mono">${d.app.id}</span></dd>
  <dt>Enrolment</dt><dd>${stateBadge(d.app.state)}</dd>
  <dt>Enrolled</dt><dd>${formatTime(d.app.createdAt)}</dd>
  <dt>Profile</dt><dd>${d.app.algorithm.toUpperCase()}, ${d.app.digits} digits, ${d.app.period} s</dd>
</dl>
<div class="actions"><a class="button danger" href="${CONSOLE_BASE}/users/${u}/revoke-app">Revoke app device…</a></div>`
  : html`<p>No app enrolled.</p>`}
</section>
<section class="panel" aria-labelledby="lock-h"><h2 id="lock-h">Lockout</h2>
<dl class="facts">
  <dt>Status</dt><dd>${locked ? html`<span class="badge locked">locked out until ${formatTime(d.user.failures.lockedUntil)}</span>` : html`<span class="badge ok">not locked</span>`}</dd>
  <dt>Recent failures</dt><dd>${d.user.failures.count}</dd>
  <dt>Last failure</dt><dd>${formatTime(d.user.failures.lastAt)}</dd>
</dl>
<form class="inline" method="post" action="${CONSOLE_BASE}/users/${u}/unlock">${csrfField(session)}
  <label for="unlock-reason">Reason<input id="unlock-reason" name="reason" maxlength="200" placeholder="e.g. identity checked by phone"></label>
  <button type="submit"${!locked && d.user.failures.count === 0 ? html` class="secondary"` : ''}>Unlock</button>
</form>
</section>
</div>
<section class="panel" aria-labelledby="log-h"><h2 id="log-h">Recent sign-in attempts</h2>
${d.authLog.length === 0 ? html`<p class="muted">No attempts recorded.</p>` : html`<div class="scroll"><table><thead><tr><th scope="col">When</th><th scope="col">Factor</th><th scope="col">Result</th><th scope="col">Reason</th></tr></thead><tbody>
${d.authLog.map((e) => html`<tr><td class="when">${formatTime(e.at)}</td><td>${e.factor ?? '—'}${e.serial && html` <span class="mono">${e.serial}</span>`}</td>
<td>${e.ok ? html`<span class="badge ok">accepted</span>` : html`<span class="badge bad">refused</span>`}</td><td>${e.reason ?? ''}</td></tr>`)}
</tbody></table></div>`}
</section>`,
  });
}
