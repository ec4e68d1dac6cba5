import { html, type Html } from './html.js';

/** Who is looking, as the page header shows them. */
export interface Viewer {
  sender: string;
  tenant: string;
  roles: string[];
  operator: boolean;
  /** The CSRF token of the viewer's console cookie; absent when signed in by headers (no forms then). */
  csrf?: string;
}

const SECTIONS = [
  { path: '/console', label: 'Journey types', key: 'types' },
  { path: '/console/search', label: 'Search', key: 'search' },
  { path: '/console/nodes', label: 'Nodes', key: 'nodes' },
  { path: '/console/dead-letters', label: 'Dead letters', key: 'dead-letters', operatorOnly: true },
] as const;

export type Section = (typeof SECTIONS)[number]['key'] | 'login' | 'error';

/** The hidden CSRF field of a console form. */
export function csrfField(viewer: Viewer): Html {
  return html`<input type="hidden" name="csrf" value="${viewer.csrf ?? ''}" />`;
}

/** A whole page: the navigation for the viewer, then the body. */
export function page(options: { title: string; section: Section; viewer?: Viewer; body: Html; refreshS?: number }): Html {
  const { title, section, viewer, body } = options;
  const nav = viewer
    ? SECTIONS.filter((s) => !('operatorOnly' in s) || viewer.operator).map(
        (s) => html`<a href="${s.path}" class="${s.key === section ? 'here' : ''}">${s.label}</a>`,
      )
    : [];
  const who = viewer
    ? html`<span class="who"
        >${viewer.sender} · tenant ${viewer.tenant}${viewer.roles.length > 0 ? ` · ${viewer.roles.join(', ')}` : ''}
        ${viewer.csrf === undefined ? '' : html`<form method="post" action="/console/logout">${csrfField(viewer)}<button class="secondary" type="submit">Sign out</button></form>`}</span
      >`
    : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${options.refreshS === undefined ? '' : html`<meta http-equiv="refresh" content="${options.refreshS}" />`}
        <title>${title} · Journey Engine</title>
        <link rel="stylesheet" href="/console/console.css" />
      </head>
      <body>
        <header><strong>Journey Engine</strong>${nav}${who}</header>
        <main>
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html>`;
}
