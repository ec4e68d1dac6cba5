import type { FastifyReply } from 'fastify';
import type { JourneyEngine } from '../engine/index.js';

/** Names the node owning a journey (`NODE_ID`), so a client or gateway can send its next events there. */
export const OWNER_HEADER = 'x-journey-owner';
/** That node's advertised base URL (its `ADVERTISE_URL`), when it advertises one. */
export const OWNER_URL_HEADER = 'x-journey-owner-url';

/**
 * Sets the owner headers of an answer about `journey` when this node knows its owner. A hint
 * only: any node accepts any event (one that is not the owner forwards it), so a stale or missing
 * owner costs a hop, never correctness.
 */
export function setOwnerHeaders(reply: FastifyReply, engine: JourneyEngine, journey: { journeyId: string; journeyType: string; version: string }): void {
  const owner = engine.ownerOf?.(journey);
  if (!owner) return;
  void reply.header(OWNER_HEADER, owner.nodeId);
  if (owner.url !== undefined) void reply.header(OWNER_URL_HEADER, owner.url);
}
