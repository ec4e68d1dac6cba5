import { JourneyError } from '../common/index.js';

/**
 * Every Redis key the engine uses is built here, so the hash-tag rules live in one place.
 *
 * - A journey's keys share the journey id as hash tag (`je:{<journeyId>}:state`), so multi-key
 *   scripts on one journey stay on one slot and journeys spread over all masters.
 * - Grid-wide keys share the tag `{grid}` (one slot: keep them few and small).
 * - A node's inbox is tagged by node id (`je:{node:<id>}:inbox`), so each inbox is its own slot.
 *
 * The prefix (`je` by default) lets tests give every test its own namespace on a shared cluster.
 * The engine's keys also carry the store's cluster id after the prefix (`je:<clusterId>:{grid}:nodes`,
 * see {@link GridKeys.forCluster}): two stores that share a Redis and a prefix must never share
 * membership, owners, inboxes or hot state, or one store's events get written to the other.
 * The cluster id sits before the tag, so the tag (the first `{…}`) and with it the slot rules
 * above stay as they are.
 */
export interface GridKeys {
  /** The configured prefix (without the cluster id). */
  readonly prefix: string;
  /** The store's cluster id these keys are bound to; null for the bare prefix. */
  readonly clusterId: string | null;
  /** What every key starts with: `<prefix>` or `<prefix>:<clusterId>`. */
  readonly namespace: string;
  /** Hash with fields `seq` and `state`: the journey's hot state (see `putHotState`). */
  hotState(journeyId: string): string;
  /** Any other per-journey key: `<namespace>:{<journeyId>}:<name>`. */
  journey(journeyId: string, name: string): string;
  /** A grid-wide key: `<namespace>:{grid}:<name>`. */
  grid(name: string): string;
  /** A node's inbox: `<namespace>:{node:<nodeId>}:inbox`. */
  nodeInbox(nodeId: string): string;
  /** A back end's circuit breaker: `<namespace>:{breaker:<system>}:state` (each back end its own slot). */
  breaker(system: string): string;
  /** The same prefix bound to a store's cluster id (`createGridKeys(prefix, clusterId)`). */
  forCluster(clusterId: string): GridKeys;
}

/** Characters allowed in a key prefix and a cluster id: letters, digits, `_` and `-`. */
const PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Key names (the part after the tag) may also hold `:` and `.` to build sub-names. */
const NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

function invalidKeyPart(kind: string, value: string, rule: string): JourneyError {
  return new JourneyError('JE_INTERNAL', `Invalid ${kind} for a grid key: ${JSON.stringify(value)} (${rule})`, {
    details: { kind, value },
  });
}

/** A hash-tag value must not contain braces: `a}b` would be hashed as `a` and share its slot. */
function checkTag(kind: string, value: string): string {
  if (value.length === 0 || value.length > 256 || value.includes('{') || value.includes('}')) {
    throw invalidKeyPart(kind, value, '1..256 characters, no braces');
  }
  return value;
}

function checkName(value: string): string {
  if (!NAME_PATTERN.test(value)) throw invalidKeyPart('key name', value, NAME_PATTERN.source);
  return value;
}

/**
 * Builds the key functions for one namespace.
 * @param prefix - Namespace of every key. @defaultValue `'je'`
 * @param clusterId - The store's cluster id (`cluster_meta.cluster_id`); without one, the bare
 *   prefix (tools and tests of the grid alone; the engine always binds one).
 */
export function createGridKeys(prefix = 'je', clusterId?: string): GridKeys {
  if (!PREFIX_PATTERN.test(prefix)) throw invalidKeyPart('key prefix', prefix, PREFIX_PATTERN.source);
  // No braces and no colon: the id can neither become the hash tag nor fake another namespace.
  if (clusterId !== undefined && !PREFIX_PATTERN.test(clusterId)) throw invalidKeyPart('cluster id', clusterId, PREFIX_PATTERN.source);
  const namespace = clusterId === undefined ? prefix : `${prefix}:${clusterId}`;
  const journey = (journeyId: string, name: string): string => `${namespace}:{${checkTag('journey id', journeyId)}}:${checkName(name)}`;
  return Object.freeze({
    prefix,
    clusterId: clusterId ?? null,
    namespace,
    hotState: (journeyId: string) => journey(journeyId, 'state'),
    journey,
    grid: (name: string) => `${namespace}:{grid}:${checkName(name)}`,
    nodeInbox: (nodeId: string) => `${namespace}:{node:${checkTag('node id', nodeId)}}:inbox`,
    breaker: (system: string) => `${namespace}:{breaker:${checkTag('back-end system', system)}}:state`,
    forCluster: (id: string) => createGridKeys(prefix, id),
  });
}

/** The keys of the default `je` namespace. */
export const gridKeys: GridKeys = createGridKeys();
