/**
 * How a browser signs in to the console. It cannot send the API's headers, so the credentials it
 * gives once (a bearer token, or in dev mode the X-Dev-* identity) are kept in an HttpOnly,
 * SameSite=Strict cookie scoped to /console; each console request puts them back as the headers
 * the API's own authenticator reads, so the console accepts exactly whom the API accepts. The
 * cookie is read by the console's routes only: the JSON API never looks at it.
 *
 * Forms that change something carry a CSRF token (a hash of the cookie: a page of another site
 * can neither read the cookie nor compute it) and must come from this origin (Origin and
 * Sec-Fetch-Site, when the browser sends them).
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { JourneyError } from '../common/index.js';

export const SESSION_COOKIE = 'je_console';
/** The cookie's lifetime; a token's own expiry still applies (the authenticator checks it). */
const SESSION_MAX_AGE_S = 8 * 3600;
const COOKIE_PATH = '/console';

/** What the cookie holds: a bearer token (jwt mode) or a dev identity (dev mode). */
export type Session = { kind: 'bearer'; token: string } | { kind: 'dev'; sender: string; roles: string[]; tenant?: string };

/** Longest session a cookie carries (browsers keep about 4 KB per cookie, name and attributes included). */
export const MAX_SESSION_LENGTH = 3800;

export function encodeSession(session: Session): string {
  if (session.kind === 'bearer') return `b.${session.token}`;
  const { kind: _kind, ...identity } = session;
  return `d.${Buffer.from(JSON.stringify(identity)).toString('base64url')}`;
}

function decodeSession(value: string): Session | undefined {
  if (value.length <= MAX_SESSION_LENGTH && /^b\.[A-Za-z0-9_.-]+$/.test(value)) return { kind: 'bearer', token: value.slice(2) };
  if (!value.startsWith('d.')) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value.slice(2), 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { sender, roles, tenant } = parsed as Record<string, unknown>;
    if (typeof sender !== 'string' || !Array.isArray(roles) || !roles.every((role): role is string => typeof role === 'string')) return undefined;
    return { kind: 'dev', sender, roles, ...(typeof tenant === 'string' ? { tenant } : {}) };
  } catch {
    return undefined;
  }
}

/** The console cookie's raw value, when the request carries one. */
export function sessionCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === SESSION_COOKIE) {
      try {
        return decodeURIComponent(part.slice(at + 1).trim());
      } catch {
        return undefined; // not a cookie this console wrote
      }
    }
  }
  return undefined;
}

export function setCookieHeader(request: FastifyRequest, value: string | null): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return value === null
    ? `${SESSION_COOKIE}=; Path=${COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age=0${secure}`
    : `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=${COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_AGE_S}${secure}`;
}

/**
 * Puts a session back as the API's credential headers. A dev session is ignored in jwt mode and a
 * token in dev mode: each mode accepts only its own kind. Returns whether it applied.
 */
export function applySession(request: FastifyRequest, session: Session, authMode: 'dev' | 'jwt'): boolean {
  const headers = request.headers;
  if (session.kind === 'bearer') {
    if (authMode !== 'jwt') return false;
    headers.authorization = `Bearer ${session.token}`;
    return true;
  }
  if (authMode !== 'dev') return false;
  headers['x-dev-sender'] = session.sender;
  headers['x-dev-roles'] = session.roles.join(',');
  if (session.tenant === undefined) delete headers['x-dev-tenant'];
  else headers['x-dev-tenant'] = session.tenant;
  return true;
}

/** Applies the request's console cookie, if any; returns its raw value when it applied. */
export function applySessionCookie(request: FastifyRequest, authMode: 'dev' | 'jwt'): string | undefined {
  const value = sessionCookie(request);
  const session = value === undefined ? undefined : decodeSession(value);
  return session !== undefined && value !== undefined && applySession(request, session, authMode) ? value : undefined;
}

/** Whether the request names any credentials at all (a cookie, a bearer token, a dev sender). */
export function hasCredentials(request: FastifyRequest): boolean {
  return request.headers.authorization !== undefined || request.headers['x-dev-sender'] !== undefined;
}

export function csrfToken(cookieValue: string): string {
  return createHash('sha256').update(`journey-engine console csrf\n${cookieValue}`).digest('base64url');
}

function forbidden(message: string): JourneyError {
  return new JourneyError('JE_ACCESS_DENIED', message, { details: { reason: 'csrf' } });
}

/** Refuses a form posted from another site: Origin must name this host, Sec-Fetch-Site must say same-origin (when sent). */
export function assertSameOrigin(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') throw forbidden('Console forms are accepted from the console itself only');
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw forbidden('The Origin header is not a URL');
  }
  if (host !== request.host) throw forbidden('Console forms are accepted from the console itself only');
}

/** A state-changing console form: same origin, signed in by cookie, and carrying that cookie's CSRF token. */
export function assertCsrf(request: FastifyRequest, body: Record<string, string>): void {
  assertSameOrigin(request);
  const cookie = sessionCookie(request);
  if (cookie === undefined) throw forbidden('Console actions need a console sign-in (its cookie)');
  if (body['csrf'] !== csrfToken(cookie)) throw forbidden('The form is stale or not from the console: reload the page and try again');
}

/** Where to go after signing in: a console path only (never another site). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/console(\/[A-Za-z0-9_./?=&%:-]*)?$/.test(next) && !next.includes('//') ? next : '/console';
}
