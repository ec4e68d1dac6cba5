/**
 * Which tenants may call, and which journey types each may use (`tenants` in the API options).
 * Without that setting every tenant a token (or, in dev mode, a header) names is served, for every
 * type. With it, a tenant not listed is refused at once, and a listed tenant can start, search
 * and read only journeys of its types: another type's journey answers as if it did not exist.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JourneyError } from '../common/index.js';

/** `pfm/wallet` matches that type; `pfm/*` every type under `pfm/`; `*` every type. */
export type JourneyTypePattern = string;

export class TenantPolicy {
  private readonly tenants: ReadonlyMap<string, readonly JourneyTypePattern[]> | undefined;

  constructor(tenants: Readonly<Record<string, { journeyTypes: readonly JourneyTypePattern[] }>> | undefined) {
    this.tenants = tenants === undefined ? undefined : new Map(Object.entries(tenants).map(([tenant, { journeyTypes }]) => [tenant, journeyTypes]));
  }

  /** Whether tenants are listed at all (then their names are few and known: fit for metric labels). */
  get listed(): boolean {
    return this.tenants !== undefined;
  }

  /** An `onRequest` hook after authentication: a tenant that is not listed gets 403. */
  readonly admit = (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
    const tenant = request.identity?.tenant;
    if (this.tenants !== undefined && tenant !== undefined && !this.tenants.has(tenant)) {
      done(new JourneyError('JE_ACCESS_DENIED', `Tenant ${tenant} is not served here`, { details: { tenant, reason: 'tenant' } }));
      return;
    }
    done();
  };

  mayUse(tenant: string, journeyType: string): boolean {
    if (this.tenants === undefined) return true;
    return (this.tenants.get(tenant) ?? []).some(
      (pattern) => pattern === '*' || pattern === journeyType || (pattern.endsWith('/*') && journeyType.startsWith(pattern.slice(0, -1))),
    );
  }

  /** Refuses (403) a journey type the tenant may not start or search. */
  assertMayUse(tenant: string, journeyType: string): void {
    if (this.mayUse(tenant, journeyType)) return;
    throw new JourneyError('JE_ACCESS_DENIED', `Tenant ${tenant} may not use journeys of type ${journeyType}`, {
      details: { tenant, journeyType, reason: 'tenant' },
    });
  }
}
