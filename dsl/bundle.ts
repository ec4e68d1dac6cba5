/**
 * A version bundle: one journey version as one self-describing JSON document — the compiled bead
 * chain (with its JSON Schemas), the action processors compiled to self-contained JavaScript, the
 * hashes of the source files it came from, and one content hash over all of it. It is what a
 * version image carries and what a node hosts. This file is pure (format, hashing, checking);
 * dsl/pack.ts makes bundles from folders and loads their processors.
 */
import { createHash } from 'node:crypto';
import { JourneyError } from '../common/index.js';
import { parseCompiledJourney } from './ir-schema.js';
import type { CompiledJourney } from './ir.js';

/** The format tag of a bundle; a change of layout gets a new one. */
export const BUNDLE_FORMAT = 'journey-bundle/1';

/** The suffix of a bundle file: `<type with dashes>-<version>.bundle.json`. */
export const BUNDLE_FILE_SUFFIX = '.bundle.json';

export interface VersionBundle {
  format: typeof BUNDLE_FORMAT;
  /** The journey type, e.g. `pfm/wallet`. */
  name: string;
  /** The version, e.g. `1.0`. */
  version: string;
  /** The compiled bead chain, schemas included; `source` is `<name>/<version>/journey.jd`. */
  journey: CompiledJourney;
  /** Processor name → self-contained ESM JavaScript (its default export is the processor). */
  processors: Record<string, string>;
  /** Source path relative to the version folder → sha256 (hex) of its bytes; `generated/` left out. */
  files: Record<string, string>;
  /** The package.json version of the engine that packed it (not part of the content hash). */
  engineVersion: string;
  /** sha256 (hex) of the canonical JSON of `{name, version, journey, processors, files}`. */
  contentHash: string;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const NAME = /^[A-Za-z0-9_]+(\/[A-Za-z0-9_]+)+$/;
const VERSION = /^[A-Za-z0-9_.-]+$/;
const BUNDLE_KEYS = ['format', 'name', 'version', 'journey', 'processors', 'files', 'engineVersion', 'contentHash'] as const;

function sortedValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedValue);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) sorted[key] = sortedValue(member);
    }
    return sorted;
  }
  return value;
}

/**
 * JSON with every object's keys sorted (by UTF-16 code units), recursively, and no whitespace:
 * equal values give equal text whatever order their keys were written in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedValue(value));
}

/** sha256 (hex) of a string's UTF-8 bytes or of raw bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The content hash of a bundle's content (what `contentHash` must be). */
export function bundleContentHash(content: Pick<VersionBundle, 'name' | 'version' | 'journey' | 'processors' | 'files'>): string {
  const { name, version, journey, processors, files } = content;
  return sha256Hex(canonicalJson({ name, version, journey, processors, files }));
}

/** Builds a bundle from its parts, computing the content hash. */
export function createBundle(parts: Omit<VersionBundle, 'format' | 'contentHash' | 'name' | 'version'>): VersionBundle {
  const { journey, processors, files, engineVersion } = parts;
  const content = { name: journey.name, version: journey.version, journey, processors: sortedRecord(processors), files: sortedRecord(files) };
  return { format: BUNDLE_FORMAT, ...content, engineVersion, contentHash: bundleContentHash(content) };
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The bytes of a bundle file: indented JSON, the top-level members in a fixed order, `files` and
 * `processors` sorted, the journey as the compiler wrote it (the engine hashes a journey's JSON as
 * it stands), and a final newline. The same bundle always gives the same text.
 */
export function serializeBundle(bundle: VersionBundle): string {
  const ordered = {
    format: bundle.format,
    name: bundle.name,
    version: bundle.version,
    contentHash: bundle.contentHash,
    engineVersion: bundle.engineVersion,
    files: sortedRecord(bundle.files),
    processors: sortedRecord(bundle.processors),
    journey: bundle.journey,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** `pfm/wallet` 1.0 → `pfm-wallet-1.0.bundle.json` */
export function bundleFileName(bundle: Pick<VersionBundle, 'name' | 'version'>): string {
  return `${bundle.name.split('/').join('-')}-${bundle.version}${BUNDLE_FILE_SUFFIX}`;
}

function invalid(message: string, details: Record<string, unknown> = {}, cause?: unknown): JourneyError {
  return new JourneyError('JE_BUNDLE_INVALID', `invalid journey bundle: ${message}`, { details, ...(cause === undefined ? {} : { cause }) });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stringRecord(value: unknown, member: string, check: (key: string, value: string) => string | null): Record<string, string> {
  if (!isRecord(value)) throw invalid(`${member} must be an object`, { member });
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw invalid(`${member}.${key} must be a string`, { member, key });
    const problem = check(key, entry);
    if (problem !== null) throw invalid(`${member}.${key} ${problem}`, { member, key });
    result[key] = entry;
  }
  return result;
}

function safeRelativePath(path: string): boolean {
  return path.length > 0 && !path.startsWith('/') && !path.includes('\\') && path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/**
 * Checks a parsed bundle (or its JSON text): its shape, its journey against the IR schema, that
 * the journey, name, version and processors agree, and that `contentHash` is the hash of its
 * content — so a bundle changed after packing, processor code included, is refused.
 * @throws JourneyError `JE_BUNDLE_INVALID` (400) naming what is wrong.
 */
export function parseBundle(json: unknown): VersionBundle {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (thrown: unknown) {
      throw invalid('not valid JSON', {}, thrown);
    }
  }
  if (!isRecord(value)) throw invalid('not a JSON object');
  if (value.format !== BUNDLE_FORMAT)
    throw invalid(`format must be "${BUNDLE_FORMAT}", not ${JSON.stringify(value.format) ?? 'missing'}`, { member: 'format' });
  const unknown = Object.keys(value).filter((key) => !(BUNDLE_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) throw invalid(`unknown member${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}`, { members: unknown });
  const { name, version, engineVersion, contentHash } = value;
  if (typeof name !== 'string' || !NAME.test(name)) throw invalid('name must be a journey type such as pfm/wallet', { member: 'name' });
  if (typeof version !== 'string' || !VERSION.test(version)) throw invalid('version must be a version such as 1.0', { member: 'version' });
  if (typeof engineVersion !== 'string' || engineVersion.length === 0) throw invalid('engineVersion must be a non-empty string', { member: 'engineVersion' });
  if (typeof contentHash !== 'string' || !HEX_SHA256.test(contentHash))
    throw invalid('contentHash must be 64 lower-case hex digits', { member: 'contentHash' });
  let journey: CompiledJourney;
  try {
    journey = parseCompiledJourney(value.journey);
  } catch (thrown: unknown) {
    throw invalid(`its journey is not a valid compiled journey: ${thrown instanceof Error ? thrown.message : String(thrown)}`, { member: 'journey' }, thrown);
  }
  if (journey.name !== name || journey.version !== version) {
    throw invalid(`it is named ${name} ${version} but its journey is ${journey.name} ${journey.version}`, { member: 'journey' });
  }
  const processors = stringRecord(value.processors, 'processors', (_, code) => (code.length === 0 ? 'is empty' : null));
  const expected = [...new Set(journey.processors)].sort();
  const carried = Object.keys(processors).sort();
  if (canonicalJson(expected) !== canonicalJson(carried)) {
    throw invalid(`it carries processors [${carried.join(', ')}] but its journey uses [${expected.join(', ')}]`, { member: 'processors', expected, carried });
  }
  const files = stringRecord(value.files, 'files', (path, hash) =>
    !safeRelativePath(path) ? 'is not a relative path inside the version folder' : HEX_SHA256.test(hash) ? null : 'must be a sha256 in lower-case hex',
  );
  const actual = bundleContentHash({ name, version, journey, processors, files });
  if (actual !== contentHash) {
    throw invalid(`its content does not match its contentHash (declared ${contentHash}, content hashes to ${actual}): it was changed after packing`, {
      member: 'contentHash',
      declared: contentHash,
      actual,
    });
  }
  return { format: BUNDLE_FORMAT, name, version, journey, processors, files, engineVersion, contentHash };
}

/**
 * The source paths that differ between two bundles' `files`: added, removed or changed, sorted.
 * Empty when both were packed from the same sources.
 */
export function diffBundleFiles(a: Pick<VersionBundle, 'files'>, b: Pick<VersionBundle, 'files'>): string[] {
  const paths = new Set([...Object.keys(a.files), ...Object.keys(b.files)]);
  return [...paths].filter((path) => a.files[path] !== b.files[path]).sort();
}
