import { Redis } from 'ioredis';

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
