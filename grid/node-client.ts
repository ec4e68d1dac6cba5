import { Redis } from 'ioredis';
import { JourneyError, ensureError } from '../common/index.js';

/**
 * One command to one Redis node over a short-lived connection, with no retries and a hard
 * timeout: for the local-cluster tooling, which must see a dead node as dead rather than wait.
 */
export async function nodeCommand(port: number, args: [string, ...(string | number)[]], timeoutMs = 2_000, host = '127.0.0.1'): Promise<unknown> {
  const client = new Redis({
    host,
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  // Errors surface through the awaited promises below; without a listener ioredis would print them.
  client.on('error', () => undefined);
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
