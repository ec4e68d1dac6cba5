import { JourneyError } from '../common/index.js';
import { checkAtEdge, createPayloadValidators } from '../dsl/index.js';
import type { CompiledJourney, EventContext, JsonObject, ProcessorRegistry } from '../dsl/index.js';
import type { DeployedJourney } from './types.js';

type PayloadValidators = ReturnType<typeof createPayloadValidators>;

interface Entry {
  journey: CompiledJourney;
  validators: PayloadValidators;
  processors: ProcessorRegistry;
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

/** The journey versions this engine runs, with their payload validators compiled once. */
export class DeploymentRegistry {
  private readonly byKey = new Map<string, Entry>();

  constructor(journeys: CompiledJourney[], processors: Record<string, ProcessorRegistry> = {}) {
    for (const journey of journeys) {
      const key = `${journey.name}@${journey.version}`;
      if (this.byKey.has(key)) throw new JourneyError('JE_CONFIG_INVALID', `journey ${journey.name} ${journey.version} is deployed twice`);
      this.byKey.set(key, { journey, validators: createPayloadValidators(journey), processors: processors[key] ?? {} });
    }
  }

  list(): DeployedJourney[] {
    return [...this.byKey.values()]
      .map(({ journey }) => ({ name: journey.name, version: journey.version, journey }))
      .sort((a, b) => a.name.localeCompare(b.name) || compareVersions(a.version, b.version));
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
    if (version !== 'latest') return this.get(name, version);
    const versions = [...this.byKey.values()].filter((e) => e.journey.name === name).map((e) => e.journey);
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
