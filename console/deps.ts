import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JourneyEngine, JourneyView, Page, Reader } from '../engine/index.js';

/**
 * What the console needs from the API it is served by: the API's own authentication, tenant
 * admission, reader and search, so no page decides access differently from the JSON routes.
 * The API builds it (api/console-routes.ts); the console never imports the API (no cycle).
 */
export interface ConsoleDeps {
  engine: JourneyEngine;
  /** The API's authentication mode: what the sign-in form asks for (a token, or a dev identity). */
  authMode: 'dev' | 'jwt';
  /** Authenticates the request from its headers and sets `request.identity`; throws `JE_UNAUTHENTICATED`. */
  authenticate: (request: FastifyRequest) => Promise<void>;
  /** The API's tenant admission hook, run after authentication. */
  admit: (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;
  /** The caller as a reader of journeys (the API's read rules and tenant limits). */
  readerOf: (request: FastifyRequest) => Reader;
  /** `GET /journeys` as the API serves it: the same checks of the type, version and search fields. */
  search: (request: FastifyRequest, query: Record<string, string>) => Promise<Page<JourneyView>>;
  /** The role that may see every tenant's counts and the dead letters. */
  operatorRole: string;
}
