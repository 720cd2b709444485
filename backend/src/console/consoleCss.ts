/**
 * The console's one style sheet, served at /console/console.css (kept in a module so the
 * build bundles it; no file to find at run time). System fonts, no images. Layout: a top bar
 * and one column that reflows from 1280 px down to about 400 px; tables scroll sideways inside
 * their box on a narrow window. Focus is always visible (a thick outline), contrast is WCAG AA.
 */
export const CONSOLE_CSS = `
:root { --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --panel: #f6f8fa; --line: #d0d7de; --accent: #0a58ca;
  --ok: #116329; --okbg: #dafbe1; --warn: #7d4e00; --warnbg: #fff8c5; --bad: #a40e26; --badbg: #ffebe9; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #ff9f1a; outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 2; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 20px; padding: 10px 20px; background: #24292f; color: #fff; }
header.top a { color: #fff; text-decoration: none; } header.top a:hover, header.top a[aria-current] { text-decoration: underline; }
header.top .brand { font-weight: 700; font-size: 17px; }
header.top nav ul { display: flex; flex-wrap: wrap; gap: 4px 16px; list-style: none; margin: 0; padding: 0; }
header.top .who { margin-left: auto; display: flex; align-items: center; gap: 10px; }
header.top .who button { background: transparent; color: #fff; border: 1px solid #8c959f; }
header.top .badge { color: var(--fg); }
main { max-width: 1200px; margin: 0 auto; padding: 16px 20px 40px; }
h1 { font-size: 24px; margin: 8px 0 16px; } h2 { font-size: 18px; margin: 0 0 10px; }
section.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 14px 16px; margin: 0 0 16px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; margin: 0 0 16px; }
.grid > section.panel { margin: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eaeef2; font-weight: 600; white-space: nowrap; }
td.when { white-space: nowrap; }
td.detail { overflow-wrap: anywhere; min-width: 14em; }
form.inline { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 8px 10px; margin: 8px 0; }
form.stack { display: grid; gap: 10px; max-width: 420px; }
label { display: grid; gap: 3px; font-weight: 600; font-size: 14px; }
input, select, textarea { font: inherit; padding: 6px 8px; border: 1px solid #8c959f; border-radius: 4px; background: #fff; color: var(--fg); min-width: 0; }
input.code { width: 8.5em; font-family: ui-monospace, "DejaVu Sans Mono", monospace; letter-spacing: 1px; }
button, .button { font: inherit; font-weight: 600; padding: 6px 14px; border-radius: 4px; border: 1px solid #1f6feb; background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
button.danger, .button.danger { background: var(--bad); border-color: var(--bad); }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 10px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px; font-weight: 600; border: 1px solid var(--line); background: #fff; }
.badge.assigned, .badge.active, .badge.available, .badge.ok { color: var(--ok); background: var(--okbg); border-color: #4ac26b; }
.badge.quarantined, .badge.pending, .badge.disabled, .badge.warn { color: var(--warn); background: var(--warnbg); border-color: #d4a72c; }
.badge.revoked, .badge.locked, .badge.bad { color: var(--bad); background: var(--badbg); border-color: #ff8182; }
.notice { padding: 10px 14px; border-radius: 6px; margin: 0 0 16px; border: 1px solid; }
.notice.ok { background: var(--okbg); border-color: #4ac26b; } .notice.bad { background: var(--badbg); border-color: #ff8182; } .notice.warn { background: var(--warnbg); border-color: #d4a72c; }
.muted { color: var(--muted); } .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.login { max-width: 380px; margin: 8vh auto; }
@media (max-width: 600px) {
  body { font-size: 14px; } main { padding: 12px 10px 30px; } header.top { padding: 8px 10px; }
  header.top .who { margin-left: 0; }
  .grid { grid-template-columns: 1fr; }
  form.inline > * { flex: 1 1 100%; } form.inline input.code { width: 100%; }
}
`;
