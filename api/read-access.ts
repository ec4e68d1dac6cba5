/**
 * The API's side of read rules: who the caller is as a reader, and what a `?wait` answer may show
 * them. The rules themselves are decided by the engine (engine/read-policy.ts).
 */
import type { FastifyRequest } from 'fastify';
import { JourneyError } from '../common/index.js';
import type { JourneyEngine, Reader } from '../engine/index.js';
import { accessOf, mayRead } from '../engine/index.js';
import type { EventOutcome } from '../engine/index.js';
import { eventContext } from './auth.js';
import type { ResolvedApiOptions } from './options.js';
import type { TenantPolicy } from './tenancy.js';

/** The authenticated caller as a reader of journeys. */
export function readerOf(request: FastifyRequest, options: ResolvedApiOptions, tenancy: TenantPolicy): Reader {
  const identity = request.identity;
  if (!identity) throw new JourneyError('JE_UNAUTHENTICATED', 'The request is not authenticated');
  const { origin: _origin, ...context } = eventContext(request, identity, options);
  const reader: Reader = { tenant: identity.tenant, context, fallbackRoles: options.undeclaredReadRoles };
  if (tenancy.listed) reader.mayUseType = (journeyType) => tenancy.mayUse(identity.tenant, journeyType);
  return reader;
}

/**
 * Whether the sender of an event may see its journey's data in the outcome: they may read the
 * journey as it is after the event (its version's rules on the outcome's data). Everyone sees
 * whether their own event applied, and why it was rejected.
 */
export function outcomeReadable(engine: JourneyEngine, journey: { journeyType: string; version: string }, outcome: EventOutcome, reader: Reader): boolean {
  let definition;
  try {
    definition = engine.resolveJourney(journey.journeyType, journey.version);
  } catch {
    return reader.context.roles.some((role) => reader.fallbackRoles.includes(role));
  }
  return mayRead(accessOf(definition, reader), outcome.data);
}
