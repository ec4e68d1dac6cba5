/**
 * The deploy-time check of an uplift: every valid instance of the older version must become a
 * valid instance of the newer one. Tried on samples generated from the older data schema and on
 * the instances the caller gives (the stored ones, in a dry run), with `upliftData`; and the two
 * versions must pass `checkCompatibility` in the newer version's mode.
 */
import { checkCompatibility } from './compatibility.js';
import type { CompatibilityViolation } from './compatibility.js';
import type { CompiledJourney, JsonObject } from './ir.js';
import { isJsonObject } from './json-values.js';
import { generateSamples } from './sample-generator.js';
import { upliftData } from './uplift.js';
import { journeyValidators } from './validation.js';
import type { PayloadViolation } from './validation.js';

export type UpliftFinding =
  /** The versions break the newer version's compatibility mode. */
  | { kind: 'compatibility'; violation: CompatibilityViolation; message: string }
  /** A sample (generated, or given by the caller) does not become valid newer data. */
  | { kind: 'uplift'; origin: 'generated' | 'given'; sample: JsonObject; violations: PayloadViolation[]; message: string }
  /** Not one valid older instance could be generated: the uplift was tried on the given ones only. */
  | { kind: 'samples'; message: string };

export interface UpliftCheckOptions {
  /** Instances of the older version to try besides the generated ones (the stored ones, in a dry run). */
  samples?: JsonObject[];
  /**
   * Seed of the generated samples.
   * @defaultValue 1
   */
  seed?: number;
  /**
   * What `now()` reads in the uplift's steps, in ms since the epoch.
   * @defaultValue 0
   */
  nowMs?: number;
}

function describe(violations: readonly PayloadViolation[]): string {
  return violations.map((v) => `${v.pointer || '/'} ${v.message}`).join('; ');
}

/**
 * What stops `newer` from taking over the instances of `older` (an earlier version of the same
 * journey type): compatibility violations, samples the uplift does not turn into valid data, and
 * a finding when no valid sample could be generated. Empty when the uplift is safe as far as
 * these show. Pure and deterministic.
 */
export function checkUplift(older: CompiledJourney, newer: CompiledJourney, options: UpliftCheckOptions = {}): UpliftFinding[] {
  const findings: UpliftFinding[] = [];
  for (const violation of checkCompatibility(older, newer)) {
    findings.push({ kind: 'compatibility', violation, message: `${violation.schema} ${violation.pointer || '/'}: ${violation.message}` });
  }
  const validOlder = (sample: unknown): sample is JsonObject => isJsonObject(sample) && journeyValidators(older).validateData(sample).length === 0;
  const generated = generateSamples(older.dataSchema, { seed: options.seed ?? 1 }).filter(validOlder);
  if (generated.length === 0) {
    findings.push({
      kind: 'samples',
      message: `no valid ${older.version} data could be generated from its schema; the uplift to ${newer.version} was tried on the given instances only`,
    });
  }
  const nowMs = options.nowMs ?? 0;
  const samples = [
    ...generated.map((sample) => ({ origin: 'generated' as const, sample })),
    ...(options.samples ?? []).map((sample) => ({ origin: 'given' as const, sample })),
  ];
  for (const { origin, sample } of samples) {
    const result = upliftData(newer, older.version, sample, nowMs);
    if (result.ok) continue;
    findings.push({
      kind: 'uplift',
      origin,
      sample,
      violations: result.violations,
      message: `${origin === 'given' ? 'an instance' : 'a generated instance'} of ${older.version} does not become valid ${newer.version} data: ${describe(result.violations)}`,
    });
  }
  return findings;
}
