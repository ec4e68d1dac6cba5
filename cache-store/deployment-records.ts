import { JourneyError } from '../common/index.js';
import { isDuplicateKeyError, wrapStoreError } from './store-errors.js';
import type { SqlExecutor } from './store-types.js';

/** A journey type version to deploy. */
export interface NewDeployment {
  /** Journey type name (at most 200 characters). */
  name: string;
  /** Version label (at most 32 characters). */
  version: string;
  /** The compiled definition as JSON text. */
  ir: string;
  /** sha256 of the definition, 64 lower-case hex digits; decides "same" vs "changed" without a bundle. */
  irHash: string;
  /** sha256 of the version bundle (sources and processor code); decides "same" vs "changed" when given. */
  contentHash?: string;
  /** The version bundle as JSON text: nodes that host every deployed version load it from here. */
  bundle?: string;
  /** The type's compatibility mode as the version declares it. */
  compatibility?: string;
  /** The highest lane the store may give (lanes × partitions must fit the slot column). */
  maxLane: number;
}

/** A deployed journey type version. */
export interface Deployment {
  name: string;
  version: string;
  /** The compiled definition as JSON text (parse it yourself). */
  ir: string;
  irHash: string;
  /** Its journeys live in slots `laneNo * partitions + (hash % partitions)`. */
  laneNo: number;
  contentHash: string | null;
  /** The bundle JSON text, when deployed as one. */
  bundle: string | null;
  compatibility: string | null;
  deployedAt: Date;
  /** When it was undeployed (its lane is never given again), else null. */
  undeployedAt: Date | null;
}

/** A deployment without its definition or bundle, for listings. */
export type DeploymentSummary = Omit<Deployment, 'ir' | 'bundle'>;

/** What saving a deployment did: `created` false when that version was already deployed the same. */
export interface SavedDeployment {
  created: boolean;
  laneNo: number;
}

const IR_HASH = /^[0-9a-f]{64}$/;

function badRequest(message: string, details: Record<string, unknown>): JourneyError {
  return new JourneyError('JE_BAD_REQUEST', message, { details });
}

function validate(deployment: NewDeployment): void {
  const { name, version, ir, irHash } = deployment;
  if (typeof name !== 'string' || name.length < 1 || name.length > 200) {
    throw badRequest('deployment name must be 1 to 200 characters', { field: 'name' });
  }
  if (typeof version !== 'string' || version.length < 1 || version.length > 32) {
    throw badRequest('deployment version must be 1 to 32 characters', { field: 'version', name });
  }
  if (typeof irHash !== 'string' || !IR_HASH.test(irHash)) {
    throw badRequest('deployment irHash must be 64 lower-case hex digits (sha256)', { field: 'irHash', name, version });
  }
  if (typeof ir !== 'string') throw badRequest('deployment ir must be JSON text', { field: 'ir', name, version });
  try {
    JSON.parse(ir);
  } catch (err) {
    throw new JourneyError('JE_BAD_REQUEST', 'deployment ir is not valid JSON', { cause: err, details: { field: 'ir', name, version } });
  }
}

interface DeploymentRow {
  type_name: string;
  type_version: string;
  ir?: string;
  bundle?: string | null;
  ir_hash: string;
  lane_no: number | null;
  content_hash: string | null;
  compatibility: string | null;
  deployed_at: Date;
  undeployed_at: Date | null;
}

const SUMMARY_COLUMNS = 'type_name, type_version, ir_hash, lane_no, content_hash, compatibility, deployed_at, undeployed_at';

function summaryOf(row: DeploymentRow): DeploymentSummary {
  return {
    name: row.type_name,
    version: row.type_version,
    irHash: row.ir_hash,
    laneNo: Number(row.lane_no ?? 0),
    contentHash: row.content_hash,
    compatibility: row.compatibility,
    deployedAt: row.deployed_at,
    undeployedAt: row.undeployed_at,
  };
}

/** The files two bundles (JSON texts) differ in, when both carry a `files` map of path → hash. */
function differingFiles(a: string | null | undefined, b: string | null | undefined): string[] | undefined {
  const files = (text: string | null | undefined): Record<string, string> | undefined => {
    if (!text) return undefined;
    try {
      const parsed = JSON.parse(text) as { files?: unknown };
      return parsed.files && typeof parsed.files === 'object' ? (parsed.files as Record<string, string>) : undefined;
    } catch {
      return undefined;
    }
  };
  const before = files(a);
  const after = files(b);
  if (!before || !after) return undefined;
  const paths = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...paths].filter((path) => before[path] !== after[path]).sort();
}

/**
 * Records a journey type version and gives it a lane. Versions are immutable: saving the same
 * (name, version) with the same content again is a no-op (`created: false`); with other content
 * it fails with `JE_DEPLOYMENT_CONFLICT` (409), naming the files that differ when both sides are
 * bundles — deploy a new version instead. Safe under concurrent saves (a lane taken by another
 * version at the same moment is drawn again).
 */
export async function saveDeployment(executor: SqlExecutor, deployment: NewDeployment): Promise<SavedDeployment> {
  validate(deployment);
  const { name, version, ir, irHash } = deployment;
  for (let attempt = 0; ; attempt++) {
    const existing = await executor.queryOne<DeploymentRow>(`SELECT ${SUMMARY_COLUMNS}, bundle FROM deployments WHERE type_name = ? AND type_version = ?`, [
      name,
      version,
    ]);
    if (existing !== undefined) return sameOrConflict(existing, deployment);
    const next = await executor.queryOne<{ lane: number | bigint }>('SELECT COALESCE(MAX(lane_no), 0) + 1 AS lane FROM deployments');
    const laneNo = Number(next?.lane ?? 1);
    if (laneNo > deployment.maxLane) {
      throw new JourneyError('JE_DEPLOYMENT_LIMIT', `no lane is left for ${name}@${version}: ${deployment.maxLane} versions were deployed to this store`, {
        details: { name, version, maxLane: deployment.maxLane },
      });
    }
    try {
      await executor.execute(
        `INSERT INTO deployments (type_name, type_version, ir, ir_hash, lane_no, content_hash, bundle, compatibility) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [name, version, ir, irHash, laneNo, deployment.contentHash ?? null, deployment.bundle ?? null, deployment.compatibility ?? null],
      );
      return { created: true, laneNo };
    } catch (err) {
      // The version was saved by another node meanwhile, or the lane was given to another one.
      if (!isDuplicateKeyError(err) || attempt >= 20) throw wrapStoreError(err, 'saveDeployment');
    }
  }
}

function sameOrConflict(existing: DeploymentRow, deployment: NewDeployment): SavedDeployment {
  const { name, version } = deployment;
  const laneNo = Number(existing.lane_no ?? 0);
  if (existing.undeployed_at !== null) {
    throw new JourneyError('JE_DEPLOYMENT_CONFLICT', `${name}@${version} was undeployed; a version is never deployed again, deploy a new one`, {
      details: { name, version, undeployedAt: existing.undeployed_at },
    });
  }
  const bothBundles = existing.content_hash !== null && deployment.contentHash !== undefined;
  // Bundles are the same version when their sources are (a newer engine may compile the same
  // sources into other bytes); without sources to compare, their hashes decide.
  const files = bothBundles ? differingFiles(existing.bundle, deployment.bundle) : undefined;
  const same =
    files !== undefined ? files.length === 0 : bothBundles ? existing.content_hash === deployment.contentHash : existing.ir_hash === deployment.irHash;
  if (same) return { created: false, laneNo };
  const what =
    files && files.length > 0
      ? `files that differ: ${files.join(', ')}`
      : `hash ${existing.content_hash ?? existing.ir_hash}, new ${deployment.contentHash ?? deployment.irHash}`;
  throw new JourneyError(
    'JE_DEPLOYMENT_CONFLICT',
    `${name}@${version} is already deployed with different content (${what}); versions are immutable, deploy a new version`,
    {
      details: {
        name,
        version,
        deployedHash: existing.content_hash ?? existing.ir_hash,
        newHash: deployment.contentHash ?? deployment.irHash,
        ...(files ? { files } : {}),
      },
    },
  );
}

/** Lists every deployed version (without definitions), by name then deployment time; undeployed ones too. */
export async function listDeployments(executor: SqlExecutor): Promise<DeploymentSummary[]> {
  const rows = await executor.query<DeploymentRow>(`SELECT ${SUMMARY_COLUMNS} FROM deployments ORDER BY type_name, deployed_at, type_version`);
  return rows.map(summaryOf);
}

/** Loads one deployed version with its definition and bundle, or `undefined`. */
export async function loadDeployment(executor: SqlExecutor, name: string, version: string): Promise<Deployment | undefined> {
  const row = await executor.queryOne<DeploymentRow>(`SELECT ${SUMMARY_COLUMNS}, ir, bundle FROM deployments WHERE type_name = ? AND type_version = ?`, [
    name,
    version,
  ]);
  if (row === undefined) return undefined;
  return { ...summaryOf(row), ir: row.ir ?? '', bundle: row.bundle ?? null };
}

/** Marks a version undeployed (its lane is never given again); false if it was not deployed. */
export async function markUndeployed(executor: SqlExecutor, name: string, version: string): Promise<boolean> {
  const result = await executor.execute('UPDATE deployments SET undeployed_at = NOW(6) WHERE type_name = ? AND type_version = ? AND undeployed_at IS NULL', [
    name,
    version,
  ]);
  return Number((result as { affectedRows?: number }).affectedRows ?? 0) > 0;
}
