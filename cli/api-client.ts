/**
 * The operations commands (`deploy`, `undeploy`, `versions`) talk to a running node's HTTP API.
 * This is their one client: where the API is, who the caller is, and how its error envelope
 * becomes lines a person can act on.
 */
import { EXIT, UsageError } from './command.js';

/** Where the API is and who calls it. */
export interface ApiTarget {
  /** The API's base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** A bearer token (jwt mode); without one the dev-mode headers name an operator. */
  token?: string;
  /** @defaultValue the global fetch */
  fetch?: typeof fetch;
}

/** What a dev-mode node takes as the caller when no token is given (dev mode trusts these headers). */
export const DEV_OPERATOR_HEADERS = { 'x-dev-sender': 'journey-cli', 'x-dev-roles': 'operator' } as const;

/** The API refused the request (4xx): its stable code, message and details. */
export class ApiRefusal extends Error {
  override name = 'ApiRefusal';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The API could not be reached, or failed (5xx, an answer that is not the API's). */
export class ApiFailure extends Error {
  override name = 'ApiFailure';
}

/** The target from `--url`/`--token`, else `$JOURNEY_API_URL`/`$JOURNEY_API_TOKEN`. */
export function apiTarget(values: { url?: string | undefined; token?: string | undefined }, fetchImpl?: typeof fetch): ApiTarget {
  const url = values.url ?? process.env.JOURNEY_API_URL;
  if (url === undefined || url === '') throw new UsageError('--url <api> is required (or set JOURNEY_API_URL)');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got '${url}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--url must be an http(s) URL, got '${url}'`);
  const token = values.token ?? process.env.JOURNEY_API_TOKEN;
  return { url: url.replace(/\/+$/, ''), ...(token ? { token } : {}), ...(fetchImpl ? { fetch: fetchImpl } : {}) };
}

/** Sends one request; resolves with the status and parsed JSON body of a 2xx answer, else throws ApiRefusal or ApiFailure. */
export async function callApi<T>(target: ApiTarget, method: 'GET' | 'POST' | 'DELETE', path: string, body?: string): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = target.token ? { authorization: `Bearer ${target.token}` } : { ...DEV_OPERATOR_HEADERS };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await (target.fetch ?? fetch)(`${target.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new ApiFailure(`cannot reach ${target.url}${cause}`, { cause: error });
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    throw new ApiFailure(`${method} ${path} answered ${response.status} with a body that is not JSON`);
  }
  if (response.ok) return { status: response.status, body: parsed as T };
  const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`;
  const message = typeof error?.message === 'string' ? error.message : `${method} ${path} answered ${response.status}`;
  if (response.status >= 500) throw new ApiFailure(`${code}: ${message}`);
  const details = error?.details !== null && typeof error?.details === 'object' ? (error.details as Record<string, unknown>) : {};
  throw new ApiRefusal(response.status, code, message, details);
}

/**
 * Runs a command's requests to the API and maps what can go wrong to its exit code: a refusal
 * (4xx) is printed as lines and exits 1, a failure (unreachable, 5xx) is printed named by the
 * command and exits 3; anything else is thrown on.
 */
export async function withApiErrors(command: string, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ApiRefusal) {
      for (const line of describeRefusal(error)) console.error(line);
      return EXIT.invalidInput;
    }
    if (error instanceof ApiFailure) {
      console.error(`journey ${command}: ${error.message}`);
      return EXIT.failure;
    }
    throw error;
  }
}

/** A refusal as lines: the code and message, then what its details list (violations, files, instances). */
export function describeRefusal(refusal: ApiRefusal): string[] {
  const lines = [`${refusal.code}: ${refusal.message}`];
  const { violations, files, instances } = refusal.details;
  if (Array.isArray(violations)) {
    for (const violation of violations as Array<Record<string, unknown>>) {
      const against = typeof violation['against'] === 'string' ? `against ${violation['against']}: ` : '';
      const where = [violation['schema'], violation['pointer'] === '' ? '/' : violation['pointer']].filter((part) => typeof part === 'string').join(' ');
      lines.push(`  ${against}${where} ${typeof violation['message'] === 'string' ? violation['message'] : ''}`.trimEnd());
    }
  }
  if (Array.isArray(files)) for (const file of files) lines.push(`  differs: ${String(file)}`);
  if (instances !== null && typeof instances === 'object') {
    lines.push(
      `  instances: ${Object.entries(instances as Record<string, unknown>)
        .map(([lifecycle, count]) => `${String(count)} ${lifecycle}`)
        .join(', ')}`,
    );
  }
  return lines;
}

/** The API path of a journey type, its segments escaped one by one (`pfm/wallet` stays readable). */
export function typePath(journeyType: string): string {
  return journeyType
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}
