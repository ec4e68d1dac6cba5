import { JourneyError } from '../common/index.js';
import { checkAtEdge, createPayloadValidators } from '../dsl/index.js';
import type { CompiledJourney, EventContext, JsonObject, ProcessorRegistry } from '../dsl/index.js';
import type { DeployedJourney } from './types.js';

type PayloadValidators = ReturnType<typeof createPayloadValidators>;

interface Entry {
  journey: CompiledJourney;
  validators: PayloadValidators;
  processors: ProcessorRegistry;
  /** Its journeys live in this lane's slots. */
  laneNo: number;
  /** Whether this node handles its events (else it only accepts them, for the nodes that do). */
  hosted: boolean;
  /**
   * Undeployed: no new journey starts on it, but the events of journeys it still has (one
   * opened while the undeploy was under way) are accepted and handled, never stranded.
   */
  retired: boolean;
}

/** How a version joins the registry. */
export interface VersionEntry {
  journey: CompiledJourney;
  laneNo: number;
  hosted: boolean;
  processors?: ProcessorRegistry;
}

/** Orders versions numerically per dot-separated part: 1.10 after 1.9. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const nx = Number(x);
    const ny = Number(y);
    const diff = Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * The journey versions this node knows, with their payload validators compiled once: the ones it
 * hosts (handles) and the ones it only accepts events for (deployed in the store, hosted elsewhere).
 */
export class DeploymentRegistry {
  private readonly byKey = new Map<string, Entry>();

  /** Unit tests: each journey hosted, in lanes 1, 2, … in the order given. */
  constructor(journeys: CompiledJourney[] = [], processors: Record<string, ProcessorRegistry> = {}) {
    journeys.forEach((journey, i) => this.add({ journey, laneNo: i + 1, hosted: true, processors: processors[`${journey.name}@${journey.version}`] ?? {} }));
  }

  /** Adds a version, or updates whether it is hosted; the same version twice with another lane is refused. */
  add(version: VersionEntry): void {
    const { journey } = version;
    const key = `${journey.name}@${journey.version}`;
    const known = this.byKey.get(key);
    if (known) {
      if (known.laneNo !== version.laneNo) throw new JourneyError('JE_CONFIG_INVALID', `journey ${journey.name} ${journey.version} is deployed twice`);
      known.hosted ||= version.hosted;
      if (version.processors) known.processors = version.processors;
      return;
    }
    this.byKey.set(key, {
      journey,
      validators: createPayloadValidators(journey),
      processors: version.processors ?? {},
      laneNo: version.laneNo,
      hosted: version.hosted,
      retired: false,
    });
  }

  /**
   * An undeployed version: no new journey starts on it and it leaves the listings; the journeys it
   * still has (opened while the undeploy was under way) keep being served. False if it was retired already.
   */
  /** Forgets a version: its events are neither accepted nor handled here any more. */
  remove(name: string, version: string): boolean {
    return this.byKey.delete(`${name}@${version}`);
  }

  retire(name: string, version: string): boolean {
    const entry = this.byKey.get(`${name}@${version}`);
    if (!entry || entry.retired) return false;
    entry.retired = true;
    return true;
  }

  has(name: string, version: string): boolean {
    return this.byKey.has(`${name}@${version}`);
  }

  list(): DeployedJourney[] {
    return [...this.byKey.values()]
      .filter((e) => !e.retired)
      .map(({ journey, laneNo, hosted }) => ({ name: journey.name, version: journey.version, journey, laneNo, hosted }))
      .sort((a, b) => a.name.localeCompare(b.name) || compareVersions(a.version, b.version));
  }

  laneOf(name: string, version: string): number | undefined {
    return this.byKey.get(`${name}@${version}`)?.laneNo;
  }

  /** The lanes of the versions this node hosts, ascending. */
  hostedLanes(): number[] {
    return [...this.byKey.values()]
      .filter((e) => e.hosted)
      .map((e) => e.laneNo)
      .sort((a, b) => a - b);
  }

  /** `name@version` of a lane, if known. */
  versionOfLane(laneNo: number): string | undefined {
    for (const entry of this.byKey.values()) if (entry.laneNo === laneNo) return `${entry.journey.name}@${entry.journey.version}`;
    return undefined;
  }

  /** The version, only if this node hosts it (handles its events). */
  hosted(name: string, version: string): CompiledJourney | undefined {
    const entry = this.byKey.get(`${name}@${version}`);
    return entry?.hosted ? entry.journey : undefined;
  }

  /** Every version of a type this node knows, retired ones too (their journeys may still be read). */
  versionsOf(name: string): CompiledJourney[] {
    return [...this.byKey.values()].filter((e) => e.journey.name === name).map((e) => e.journey);
  }

  find(name: string, version: string): CompiledJourney | undefined {
    return this.byKey.get(`${name}@${version}`)?.journey;
  }

  get(name: string, version: string): CompiledJourney {
    const journey = this.find(name, version);
    if (!journey) throw new JourneyError('JE_JOURNEY_TYPE_UNKNOWN', `journey ${name} ${version} is not deployed`, { details: { journeyType: name, version } });
    return journey;
  }

  processors(name: string, version: string): ProcessorRegistry {
    return this.byKey.get(`${name}@${version}`)?.processors ?? {};
  }

  /** Resolves `latest` to the highest deployed version of the type. */
  resolve(name: string, version: string): CompiledJourney {
    if (version !== 'latest') {
      if (this.byKey.get(`${name}@${version}`)?.retired) {
        throw new JourneyError('JE_JOURNEY_TYPE_UNKNOWN', `journey ${name} ${version} was undeployed`, { details: { journeyType: name, version } });
      }
      return this.get(name, version);
    }
    const versions = [...this.byKey.values()].filter((e) => e.journey.name === name && !e.retired).map((e) => e.journey);
    const newest = versions.sort((a, b) => compareVersions(b.version, a.version))[0];
    if (!newest) throw new JourneyError('JE_JOURNEY_TYPE_UNKNOWN', `no version of journey ${name} is deployed`, { details: { journeyType: name } });
    return newest;
  }

  validatePayload(journey: CompiledJourney, eventType: string, payload: JsonObject): void {
    const entry = this.byKey.get(`${journey.name}@${journey.version}`);
    const violations = entry ? entry.validators.validate(eventType, payload) : [];
    if (violations.length > 0) {
      throw new JourneyError('JE_EVENT_INVALID', `${eventType} payload is invalid: ${violations.map((v) => `${v.pointer || '/'} ${v.message}`).join('; ')}`, {
        details: { eventType, violations },
      });
    }
  }

  /** Refuses what the sender may never send whatever the journey's state (decidable before accepting). */
  checkAccessAtEdge(journey: CompiledJourney, eventType: string, context: EventContext): void {
    const refusal = checkAtEdge(journey, eventType, context);
    if (refusal) {
      throw new JourneyError('JE_ACCESS_DENIED', refusal.message, { details: { eventType, ...(refusal.rule ? { rule: refusal.rule } : {}) } });
    }
  }
}
