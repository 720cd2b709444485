/**
 * The confirmation step of a destructive action: what will happen, in words, a required
 * reason (it goes into the audit entry), a button that does it and a way back that does not.
 */
import { html } from './html.js';
import { csrfField, renderPage, type Notice } from './renderPage.js';
import type { ConsoleSession } from './consoleSessions.js';

export interface ConfirmSpec {
  title: string;
  /** What happens, for the operator to read before confirming. */
  consequence: string;
  action: string;
  button: string;
  cancelHref: string;
  reasonPlaceholder: string;
}

export function confirmPage(session: ConsoleSession, c: ConfirmSpec, notice?: Notice): string {
  return renderPage({
    title: c.title,
    session,
    notice,
    body: html`<h1>${c.title}</h1>
<section class="panel" aria-labelledby="confirm-h"><h2 id="confirm-h">Please confirm</h2>
<p>${c.consequence}</p>
<form class="stack" method="post" action="${c.action}">${csrfField(session)}
  <input type="hidden" name="confirmed" value="yes">
  <label for="reason">Reason (recorded in the audit log)<input id="reason" name="reason" required maxlength="200" placeholder="${c.reasonPlaceholder}" autofocus></label>
  <div class="actions"><button type="submit" class="danger">${c.button}</button> <a class="button secondary" href="${c.cancelHref}">Cancel</a></div>
</form></section>`,
  });
}
