/**
 * Which tenants may call, and which journey types each may use (`tenants` in the API options).
 * Without that setting every tenant a token (or, in dev mode, a header) names is served, for every
 * type. With it, a tenant not listed is refused at once, and a listed tenant can start, search
 * and read only journeys of its types: another type's journey answers as if it did not exist.
 * The rule on types is the engine's (TenantTypes), which applies it to journeys started by journeys too.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JourneyError } from '../common/index.js';
import { TenantTypes } from '../engine/index.js';

export class TenantPolicy extends TenantTypes {
  /** An `onRequest` hook after authentication: a tenant that is not listed gets 403. */
  readonly admit = (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
    const tenant = request.identity?.tenant;
    if (this.tenants !== undefined && tenant !== undefined && !this.tenants.has(tenant)) {
      done(new JourneyError('JE_ACCESS_DENIED', `Tenant ${tenant} is not served here`, { details: { tenant, reason: 'tenant' } }));
      return;
    }
    done();
  };
}
