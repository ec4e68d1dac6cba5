/**
 * A `fetch` for CLI commands under test that hands each request to a fastify app in process
 * (`app.inject`), so a command talks to the real API over the real engine without a socket.
 */
import type { FastifyInstance } from 'fastify';

export function fetchViaApp(app: Pick<FastifyInstance, 'inject'>): typeof fetch {
  return async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const res = await app.inject({
      method: (init?.method ?? 'GET') as 'GET',
      url: url.pathname + url.search,
      headers: (init?.headers ?? {}) as Record<string, string>,
      ...(typeof init?.body === 'string' ? { payload: init.body } : {}),
    });
    return new Response(res.body, { status: res.statusCode, headers: { 'content-type': String(res.headers['content-type'] ?? 'application/json') } });
  };
}
