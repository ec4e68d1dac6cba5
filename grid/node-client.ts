import { Redis } from 'ioredis';
import { JourneyError, ensureError } from '../common/index.js';

/** Where a one-shot client connects: a node, with the credentials of its seed URL if any. */
export interface NodeAddress {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls?: boolean;
}

/**
 * A short-lived connection to one Redis node with no retries, no offline queue and a hard
 * timeout: probes must see a dead node as dead rather than wait. Connect it, use it, disconnect.
 */
export function oneShotClient(address: NodeAddress, timeoutMs: number): Redis {
  const client = new Redis({
    host: address.host,
    port: address.port,
    username: address.username,
    password: address.password,
    tls: address.tls ? {} : undefined,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  // Errors surface through the awaited commands; without a listener ioredis would print them.
  client.on('error', () => undefined);
  return client;
}

/**
 * One command to one Redis node over a one-shot connection: for the local-cluster tooling.
 */
export async function nodeCommand(port: number, args: [string, ...(string | number)[]], timeoutMs = 2_000, host = '127.0.0.1'): Promise<unknown> {
  const client = oneShotClient({ host, port }, timeoutMs);
  try {
    await client.connect();
    const [command, ...rest] = args;
    return await client.call(command, ...rest);
  } catch (thrown: unknown) {
    const cause = ensureError(thrown);
    throw new JourneyError('JE_GRID_UNAVAILABLE', `Redis node ${host}:${port} failed '${args.join(' ')}': ${cause.message}`, {
      cause,
      details: { host, port },
    });
  } finally {
    client.disconnect();
  }
}

/** Like {@link nodeCommand} for commands that answer text (INFO, CLUSTER NODES, PING). */
export async function nodeText(port: number, args: [string, ...(string | number)[]], timeoutMs?: number, host?: string): Promise<string> {
  const reply = await nodeCommand(port, args, timeoutMs, host);
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  throw new JourneyError('JE_INTERNAL', `Redis node ${port} answered '${args.join(' ')}' with a non-text reply`);
}

/** True when the node answers PING within `timeoutMs`. */
export async function nodeAnswers(port: number, timeoutMs = 1_000, host?: string): Promise<boolean> {
  try {
    return (await nodeText(port, ['PING'], timeoutMs, host)) === 'PONG';
  } catch {
    return false;
  }
}
