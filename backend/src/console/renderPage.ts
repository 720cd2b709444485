/**
 * The page shell every console page is drawn in: the document, the top bar with the navigation
 * the operator's role may use (admin links are not shown to support; the pages also refuse
 * them), the logout form, and one notice line. Headings start at h1 per page.
 */
import { html, type SafeHtml } from './html.js';
import type { ConsoleSession } from './consoleSessions.js';

export const CONSOLE_BASE = '/console';

export interface Notice {
  kind: 'ok' | 'bad' | 'warn';
  text: string;
}

export interface PageInput {
  title: string;
  session?: ConsoleSession;
  /** Which nav entry is current. */
  current?: 'search' | 'audit' | 'operators';
  notice?: Notice;
  body: SafeHtml;
}

export function csrfField(session: ConsoleSession): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${session.csrf}">`;
}

export function renderNotice(n: Notice | undefined): SafeHtml {
  return html`${n && html`<p class="notice ${n.kind}" role="${n.kind === 'bad' ? 'alert' : 'status'}">${n.text}</p>`}`;
}

export function renderPage(p: PageInput): string {
  const s = p.session;
  const navItem = (key: PageInput['current'], href: string, label: string) =>
    html`<li><a href="${CONSOLE_BASE}${href}"${p.current === key ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · fobkit console</title>
<link rel="stylesheet" href="${CONSOLE_BASE}/console.css">
</head><body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="${CONSOLE_BASE}/search">fobkit helpdesk</a>
  ${s && html`<nav aria-label="Main"><ul>
    ${navItem('search', '/search', 'Search')}
    ${s.role === 'admin' && html`${navItem('audit', '/audit', 'Audit log')}${navItem('operators', '/operators', 'Operators')}`}
  </ul></nav>
  <div class="who"><span>${s.operator} <span class="badge">${s.role}</span></span>
    <form method="post" action="${CONSOLE_BASE}/logout">${csrfField(s)}<button type="submit">Log out</button></form></div>`}
</header>
<main id="main" tabindex="-1">
${renderNotice(p.notice)}
${p.body}
</main>
</body></html>`}`;
}
