import { JourneyError, ensureError } from '../../common/index.js';
import { oneShotClient } from '../one-shot-client.js';
import type { LocalNodeRole } from './types.js';

/** A local node: its port and, when its grid has one, the password it requires. */
export interface LocalNodeAddress {
  port: number;
  password?: string | undefined;
  /** @defaultValue `'127.0.0.1'` */
  host?: string;
}

/**
 * One command to one Redis node over a one-shot connection: for the local-cluster tooling.
 */
export async function nodeCommand(node: LocalNodeAddress, args: [string, ...(string | number)[]], timeoutMs = 2_000): Promise<unknown> {
  const host = node.host ?? '127.0.0.1';
  const client = oneShotClient({ host, port: node.port, ...(node.password === undefined ? {} : { password: node.password }) }, timeoutMs);
  try {
    await client.connect();
    const [command, ...rest] = args;
    return await client.call(command, ...rest);
  } catch (thrown: unknown) {
    const cause = ensureError(thrown);
    throw new JourneyError('JE_GRID_UNAVAILABLE', `Redis node ${host}:${node.port} failed '${args.join(' ')}': ${cause.message}`, {
      cause,
      details: { host, port: node.port },
    });
  } finally {
    client.disconnect();
  }
}

/** Like {@link nodeCommand} for commands that answer text (INFO, CLUSTER NODES, PING). */
export async function nodeText(node: LocalNodeAddress, args: [string, ...(string | number)[]], timeoutMs?: number): Promise<string> {
  const reply = await nodeCommand(node, args, timeoutMs);
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  throw new JourneyError('JE_INTERNAL', `Redis node ${node.port} answered '${args.join(' ')}' with a non-text reply`);
}

/** True when the node answers PING within `timeoutMs` (a node that refuses our password does not). */
export async function nodeAnswers(node: LocalNodeAddress, timeoutMs = 1_000): Promise<boolean> {
  try {
    return (await nodeText(node, ['PING'], timeoutMs)) === 'PONG';
  } catch {
    return false;
  }
}

/** The node's role as `ROLE` answers it; `unknown` when it does not answer. */
export async function nodeRole(node: LocalNodeAddress): Promise<LocalNodeRole> {
  try {
    const reply = await nodeCommand(node, ['ROLE'], 1_000);
    const role = Array.isArray(reply) ? String(reply[0]) : '';
    return role === 'master' ? 'master' : role === 'slave' ? 'replica' : 'unknown';
  } catch {
    return 'unknown';
  }
}
