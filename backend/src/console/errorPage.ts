/** A page for a request the console cannot serve (403, 404, 400…), with a way back. */
import { html } from './html.js';
import { CONSOLE_BASE, renderPage } from './renderPage.js';
import type { ConsoleSession } from './consoleSessions.js';

export function errorPage(title: string, message: string, session?: ConsoleSession): string {
  return renderPage({
    title,
    session,
    body: html`<h1>${title}</h1><section class="panel"><p>${message}</p><p><a href="${CONSOLE_BASE}/search">Back to search</a></p></section>`,
  });
}
