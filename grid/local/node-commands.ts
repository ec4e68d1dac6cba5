import { JourneyError, ensureError } from '../../common/index.js';
import { oneShotClient } from '../one-shot-client.js';
import type { LocalNodeRole } from './types.js';

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

/** The node's role as `ROLE` answers it; `unknown` when it does not answer. */
export async function nodeRole(port: number): Promise<LocalNodeRole> {
  try {
    const reply = await nodeCommand(port, ['ROLE'], 1_000);
    const role = Array.isArray(reply) ? String(reply[0]) : '';
    return role === 'master' ? 'master' : role === 'slave' ? 'replica' : 'unknown';
  } catch {
    return 'unknown';
  }
}
