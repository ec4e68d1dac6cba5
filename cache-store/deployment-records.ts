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
  /** sha256 of the definition, 64 lower-case hex digits; decides "same" vs "changed". */
  irHash: string;
}

/** A deployed journey type version. */
export interface Deployment {
  name: string;
  version: string;
  /** The compiled definition as JSON text (parse it yourself). */
  ir: string;
  irHash: string;
  deployedAt: Date;
}

/** A deployment without its definition, for listings. */
export type DeploymentSummary = Omit<Deployment, 'ir'>;

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
  ir_hash: string;
  deployed_at: Date;
}

function fromRow(row: DeploymentRow): DeploymentSummary & { ir?: string } {
  return {
    name: row.type_name,
    version: row.type_version,
    ...(row.ir === undefined ? {} : { ir: row.ir }),
    irHash: row.ir_hash,
    deployedAt: row.deployed_at,
  };
}

/**
 * Records a journey type version. Versions are immutable: saving the same (name, version) with
 * the same `irHash` again is a no-op (`created: false`); with another hash it fails with
 * `JE_DEPLOYMENT_CONFLICT` (409) — deploy a new version instead. Safe under concurrent saves.
 */
export async function saveDeployment(executor: SqlExecutor, deployment: NewDeployment): Promise<{ created: boolean }> {
  validate(deployment);
  const { name, version, ir, irHash } = deployment;
  try {
    await executor.execute('INSERT INTO deployments (type_name, type_version, ir, ir_hash) VALUES (?, ?, ?, ?)', [name, version, ir, irHash]);
    return { created: true };
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw wrapStoreError(err, 'saveDeployment');
  }
  const existing = await executor.queryOne<{ ir_hash: string }>('SELECT ir_hash FROM deployments WHERE type_name = ? AND type_version = ?', [name, version]);
  if (existing === undefined) {
    // Only a unique key we do not know about could get here.
    throw new JourneyError('JE_INTERNAL', `deployment ${name}@${version} was refused as a duplicate but cannot be read back`);
  }
  if (existing.ir_hash === irHash) return { created: false };
  throw new JourneyError(
    'JE_DEPLOYMENT_CONFLICT',
    `${name}@${version} is already deployed with a different definition (hash ${existing.ir_hash}, new ${irHash}); versions are immutable, deploy a new version`,
    { details: { name, version, deployedHash: existing.ir_hash, newHash: irHash } },
  );
}

/** Lists every deployed version (without definitions), by name then deployment time. */
export async function listDeployments(executor: SqlExecutor): Promise<DeploymentSummary[]> {
  const rows = await executor.query<DeploymentRow>(
    'SELECT type_name, type_version, ir_hash, deployed_at FROM deployments ORDER BY type_name, deployed_at, type_version',
  );
  return rows.map((row) => {
    const { ir: _ir, ...summary } = fromRow(row);
    return summary;
  });
}

/** Loads one deployed version with its definition, or `undefined`. */
export async function loadDeployment(executor: SqlExecutor, name: string, version: string): Promise<Deployment | undefined> {
  const row = await executor.queryOne<DeploymentRow>(
    'SELECT type_name, type_version, ir, ir_hash, deployed_at FROM deployments WHERE type_name = ? AND type_version = ?',
    [name, version],
  );
  if (row === undefined) return undefined;
  const deployment = fromRow(row);
  return { ...deployment, ir: deployment.ir ?? '' };
}
