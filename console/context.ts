/** Per-request helpers every console page uses: who is looking, the posted form, sending a page. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JourneyError } from '../common/index.js';
import type { Html } from './html.js';
import type { Viewer } from './layout.js';

const viewers = new WeakMap<FastifyRequest, Viewer>();

export function setViewer(request: FastifyRequest, viewer: Viewer): void {
  viewers.set(request, viewer);
}

/** The signed-in viewer, when the pages' authentication hook has run. */
export function maybeViewer(request: FastifyRequest): Viewer | undefined {
  return viewers.get(request);
}

/** The signed-in viewer of a console page (set by the pages' authentication hook). */
export function viewerOf(request: FastifyRequest): Viewer {
  const viewer = viewers.get(request);
  if (viewer === undefined) throw new JourneyError('JE_UNAUTHENTICATED', 'The request is not authenticated');
  return viewer;
}

/** The fields of a posted form (the console parses url-encoded bodies into one flat object). */
export function formBody(request: FastifyRequest): Record<string, string> {
  const body = request.body;
  return typeof body === 'object' && body !== null ? (body as Record<string, string>) : {};
}

export function sendPage(reply: FastifyReply, status: number, body: Html): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body.text);
}
