/**
 * HTML by template: every interpolated value is escaped unless it is already `Html` (built by
 * this same template), so a journey's data, an event's payload or an error message can never
 * become markup.
 */

/** Markup that is safe to insert as is: only `html` and `joinHtml` make it. */
export class Html {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => ENTITIES[character] ?? character);
}

/** Values: `Html` as is; arrays joined; null, undefined and false render nothing; the rest escaped as text. */
function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return escapeHtml(String(value));
  return escapeHtml(JSON.stringify(value) ?? '');
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let text = strings[0] ?? '';
  values.forEach((value, i) => {
    text += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(text);
}

/** A JSON value, indented, for a `<pre>`. */
export function json(value: unknown): Html {
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}

/** A query string from parameters (undefined ones left out), for links. */
export function queryString(parameters: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) if (value !== undefined && value !== '') search.set(name, value);
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** A table: a header row, then `rows` (each a `<tr>`: `cells` builds a plain one). */
export function table(headers: readonly string[], rows: readonly Html[], className = ''): Html {
  return html`<table class="${className}">
    <tr>
      ${headers.map((header) => html`<th>${header}</th>`)}
    </tr>
    ${rows}
  </table>`;
}

/** A plain table row, one cell per value. */
export function cells(...values: unknown[]): Html {
  return html`<tr>
    ${values.map((value) => html`<td>${value}</td>`)}
  </tr>`;
}
