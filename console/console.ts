import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, JourneyError, ensureError, isJourneyError } from '../common/index.js';
import { formBody, maybeViewer, sendPage, setViewer } from './context.js';
import { registerDeadLetterPages } from './dead-letters-page.js';
import type { ConsoleDeps } from './deps.js';
import { html } from './html.js';
import { registerJourneyPages } from './journey-pages.js';
import { page } from './layout.js';
import { registerNodesPage } from './nodes-page.js';
import {
  applySession,
  applySessionCookie,
  assertCsrf,
  assertSameOrigin,
  csrfToken,
  encodeSession,
  hasCredentials,
  MAX_SESSION_LENGTH,
  safeNext,
  sessionCookie,
  setCookieHeader,
  type Session,
} from './session.js';
import { CONSOLE_CSS } from './style.js';
import { registerTypesPage } from './types-page.js';

/** Scripts none, styles and images from the console only, never framed: the pages are plain HTML. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
} as const;

/** Forms are small: a token, a note. */
const FORM_LIMIT_BYTES = 16 * 1024;

/** Renders an error as a page: 4xx with its message, 5xx with the registry's summary only (never internals). */
function errorPage(thrown: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = isJourneyError(thrown) ? thrown : undefined;
  if (error?.code === 'JE_UNAUTHENTICATED') {
    if (sessionCookie(request) !== undefined) void reply.header('set-cookie', setCookieHeader(request, null));
    if (request.method === 'GET') return reply.redirect(`/console/login?next=${encodeURIComponent(safeNext(request.url))}`, 303);
  }
  const validation = (thrown as { validation?: unknown } | null)?.validation !== undefined;
  const status = error?.httpStatus ?? (validation ? 400 : 500);
  if (status >= 500) request.log.error({ err: ensureError(thrown) }, 'console page failed');
  const message =
    error === undefined
      ? validation
        ? ensureError(thrown).message
        : 'An unexpected error occurred; it has been logged'
      : status >= 500
        ? ERROR_CODES[error.code].summary
        : error.message;
  const viewer = maybeViewer(request);
  const body = html`<section class="card error">
    <p><strong>${error?.code ?? (validation ? 'JE_BAD_REQUEST' : 'JE_INTERNAL')}</strong></p>
    <p>${message}</p>
  </section>`;
  return sendPage(
    reply,
    status,
    page({
      title: status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Something went wrong',
      section: 'error',
      ...(viewer ? { viewer } : {}),
      body,
    }),
  );
}

function loginPage(deps: ConsoleDeps, next: string, problem?: string) {
  const fields =
    deps.authMode === 'jwt'
      ? html`<label>Bearer token (JWT)<textarea name="token" rows="5" cols="70" required></textarea></label>`
      : html`<p class="muted">Dev mode: act as any sender, as the API's X-Dev-* headers do. Never expose a dev-mode API.</p>
          <label>Sender<input name="sender" value="dev-user" required /></label>
          <label>Roles (comma-separated)<input name="roles" placeholder="operator, auditor" /></label>
          <label>Tenant<input name="tenant" placeholder="default" /></label>`;
  return page({
    title: 'Sign in',
    section: 'login',
    body: html`<section class="card">
      ${problem === undefined ? '' : html`<p class="reason">${problem}</p>`}
      <form method="post" action="/console/login" class="inline">
        <input type="hidden" name="next" value="${next}" />
        ${fields}
        <button type="submit">Sign in</button>
      </form>
    </section>`,
  });
}

function sessionFromForm(deps: ConsoleDeps, body: Record<string, string>): Session {
  if (deps.authMode === 'jwt') return { kind: 'bearer', token: (body['token'] ?? '').trim() };
  const roles = (body['roles'] ?? '')
    .split(',')
    .map((role) => role.trim())
    .filter((role) => role !== '');
  const tenant = (body['tenant'] ?? '').trim();
  return { kind: 'dev', sender: (body['sender'] ?? '').trim(), roles, ...(tenant === '' ? {} : { tenant }) };
}

function registerSignIn(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/console.css', (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(CONSOLE_CSS));

  app.get<{ Querystring: { next?: string } }>('/login', (request, reply) => sendPage(reply, 200, loginPage(deps, safeNext(request.query.next))));

  // Checked by the API's own authenticator before the cookie is set: a bad token is refused here.
  app.post('/login', async (request, reply) => {
    assertSameOrigin(request);
    const body = formBody(request);
    const next = safeNext(body['next']);
    const session = sessionFromForm(deps, body);
    if (encodeSession(session).length > MAX_SESSION_LENGTH) {
      return sendPage(reply, 401, loginPage(deps, next, `The token is longer than a browser cookie can keep (${MAX_SESSION_LENGTH} characters)`));
    }
    try {
      delete request.headers.authorization;
      applySession(request, session, deps.authMode);
      await deps.authenticate(request);
    } catch (error) {
      if (!isJourneyError(error) || (error.code !== 'JE_UNAUTHENTICATED' && error.code !== 'JE_BAD_REQUEST')) throw error;
      return sendPage(reply, 401, loginPage(deps, next, error.message));
    }
    return reply.header('set-cookie', setCookieHeader(request, encodeSession(session))).redirect(next, 303);
  });
}

/** Authenticates a console page: its cookie as the API's headers, else the headers as sent; no credentials → sign in. */
function pagesAuthentication(deps: ConsoleDeps) {
  return async (request: FastifyRequest): Promise<void> => {
    const cookie = applySessionCookie(request, deps.authMode);
    if (cookie === undefined && !hasCredentials(request)) throw new JourneyError('JE_UNAUTHENTICATED', 'Sign in to use the console');
    await deps.authenticate(request);
    const identity = request.identity;
    if (identity === null) throw new JourneyError('JE_UNAUTHENTICATED', 'The request is not authenticated');
    setViewer(request, {
      sender: identity.sender,
      tenant: identity.tenant,
      roles: identity.roles,
      operator: identity.roles.includes(deps.operatorRole),
      ...(cookie === undefined ? {} : { csrf: csrfToken(cookie) }),
    });
  };
}

/**
 * The web console under the prefix it is registered with (`/console`): server-rendered pages over
 * the same engine functions, authentication and read rules as the JSON API.
 */
export async function registerConsole(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(SECURITY_HEADERS);
    done();
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.setErrorHandler(errorPage);
  app.setNotFoundHandler((request, reply) =>
    errorPage(new JourneyError('JE_NOT_FOUND', `No console page ${request.url.split('?')[0] ?? ''}`.slice(0, 300)), request, reply),
  );
  registerSignIn(app, deps);

  await app.register((pages, _options, done) => {
    pages.addHook('onRequest', pagesAuthentication(deps));
    pages.addHook('onRequest', deps.admit);
    pages.addHook('preHandler', (request, _reply, next) => {
      try {
        if (request.method === 'POST') assertCsrf(request, formBody(request));
      } catch (error) {
        next(ensureError(error));
        return;
      }
      next();
    });
    pages.post('/logout', (request, reply) => reply.header('set-cookie', setCookieHeader(request, null)).redirect('/console/login', 303));
    registerTypesPage(pages, deps);
    registerJourneyPages(pages, deps);
    registerNodesPage(pages, deps);
    registerDeadLetterPages(pages, deps);
    done();
  });
}
