/**
 * redlock 5's package `exports` name no types, so under NodeNext resolution TypeScript finds
 * none; this is the part of its API (node_modules/redlock/dist/index.d.ts) the grid uses.
 */
declare module 'redlock' {
  import type { EventEmitter } from 'node:events';
  import type { Cluster, Redis } from 'ioredis';

  export interface Settings {
    driftFactor: number;
    retryCount: number;
    retryDelay: number;
    retryJitter: number;
    automaticExtensionThreshold: number;
  }

  export class ResourceLockedError extends Error {}
  export class ExecutionError extends Error {}

  export class Lock {
    readonly resources: string[];
    readonly expiration: number;
    release(): Promise<unknown>;
    extend(duration: number): Promise<Lock>;
  }

  export default class Redlock extends EventEmitter {
    constructor(clients: Iterable<Redis | Cluster>, settings?: Partial<Settings>);
    acquire(resources: string[], duration: number, settings?: Partial<Settings>): Promise<Lock>;
  }
}
