/** The login form (no session yet, so no CSRF token: the POST is guarded by its Origin instead). */
import { html } from './html.js';
import { CONSOLE_BASE, renderPage, type Notice } from './renderPage.js';

export function loginPage(options: { name?: string; notice?: Notice } = {}): string {
  return renderPage({
    title: 'Log in',
    notice: options.notice,
    body: html`<div class="login"><section class="panel">
<h1>Log in</h1>
<form class="stack" method="post" action="${CONSOLE_BASE}/login">
  <label for="name">Operator name<input id="name" name="name" autocomplete="username" required maxlength="64" value="${options.name ?? ''}" autofocus></label>
  <label for="password">Password<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"></label>
  <div><button type="submit">Log in</button></div>
</form>
<p class="muted">Operators are created with <span class="mono">fobkit-backend operators add</span>.</p>
</section></div>`,
  });
}
