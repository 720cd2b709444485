/** The console's operators, read-only (admin only; they are managed with `fobkit-backend operators`). */
import { html } from './html.js';
import { renderPage } from './renderPage.js';
import type { ConsoleSession } from './consoleSessions.js';
import type { OperatorView } from '../service/operatorStore.js';
import { formatTime } from './formatTime.js';

export function operatorsPage(session: ConsoleSession, operators: OperatorView[]): string {
  return renderPage({
    title: 'Operators',
    session,
    current: 'operators',
    body: html`<h1>Operators</h1>
<section class="panel" aria-labelledby="ops-h"><h2 id="ops-h">Console accounts</h2>
<div class="scroll"><table><thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col">Status</th></tr></thead><tbody>
${operators.map((o) => html`<tr><td class="mono">${o.name}</td><td>${o.role}</td><td>${formatTime(o.createdAt)}</td>
<td>${o.disabledAt === null ? html`<span class="badge active">active</span>` : html`<span class="badge disabled">disabled ${formatTime(o.disabledAt)}</span>`}</td></tr>`)}
</tbody></table></div>
<p class="muted">Add, disable or reset an operator with <span class="mono">fobkit-backend operators add|disable|passwd NAME</span>.</p>
</section>`,
  });
}
