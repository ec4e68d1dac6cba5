/** The console's one stylesheet, served at /console/console.css (no inline styles: the CSP forbids them). */
export const CONSOLE_CSS = `
:root { --ink: #1d2530; --muted: #5f6b7a; --line: #d9dee5; --bg: #f6f7f9; --accent: #1f5fbf; --ok: #1b7a3a; --bad: #b3261e; --warn: #8a5a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.2rem; background: #18212d; color: #fff; }
header a { color: #cfe0ff; text-decoration: none; }
header a.here { color: #fff; font-weight: 600; }
header .who { margin-left: auto; color: #aab6c6; font-size: 13px; }
header form { display: inline; }
main { max-width: 1200px; margin: 0 auto; padding: 1rem 1.2rem 3rem; }
h1 { font-size: 20px; margin: .4rem 0 1rem; }
h2 { font-size: 16px; margin: 1.6rem 0 .5rem; }
section.card > h2:first-child { margin-top: .2rem; }
h3 { font-size: 14px; margin: 1rem 0 .4rem; }
section.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; margin-bottom: 1rem; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
pre { margin: .2rem 0; padding: .5rem; background: #f0f2f5; border-radius: 4px; overflow-x: auto; font-size: 12px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
a { color: var(--accent); }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 9px; font-size: 12px; background: #e6e9ee; }
.badge.applied, .badge.active, .badge.up, .badge.answered { background: #dff3e5; color: var(--ok); }
.badge.rejected, .badge.failed, .badge.down, .badge.dead { background: #fbe3e1; color: var(--bad); }
.badge.pending, .badge.retrying { background: #fff1d6; color: var(--warn); }
.reason { color: var(--bad); font-weight: 600; }
.emitted { color: var(--muted); }
.diagram { max-width: 100%; border: 1px solid var(--line); background: #fff; }
form.inline { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; }
label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: .15rem; }
input, select, textarea { font: inherit; padding: .3rem .45rem; border: 1px solid #b9c1cc; border-radius: 4px; }
button { font: inherit; padding: .3rem .9rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
.error { border-left: 4px solid var(--bad); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0 0 .8rem; }
dt { color: var(--muted); }
dd { margin: 0; }
`;
