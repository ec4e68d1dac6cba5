import { createServer } from 'node:net';
import { JourneyError } from '../../common/index.js';

/** Redis Cluster's bus listens on the client port plus this offset (unless `cluster-port` is set). */
export const CLUSTER_BUS_PORT_OFFSET = 10000;

/** True when nothing listens on `host:port` (we could bind it a moment ago). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** The ports a local Redis set of `count` nodes from `portBase` needs (clients, plus buses for a cluster). */
export function portsNeeded(portBase: number, count: number, cluster: boolean): number[] {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    ports.push(portBase + i);
    if (cluster) ports.push(portBase + i + CLUSTER_BUS_PORT_OFFSET);
  }
  return ports;
}

/** The ports of `ports` that are taken. */
export async function busyPorts(ports: number[]): Promise<number[]> {
  const free = await Promise.all(ports.map((port) => isPortFree(port)));
  return ports.filter((_, index) => !free[index]);
}

/** Options of {@link findFreePortBase}. */
export interface FreePortOptions {
  /** Nodes in the set. */
  count: number;
  /** Whether the cluster-bus ports (`port + 10000`) must be free too. @defaultValue true */
  cluster?: boolean;
  /** Lowest base to try. @defaultValue 20000 */
  minPort?: number;
  /**
   * Highest base to try. The defaults keep every port (cluster-bus ports too) below 32768, where
   * Linux starts handing out ephemeral ports to outgoing connections, which could take a port
   * between this check and the bind. @defaultValue 22700 with `cluster`, else 32000
   */
  maxPort?: number;
  /** Random bases to try before giving up. @defaultValue 50 */
  attempts?: number;
}

/**
 * Picks a random base port whose `count` consecutive ports (and bus ports) are free right now.
 * Random rather than sequential so engineers running suites at the same time rarely race for the
 * same range; callers still retry if the servers then fail to bind.
 */
export async function findFreePortBase(options: FreePortOptions): Promise<number> {
  const { count, cluster = true, minPort = 20000, maxPort = cluster ? 22_700 : 32_000, attempts = 50 } = options;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const base = minPort + Math.floor(Math.random() * (maxPort - minPort - count));
    if ((await busyPorts(portsNeeded(base, count, cluster))).length === 0) return base;
  }
  throw new JourneyError('JE_GRID_START_FAILED', `No free range of ${count} ports found between ${minPort} and ${maxPort}`);
}
