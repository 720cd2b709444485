/** Search: users by part of their name, fobs by serial prefix, batch and state. */
import { html } from './html.js';
import { TOKEN_STATES } from '../store/rows.js';
import { CONSOLE_BASE, renderPage, type Notice } from './renderPage.js';
import type { ConsoleSession } from './consoleSessions.js';
import type { SearchQuery, SearchResult } from './searchDirectory.js';
import { formatTime } from './formatTime.js';
import { stateBadge } from './badges.js';

export function searchPage(session: ConsoleSession, query: SearchQuery, result: SearchResult | undefined, notice?: Notice): string {
  const r = result;
  return renderPage({
    title: 'Search',
    session,
    current: 'search',
    notice,
    body: html`<h1>Find a user or a fob</h1>
<section class="panel" aria-labelledby="search-h"><h2 id="search-h">Search</h2>
<form class="inline" method="get" action="${CONSOLE_BASE}/search" role="search">
  <label for="q">User name or serial<input id="q" name="q" type="search" value="${query.q}" maxlength="128" placeholder="e.g. alice or FK0000" autofocus></label>
  <label for="batch">Batch<input id="batch" name="batch" value="${query.batch ?? ''}" maxlength="64"></label>
  <label for="state">Fob state<select id="state" name="state"><option value="">any</option>${TOKEN_STATES.map((s) => html`<option value="${s}"${query.state === s ? html` selected` : ''}>${s}</option>`)}</select></label>
  <button type="submit">Search</button>
</form></section>
${r && html`
<section class="panel" aria-labelledby="users-h"><h2 id="users-h">Users (${r.users.length})</h2>
${r.users.length === 0 ? html`<p class="muted">No user matches.</p>` : html`<div class="scroll"><table><thead><tr><th scope="col">User</th><th scope="col">Fob</th><th scope="col">Lockout</th></tr></thead><tbody>
${r.users.map((u) => html`<tr><td><a href="${CONSOLE_BASE}/users/${encodeURIComponent(u.user)}">${u.user}</a></td>
<td>${u.serial ? html`<a class="mono" href="${CONSOLE_BASE}/tokens/${encodeURIComponent(u.serial)}">${u.serial}</a>` : html`<span class="muted">none</span>`}</td>
<td>${u.lockedUntil ? html`<span class="badge locked">locked until ${formatTime(u.lockedUntil)}</span>` : html`<span class="muted">—</span>`}</td></tr>`)}
</tbody></table></div>`}
</section>
<section class="panel" aria-labelledby="fobs-h"><h2 id="fobs-h">Fobs (${r.tokens.length})</h2>
${r.tokens.length === 0 ? html`<p class="muted">No fob matches.</p>` : html`<div class="scroll"><table><thead><tr><th scope="col">Serial</th><th scope="col">State</th><th scope="col">User</th><th scope="col">Batch</th><th scope="col">Last use</th></tr></thead><tbody>
${r.tokens.map((t) => html`<tr><td><a class="mono" href="${CONSOLE_BASE}/tokens/${encodeURIComponent(t.serial)}">${t.serial}</a></td>
<td>${stateBadge(t.state, t.enabled)}</td>
<td>${t.user ? html`<a href="${CONSOLE_BASE}/users/${encodeURIComponent(t.user)}">${t.user}</a>` : html`<span class="muted">—</span>`}</td>
<td>${t.batch ?? '—'}</td><td>${formatTime(t.lastUsed)}</td></tr>`)}
</tbody></table></div>`}
</section>
${r.more && html`<p class="muted">More matched than shown: narrow the search.</p>`}`}`,
  });
}
