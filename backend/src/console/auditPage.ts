/** The audit log, newest first, a page at a time, optionally for one subject (admin only). */
import { html } from './html.js';
import { CONSOLE_BASE, renderPage } from './renderPage.js';
import type { ConsoleSession } from './consoleSessions.js';
import { formatTime } from './formatTime.js';

export interface AuditRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string | null;
  detail: string;
}

export function auditPage(session: ConsoleSession, rows: AuditRow[], filter: { subject: string; before: number | null }, pageSize: number): string {
  const oldest = rows.length === pageSize ? rows[rows.length - 1]!.seq : null;
  const subjectQuery = filter.subject ? `&subject=${encodeURIComponent(filter.subject)}` : '';
  return renderPage({
    title: 'Audit log',
    session,
    current: 'audit',
    body: html`<h1>Audit log</h1>
<section class="panel" aria-labelledby="filter-h"><h2 id="filter-h">Filter</h2>
<form class="inline" method="get" action="${CONSOLE_BASE}/audit">
  <label for="subject">Subject (serial, user:NAME, op:NAME)<input id="subject" name="subject" value="${filter.subject}" maxlength="200"></label>
  <button type="submit">Show</button>
</form></section>
<section class="panel" aria-labelledby="entries-h"><h2 id="entries-h">Entries</h2>
${rows.length === 0 ? html`<p class="muted">No entries.</p>` : html`<div class="scroll"><table><thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Subject</th><th scope="col">Detail</th></tr></thead><tbody>
${rows.map((r) => html`<tr><td>${r.seq}</td><td class="when">${formatTime(r.at)}</td><td class="mono">${r.actor}</td><td>${r.action}</td><td class="mono">${r.subject ?? ''}</td><td class="mono detail">${r.detail}</td></tr>`)}
</tbody></table></div>`}
${oldest !== null && html`<p><a href="${CONSOLE_BASE}/audit?before=${oldest}${subjectQuery}">Older entries</a></p>`}
</section>`,
  });
}
