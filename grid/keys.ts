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
 */
export interface GridKeys {
  /** The namespace every key starts with. */
  readonly prefix: string;
  /** Hash with fields `seq` and `state`: the journey's hot state (see `putJourneyState`). */
  journeyState(journeyId: string): string;
  /** Any other per-journey key: `<prefix>:{<journeyId>}:<name>`. */
  journey(journeyId: string, name: string): string;
  /** A grid-wide key: `<prefix>:{grid}:<name>`. */
  grid(name: string): string;
  /** A node's inbox: `<prefix>:{node:<nodeId>}:inbox`. */
  nodeInbox(nodeId: string): string;
}

/** Characters allowed in a key prefix: letters, digits, `_` and `-`. */
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
 */
export function createGridKeys(prefix = 'je'): GridKeys {
  if (!PREFIX_PATTERN.test(prefix)) throw invalidKeyPart('key prefix', prefix, PREFIX_PATTERN.source);
  const journey = (journeyId: string, name: string): string =>
    `${prefix}:{${checkTag('journey id', journeyId)}}:${checkName(name)}`;
  return Object.freeze({
    prefix,
    journeyState: (journeyId: string) => journey(journeyId, 'state'),
    journey,
    grid: (name: string) => `${prefix}:{grid}:${checkName(name)}`,
    nodeInbox: (nodeId: string) => `${prefix}:{node:${checkTag('node id', nodeId)}}:inbox`,
  });
}

/** The keys of the default `je` namespace. */
export const gridKeys: GridKeys = createGridKeys();
