import type { FastifyInstance, FastifyRequest } from 'fastify';
import { JourneyError } from '../common/index.js';
import { ID_PATTERN } from '../engine/index.js';
import type { DeadLetterQuery, DeadLetterView } from '../engine/index.js';
import { formBody, sendPage, viewerOf } from './context.js';
import type { ConsoleDeps } from './deps.js';
import { html, json, queryString, table, type Html } from './html.js';
import { csrfField, page, type Viewer } from './layout.js';

/** As the API's notes and reasons: bounded. */
const MAX_NOTE_LENGTH = 500;

/** Dead letters are for operators, as on the API (the 403 says so). */
function operator(request: FastifyRequest): Viewer {
  const viewer = viewerOf(request);
  if (!viewer.operator) {
    throw new JourneyError(
      'JE_ACCESS_DENIED',
      `Reading, retrying and discarding dead letters needs the operator role; ${viewer.sender} has ${viewer.roles.length === 0 ? 'no roles' : `roles ${viewer.roles.join(', ')}`}`,
      {
        details: { requiredRole: 'operator', sender: viewer.sender },
      },
    );
  }
  return viewer;
}

function letterId(id: string): string {
  if (!ID_PATTERN.test(id)) throw new JourneyError('JE_DEAD_LETTER_NOT_FOUND', `No dead letter ${id}`, { details: { id } });
  return id;
}

function noteOf(request: FastifyRequest, field: string): string | undefined {
  const text = (formBody(request)[field] ?? '').trim();
  if (text.length > MAX_NOTE_LENGTH) throw new JourneyError('JE_BAD_REQUEST', `The ${field} is longer than ${MAX_NOTE_LENGTH} characters`);
  return text === '' ? undefined : text;
}

/**
 * What went dead, by kind: a back-end call's `system.operation`, or a message to another journey
 * (its event and target). Typed by shape, so each kind shows the fields it has.
 */
interface DeadThing {
  kind: string;
  system?: string;
  operation?: string;
  message?: { kind: string; targetJourneyId: string; eventType: string | null; targetType?: string; targetVersion?: string };
  webhook?: { name: string; eventId: string; eventType: string };
}

function whatWentDead(letter: DeadThing): Html {
  const message = letter.message;
  if (letter.webhook !== undefined)
    return html`webhook <code>${letter.webhook.name}</code>: <code>${letter.webhook.eventType} ${letter.webhook.eventId}</code>`;
  if (message === undefined) return html`call <code>${letter.system}.${letter.operation}</code>`;
  const what = message.kind === 'start' ? `start ${message.targetType ?? ''} ${message.targetVersion ?? ''}` : `send ${message.eventType ?? ''}`;
  return html`message <code>${what}</code> to <a class="mono" href="${`/console/journeys/${message.targetJourneyId}`}">${message.targetJourneyId}</a>`;
}

function detail(letter: DeadLetterView, viewer: Viewer) {
  const actions =
    letter.status === 'dead' && viewer.csrf !== undefined
      ? html`<section class="card">
          <form method="post" action="${`/console/dead-letters/${letter.id}/retry`}" class="inline">
            ${csrfField(viewer)} <label>Note<input name="note" maxlength="${MAX_NOTE_LENGTH}" /></label><button type="submit">Retry the call</button>
          </form>
          <form method="post" action="${`/console/dead-letters/${letter.id}/discard`}" class="inline">
            ${csrfField(viewer)} <label>Reason<input name="reason" maxlength="${MAX_NOTE_LENGTH}" /></label
            ><button class="danger" type="submit">Discard</button>
          </form>
        </section>`
      : letter.status === 'dead'
        ? html`<p class="muted">Sign in through the console's form to retry or discard.</p>`
        : '';
  return html`<section class="card">
      <dl>
        <dt>Status</dt>
        <dd><span class="badge ${letter.status}">${letter.status}</span></dd>
        <dt>Journey</dt>
        <dd>
          <a class="mono" href="${`/console/journeys/${letter.journeyId}`}">${letter.journeyId}</a> ${letter.journeyType ?? ''} ${letter.version ?? ''}
          (${letter.journeyStatus ?? 'unknown'})
        </dd>
        <dt>What</dt>
        <dd>${whatWentDead(letter)} · ${letter.attempts} attempts · ${letter.retries} retries</dd>
        <dt>Last error</dt>
        <dd class="reason">${letter.lastError ?? ''}</dd>
        <dt>Went dead</dt>
        <dd>${letter.deadAt}</dd>
        <dt>Events</dt>
        <dd>
          ${letter.replyEvent === undefined ? '' : html`reply <code>${letter.replyEvent}</code>,`} failure <code>${letter.failureEvent ?? 'none'}</code>, caused
          by
          <code>${letter.causedBy}</code>
        </dd>
        ${
          letter.resolvedBy === undefined
            ? ''
            : html`<dt>Decided</dt>
                <dd>${letter.resolvedBy} at ${letter.resolvedAt ?? ''}${letter.note === undefined ? '' : ` — ${letter.note}`}</dd>`
        }
      </dl>
      <h2>What was sent</h2>
      ${json(letter.request ?? ('message' in letter ? letter.message : null))}
      <h2>Delivered to the journey</h2>
      ${json(letter.delivered)}
    </section>
    ${actions}`;
}

export function registerDeadLetterPages(app: FastifyInstance, deps: ConsoleDeps): void {
  const { deadLetters } = deps.engine;

  app.get<{ Querystring: { status?: string; cursor?: string } }>('/dead-letters', async (request, reply) => {
    const viewer = operator(request);
    const status = request.query.status === 'discarded' ? 'discarded' : 'dead';
    const query: DeadLetterQuery = { status, ...(request.query.cursor === undefined ? {} : { cursor: request.query.cursor }) };
    const found = await deadLetters.list(query);
    const rows = found.items.map(
      (l) =>
        html`<tr>
          <td><a class="mono" href="${`/console/dead-letters/${l.id}`}">${l.id}</a></td>
          <td><a class="mono" href="${`/console/journeys/${l.journeyId}`}">${l.journeyId}</a><br />${l.journeyType ?? ''} ${l.version ?? ''}</td>
          <td>${whatWentDead(l)}</td>
          <td>${l.attempts}</td>
          <td>${l.retries}</td>
          <td class="reason">${l.lastError ?? ''}</td>
          <td>${l.deadAt}</td>
          <td><span class="badge ${l.status}">${l.status}</span></td>
        </tr>`,
    );
    const other = status === 'dead' ? 'discarded' : 'dead';
    const body = html`<p>
        Showing <strong>${status}</strong> letters · <a href="${`/console/dead-letters${queryString({ status: other })}`}">show ${other}</a>
      </p>
      ${
        found.items.length === 0
          ? html`<p class="muted">None.</p>`
          : table(['Id', 'Journey', 'What', 'Attempts', 'Retries', 'Last error', 'Dead since', 'Status'], rows)
      }
      ${found.nextCursor === undefined ? '' : html`<p><a href="${`/console/dead-letters${queryString({ status, cursor: found.nextCursor })}`}">Next page</a></p>`}`;
    return sendPage(reply, 200, page({ title: 'Dead letters', section: 'dead-letters', viewer, body }));
  });

  app.get<{ Params: { id: string } }>('/dead-letters/:id', async (request, reply) => {
    const viewer = operator(request);
    const letter = await deadLetters.get(letterId(request.params.id));
    return sendPage(reply, 200, page({ title: `Dead letter ${letter.id}`, section: 'dead-letters', viewer, body: detail(letter, viewer) }));
  });

  // After the action, back to the letter (POST-redirect-GET: a reload does not act twice).
  app.post<{ Params: { id: string } }>('/dead-letters/:id/retry', async (request, reply) => {
    const viewer = operator(request);
    const letter = await deadLetters.retry(letterId(request.params.id), viewer.sender, noteOf(request, 'note'));
    return reply.redirect(`/console/dead-letters/${letter.id}`, 303);
  });
  app.post<{ Params: { id: string } }>('/dead-letters/:id/discard', async (request, reply) => {
    const viewer = operator(request);
    const letter = await deadLetters.discard(letterId(request.params.id), viewer.sender, noteOf(request, 'reason'));
    return reply.redirect(`/console/dead-letters/${letter.id}`, 303);
  });
}
