/** Small state labels; the word is always there, the colour only repeats it. */
import { html, type SafeHtml } from './html.js';

export function stateBadge(state: string, enabled = true): SafeHtml {
  return html`<span class="badge ${state}">${state}</span>${!enabled && html` <span class="badge disabled">disabled</span>`}`;
}
