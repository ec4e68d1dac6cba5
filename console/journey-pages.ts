import type { FastifyInstance, FastifyRequest } from 'fastify';
import { JourneyError, isJourneyError } from '../common/index.js';
import { ID_PATTERN } from '../engine/index.js';
import type { EventView, JourneyView, JourneyWaitingView, Page } from '../engine/index.js';
import { sendPage, viewerOf } from './context.js';
import type { ConsoleDeps } from './deps.js';
import { cells, html, json, queryString, table, type Html } from './html.js';
import { page } from './layout.js';
import { visibleDeployments } from './types-page.js';

/** Events shown on one journey page; a longer history continues on the next (its cursor link). */
const TIMELINE_EVENTS = 1000;
const EVENTS_PER_READ = 500;

const compact = (value: unknown): string => JSON.stringify(value);

function searchForm(deps: ConsoleDeps, request: FastifyRequest, query: Record<string, string>): Html {
  const deployed = visibleDeployments(deps, request);
  const types = [...new Set(deployed.map((d) => d.name))];
  const type = query['type'] ?? types[0];
  const fields = new Map<string, string>();
  for (const d of deployed)
    if (d.name === type && (query['version'] === undefined || query['version'] === d.version))
      for (const f of d.journey.searchFields) fields.set(f.name, f.type);
  return html`<section class="card">
    <form method="get" action="/console/search" class="inline">
      <label
        >Journey type<select name="type">
          ${types.map((t) => html`<option value="${t}" ${t === type ? html`selected` : ''}>${t}</option>`)}
        </select></label
      >
      <label>Version<input name="version" value="${query['version'] ?? ''}" placeholder="any" size="6" /></label>
      ${[...fields].map(([name, fieldType]) => html`<label>${name} (${fieldType})<input name="${name}" value="${query[name] ?? ''}" /></label>`)}
      <button type="submit">Search</button>
    </form>
  </section>`;
}

function results(found: Page<JourneyView>, query: Record<string, string>): Html {
  if (found.items.length === 0) return html`<p class="muted">No journey you may read matches.</p>`;
  const rows = found.items.map(
    (j) =>
      html`<tr>
        <td><a class="mono" href="${`/console/journeys/${j.journeyId}`}">${j.journeyId}</a></td>
        <td>${j.version}</td>
        <td><span class="badge ${j.lifecycle}">${j.status}</span></td>
        <td>${j.seq}</td>
        <td>${j.updatedAt}</td>
        <td><code>${compact(j.data)}</code></td>
      </tr>`,
  );
  const next =
    found.nextCursor === undefined ? '' : html`<p><a href="${`/console/search${queryString({ ...query, cursor: found.nextCursor })}`}">Next page</a></p>`;
  return html`${table(['Journey', 'Version', 'Status', 'Events', 'Updated', 'Data'], rows)} ${next}`;
}

function outcomeOf(event: EventView): Html {
  const outcome = event.outcome;
  if (outcome === null) return html`<span class="badge pending">pending</span>`;
  const rejection = outcome.rejection
    ? html`<div class="reason">
        Rejected: ${outcome.rejection.code} — ${outcome.rejection.message}${outcome.rejection.rule === undefined ? '' : ` (rule: ${outcome.rejection.rule})`}
      </div>`
    : '';
  const emitted = outcome.emitted.map((e) => html`<div class="emitted">→ <code>${e.type}</code> <code>${compact(e.payload)}</code></div>`);
  const changes = outcome.changes?.length
    ? html`<details>
        <summary>${outcome.changes.length} change${outcome.changes.length > 1 ? 's' : ''}</summary>
        ${outcome.changes.map((c) => html`<div><code>${c.op} ${c.path}${c.value === undefined ? '' : ` = ${compact(c.value)}`}</code></div>`)}
      </details>`
    : '';
  return html`<span class="badge ${outcome.outcome}">${outcome.outcome}</span>${rejection}${emitted}${changes}`;
}

function timeline(events: EventView[]): Html {
  const rows = events.map(
    (e) =>
      html`<tr class="event" data-type="${e.type}" data-status="${e.status}">
        <td>${e.journeySeq}</td>
        <td>${e.acceptedAt}</td>
        <td><code>${e.type}</code><br /><span class="badge">${e.origin}</span></td>
        <td>
          ${e.context.sender}
          <details>
            <summary>context</summary>
            ${json(e.context)}${e.causedBy === null ? '' : html`<div>caused by <code>${e.causedBy}</code></div>`}
          </details>
        </td>
        <td><code class="payload">${compact(e.payload)}</code></td>
        <td>${outcomeOf(e)}</td>
      </tr>`,
  );
  return table(['#', 'Accepted', 'Event', 'Sender', 'Payload', 'Outcome'], rows, 'timeline');
}

/** Up to {@link TIMELINE_EVENTS} events from `cursor` on, read as the events route reads them (same reader). */
async function readTimeline(deps: ConsoleDeps, request: FastifyRequest, journeyId: string, cursor: string | undefined): Promise<Page<EventView>> {
  const reader = deps.readerOf(request);
  const items: EventView[] = [];
  let next = cursor;
  do {
    const read = await deps.engine.listEvents(journeyId, { limit: EVENTS_PER_READ, ...(next === undefined ? {} : { cursor: next }) }, reader);
    items.push(...read.items);
    next = read.nextCursor;
  } while (next !== undefined && items.length < TIMELINE_EVENTS);
  return { items, ...(next === undefined ? {} : { nextCursor: next }) };
}

/** What the journey waits for: its scheduled timers and its back-end calls not answered yet. */
function waitingFor(waiting: JourneyWaitingView | null): Html | string {
  if (waiting === null || (waiting.timers.length === 0 && waiting.calls.length === 0)) return '';
  const timers =
    waiting.timers.length === 0
      ? ''
      : table(
          ['Timer', 'Fires at', 'Event'],
          waiting.timers.map((timer) => cells(timer.name, timer.fireAt, timer.eventType)),
        );
  const calls =
    waiting.calls.length === 0
      ? ''
      : table(
          ['Back-end call', 'Status', 'Attempts', 'Last error'],
          waiting.calls.map((call) =>
            cells(
              html`<code>${call.system}.${call.operation}</code> <span class="muted mono">${call.callId}</span>`,
              call.status === 'dead' ? html`<a href="${`/console/dead-letters/${call.callId}`}">dead</a>` : 'pending',
              call.attempts,
              call.lastError ?? '',
            ),
          ),
        );
  return html`<h2>Waiting for</h2>
    ${timers}${calls}`;
}

export function registerJourneyPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get<{ Querystring: Record<string, string> }>('/search', async (request, reply) => {
    const viewer = viewerOf(request);
    const query = Object.fromEntries(Object.entries(request.query).filter(([, value]) => typeof value === 'string' && value !== ''));
    let found: Html = html``;
    if (query['type'] !== undefined) {
      try {
        found = results(await deps.search(request, query), query);
      } catch (error) {
        if (!isJourneyError(error) || error.httpStatus >= 500) throw error;
        found = html`<section class="card error">
          <p><strong>${error.code}</strong> ${error.message}</p>
        </section>`;
      }
    }
    return sendPage(reply, 200, page({ title: 'Search journeys', section: 'search', viewer, body: html`${searchForm(deps, request, query)}${found}` }));
  });

  app.get<{ Params: { journeyId: string }; Querystring: { cursor?: string } }>('/journeys/:journeyId', async (request, reply) => {
    const viewer = viewerOf(request);
    const { journeyId } = request.params;
    const reader = deps.readerOf(request);
    // Not there, another tenant's, or not readable: the same 404 as GET /journeys/{id}.
    const journey = ID_PATTERN.test(journeyId) ? await deps.engine.getJourney(journeyId, reader) : null;
    if (journey === null) throw new JourneyError('JE_JOURNEY_NOT_FOUND', `No journey ${journeyId}`, { details: { journeyId } });
    const [events, waiting] = await Promise.all([readTimeline(deps, request, journeyId, request.query.cursor), deps.engine.journeyWaiting(journeyId, reader)]);
    const more =
      events.nextCursor === undefined
        ? ''
        : html`<p><a href="${`/console/journeys/${journeyId}${queryString({ cursor: events.nextCursor })}`}">Later events</a></p>`;
    const body = html`<section class="card">
        <dl>
          <dt>Type</dt>
          <dd><a href="${`/console#${journey.journeyType}@${journey.version}`}">${journey.journeyType}</a> <span class="badge">${journey.version}</span></dd>
          <dt>Status</dt>
          <dd><span class="badge ${journey.lifecycle}">${journey.status}</span> (${journey.lifecycle})</dd>
          <dt>Events</dt>
          <dd>${journey.seq} handled of ${journey.acceptedSeq} accepted</dd>
          <dt>Created</dt>
          <dd>${journey.createdAt}</dd>
          <dt>Updated</dt>
          <dd>${journey.updatedAt}</dd>
        </dl>
      </section>
      <h2>Data</h2>
      ${json(journey.data)} ${waitingFor(waiting)}
      <h2>Timeline</h2>
      ${timeline(events.items)}${more}`;
    return sendPage(reply, 200, page({ title: `Journey ${journeyId}`, section: 'search', viewer, body }));
  });
}
