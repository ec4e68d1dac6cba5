/**
 * The typed client of the HTTP API: openapi-fetch over the types that openapi-typescript generates
 * from the OpenAPI document the API serves (generated/api.ts, `npm run generate`). Paths, path and
 * query parameters, event bodies (one variant per event of each example journey, its payload
 * schema as `data`) and answers are all typed; a call answers `{ data, error, response }` and never
 * throws for an HTTP status.
 *
 *   const client = createJourneyClient('https://engine.example', { token: () => idp.token() });
 *   const { data, error } = await client.POST('/journeys/pfm/wallet/{version}/events', {
 *     params: { path: { version: '1.0' }, query: { wait: 5000 } },
 *     body: { type: 'OpenWallet', data: { owner: 'alice', currency: 'EUR' } },
 *   });
 */
import createClient from 'openapi-fetch';
import type { Client, Middleware } from 'openapi-fetch';
import { JourneyError } from '../common/index.js';
import type { components, operations, paths } from './generated/api.js';

export type { components, operations, paths };

/** The client: `GET`, `POST`, `DELETE`… over every path of the API. */
export type JourneyClient = Client<paths>;

type Schemas = components['schemas'];
/** `{ error: { code, message, details } }`: every error answer. */
export type ApiError = Schemas['Error'];
export type AcceptResult = Schemas['AcceptResult'];
export type EventOutcome = Schemas['EventOutcome'];
export type JourneyView = Schemas['JourneyView'];
export type JourneyPage = Schemas['JourneyPage'];
export type EventPage = Schemas['EventPage'];

/** How the client authenticates; set at most one of `token` and `devSender`. */
export interface JourneyClientOptions {
  /**
   * `AUTH_MODE=jwt`: the bearer token, or a function asked for it before every request (so a
   * refreshed token is used as soon as there is one).
   */
  token?: string | (() => string | Promise<string>);
  /** `AUTH_MODE=dev`, on a local engine only: the sender, sent as `X-Dev-Sender`. */
  devSender?: string;
  /** Headers sent with every request (e.g. `Idempotency-Key` is per call: pass it in `params.header`). */
  headers?: Record<string, string>;
  /** @defaultValue `globalThis.fetch` */
  fetch?: (request: Request) => Promise<Response>;
}

const OPTION_NAMES: ReadonlySet<string> = new Set(['token', 'devSender', 'headers', 'fetch']);

function invalid(option: string, message: string): JourneyError {
  return new JourneyError('JE_CONFIG_INVALID', `createJourneyClient: ${option} ${message}`, { details: { option } });
}

/** Refuses what would only fail later, at the first request, with a less clear message. */
function checkOptions(baseUrl: unknown, options: JourneyClientOptions): URL {
  let url: URL;
  try {
    url = new URL(String(baseUrl));
  } catch (cause) {
    throw new JourneyError('JE_CONFIG_INVALID', `createJourneyClient: baseUrl ${JSON.stringify(baseUrl)} is not an absolute URL`, {
      cause,
      details: { option: 'baseUrl' },
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('baseUrl', `must be http(s), not ${url.protocol}`);
  if (url.search !== '' || url.hash !== '') throw invalid('baseUrl', 'must not carry a query or fragment');
  if (options === null || typeof options !== 'object') throw invalid('options', 'must be an object');
  for (const name of Object.keys(options)) if (!OPTION_NAMES.has(name)) throw invalid(name, `is not an option (${[...OPTION_NAMES].join(', ')})`);
  const { token, devSender, headers, fetch } = options;
  if (token !== undefined && devSender !== undefined) throw invalid('token', 'and devSender exclude each other: the engine runs in one auth mode');
  if (token !== undefined && typeof token !== 'function' && (typeof token !== 'string' || token === ''))
    throw invalid('token', 'must be a non-empty string or a function');
  if (devSender !== undefined && (typeof devSender !== 'string' || devSender === '')) throw invalid('devSender', 'must be a non-empty string');
  if (headers !== undefined && (headers === null || typeof headers !== 'object' || Object.values(headers).some((v) => typeof v !== 'string'))) {
    throw invalid('headers', 'must map header names to strings');
  }
  if (fetch !== undefined && typeof fetch !== 'function') throw invalid('fetch', 'must be a function');
  return url;
}

/** Asks for the token before each request. */
function bearer(token: () => string | Promise<string>): Middleware {
  return {
    async onRequest({ request }) {
      const value = await token();
      if (typeof value !== 'string' || value === '') throw invalid('token', 'function returned no token');
      request.headers.set('authorization', `Bearer ${value}`);
      return request;
    },
  };
}

/**
 * A typed client of the engine at `baseUrl` (the API's root, e.g. `http://127.0.0.1:3000`; a path
 * prefix behind a gateway is kept). Bad options throw `JourneyError` `JE_CONFIG_INVALID`, naming
 * the option in `details.option`.
 */
export function createJourneyClient(baseUrl: string, options: JourneyClientOptions = {}): JourneyClient {
  const url = checkOptions(baseUrl, options);
  const headers: Record<string, string> = { ...options.headers };
  if (typeof options.token === 'string') headers['authorization'] = `Bearer ${options.token}`;
  if (options.devSender !== undefined) headers['x-dev-sender'] = options.devSender;
  const client = createClient<paths>({ baseUrl: url.href, headers, ...(options.fetch === undefined ? {} : { fetch: options.fetch }) });
  if (typeof options.token === 'function') client.use(bearer(options.token));
  return client;
}
