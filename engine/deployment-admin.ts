/**
 * Deploying and undeploying journey versions on a running cluster, and what operators read about
 * them (a type's history, the drain report). The store is the only shared record: a deploy is one
 * saved row, which every node learns within its deployment poll; this node learns it at once.
 */
import { createHash } from 'node:crypto';
import type { DeploymentSummary } from '../cache-store/index.js';
import { JourneyError, ensureError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { checkCompatibility, checkUplift, compatibilityOf, parseBundle, serializeBundle } from '../dsl/index.js';
import type { CompiledJourney, VersionBundle } from '../dsl/index.js';
import { compareVersions } from './deployment-registry.js';
import { maxLane } from './ids.js';
import type { JournalPort } from './ports.js';
import type { DeployResult, DeploymentRecord, DeploymentViolation, DrainReportEntry, InstanceCounts, UndeployResult } from './types.js';

/** Most violations one refusal lists (generated uplift samples can break the same pointer many times). */
const MAX_VIOLATIONS = 100;

/** What the admin needs of its node. */
export interface DeploymentAdminContext {
  journal: JournalPort;
  partitionCount: number;
  /** Re-reads the store's deployments into this node's registry: learns new versions, forgets undeployed ones. */
  refresh(): Promise<void>;
  /** The live nodes (incarnation ids) and the lanes each hosts; null when membership cannot be read. */
  membership(): Promise<Array<{ id: string; lanes: number[] }> | null>;
  logger: Logger;
}

/** A node's incarnation id is `<nodeId>:<8 hex digits>`; operators know the node id. */
function nodeName(incarnation: string): string {
  return incarnation.replace(/:[0-9a-f]{8}$/, '');
}

function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

function unknownVersion(journeyType: string, version: string): JourneyError {
  return new JourneyError('JE_JOURNEY_TYPE_UNKNOWN', `journey ${journeyType} ${version} was never deployed`, { details: { journeyType, version } });
}

export class DeploymentAdmin {
  constructor(private readonly context: DeploymentAdminContext) {}

  /**
   * Parses and verifies the bundle; a version new to the store is checked against every deployed
   * (not undeployed) version of its type — all of them, not only those with live instances: a
   * deployed version can start instances at any moment — in the newer one's compatibility mode,
   * and each `uplift from` it declares is checked on generated samples. Then it is saved (the same
   * content again changes nothing; other content under that version is refused by the store).
   */
  async deploy(input: unknown): Promise<DeployResult> {
    const bundle = parseBundle(input);
    const { journal } = this.context;
    const records = (await journal.listDeployments()).filter((record) => record.name === bundle.name);
    const checks = records.some((record) => record.version === bundle.version)
      ? { checkedAgainst: [], upliftsChecked: [], warnings: [] }
      : await this.check(bundle, records);

    const { journey } = bundle;
    // Before the save: a search field that clashes with another type's refuses the deploy with
    // nothing recorded.
    await journal.ensureSearchColumns(journey.searchFields);
    const ir = JSON.stringify(journey);
    const compatibility = compatibilityOf(journey);
    const saved = await journal.saveDeployment({
      name: bundle.name,
      version: bundle.version,
      ir,
      irHash: createHash('sha256').update(ir).digest('hex'),
      contentHash: bundle.contentHash,
      bundle: serializeBundle(bundle),
      compatibility,
      maxLane: maxLane(this.context.partitionCount),
    });
    // This node accepts its events at once; the others within their deployment poll.
    await this.context
      .refresh()
      .catch((error: unknown) => this.context.logger.warn({ err: ensureError(error) }, 'deployed, but not yet learned here; the deployment poll retries'));
    this.context.logger.info({ version: `${bundle.name}@${bundle.version}`, laneNo: saved.laneNo, created: saved.created }, 'version deployed');
    return {
      journeyType: bundle.name,
      version: bundle.version,
      created: saved.created,
      laneNo: saved.laneNo,
      contentHash: bundle.contentHash,
      compatibility,
      ...checks,
    };
  }

  private async check(bundle: VersionBundle, records: DeploymentSummary[]): Promise<Pick<DeployResult, 'checkedAgainst' | 'upliftsChecked' | 'warnings'>> {
    const { journey } = bundle;
    const violations: DeploymentViolation[] = [];
    const seen = new Set<string>();
    const add = (violation: DeploymentViolation): void => {
      const key = JSON.stringify(violation);
      if (seen.has(key)) return;
      seen.add(key);
      violations.push(violation);
    };
    const compared = new Map<string, CompiledJourney>();
    for (const record of records) {
      if (record.undeployedAt !== null) continue;
      const other = await this.definition(bundle.name, record.version);
      if (!other) continue;
      compared.set(record.version, other);
      // The newer of the two decides the mode, also when an older version number is deployed late.
      const [older, newer] = compareVersions(record.version, bundle.version) < 0 ? [other, journey] : [journey, other];
      for (const violation of checkCompatibility(older, newer)) add({ against: record.version, check: 'compatibility', ...violation });
    }
    const upliftsChecked: string[] = [];
    const warnings: string[] = [];
    for (const { from } of journey.uplifts ?? []) {
      const older = compared.get(from) ?? (await this.definition(bundle.name, from));
      if (!older) {
        warnings.push(`uplift from ${from} not checked: ${bundle.name} ${from} was never deployed to this store`);
        continue;
      }
      upliftsChecked.push(from);
      for (const finding of checkUplift(older, journey)) {
        if (finding.kind === 'compatibility') {
          // Already reported above when that version is deployed.
          if (!compared.has(from)) add({ against: from, check: 'compatibility', ...finding.violation });
        } else if (finding.kind === 'uplift') {
          for (const violation of finding.violations) {
            add({
              against: from,
              check: 'uplift',
              schema: 'data',
              pointer: violation.pointer,
              message: `${finding.origin === 'given' ? 'an instance' : 'a generated instance'} of ${from} does not become valid ${bundle.version} data: ${violation.message}`,
            });
          }
        } else {
          warnings.push(finding.message);
        }
      }
    }
    if (violations.length > 0) {
      const shown = violations
        .slice(0, 3)
        .map((v) => `against ${v.against}: ${v.schema} ${v.pointer || '/'} ${v.message}`)
        .join('; ');
      throw new JourneyError(
        'JE_DEPLOYMENT_INCOMPATIBLE',
        `${bundle.name}@${bundle.version} is refused (compatibility ${compatibilityOf(journey)}): ${shown}${violations.length > 3 ? `; and ${violations.length - 3} more` : ''}`,
        {
          details: {
            journeyType: bundle.name,
            version: bundle.version,
            compatibility: compatibilityOf(journey),
            violations: violations.slice(0, MAX_VIOLATIONS),
            ...(violations.length > MAX_VIOLATIONS ? { omitted: violations.length - MAX_VIOLATIONS } : {}),
          },
        },
      );
    }
    return { checkedAgainst: [...compared.keys()], upliftsChecked, warnings };
  }

  private async definition(name: string, version: string): Promise<CompiledJourney | undefined> {
    const deployment = await this.context.journal.loadDeployment(name, version);
    return deployment ? (JSON.parse(deployment.ir) as CompiledJourney) : undefined;
  }

  /**
   * Undeploys a version that has no pending or active instance (failed ones stay readable). Its
   * lane is never given again, and a version is never deployed again under that number.
   */
  async undeploy(journeyType: string, version: string): Promise<UndeployResult> {
    const { journal } = this.context;
    const record = (await journal.listDeployments()).find((d) => d.name === journeyType && d.version === version);
    if (!record) throw unknownVersion(journeyType, version);
    if (record.undeployedAt !== null) return { journeyType, version, changed: false, undeployedAt: iso(record.undeployedAt) };
    const instances = countsOf(await journal.countInstances(journeyType), version);
    if (instances.pending + instances.active > 0) {
      throw new JourneyError(
        'JE_DEPLOYMENT_IN_USE',
        `${journeyType}@${version} still has ${instances.pending} pending and ${instances.active} active instances; uplift them or let them finish first`,
        { details: { journeyType, version, instances } },
      );
    }
    const changed = await journal.markUndeployed(journeyType, version);
    await this.context
      .refresh()
      .catch((error: unknown) => this.context.logger.warn({ err: ensureError(error) }, 'undeployed, but not yet forgotten here; the deployment poll retries'));
    const after = (await journal.listDeployments()).find((d) => d.name === journeyType && d.version === version);
    this.context.logger.info({ version: `${journeyType}@${version}`, changed }, 'version undeployed');
    return { journeyType, version, changed, undeployedAt: iso(after?.undeployedAt ?? new Date()) };
  }

  /** Every version of the type ever deployed, in the order they were deployed. */
  async history(journeyType: string): Promise<DeploymentRecord[]> {
    const [records, members] = await Promise.all([this.context.journal.listDeployments(), this.context.membership()]);
    const mine = records.filter((record) => record.name === journeyType);
    if (mine.length === 0) {
      throw new JourneyError('JE_JOURNEY_TYPE_UNKNOWN', `no version of journey ${journeyType} was ever deployed`, { details: { journeyType } });
    }
    return mine.map((record) => recordOf(record, members));
  }

  /** Every version of every type, with its instances by lifecycle and whether it can be retired. */
  async drainReport(): Promise<DrainReportEntry[]> {
    const [records, counts, members] = await Promise.all([
      this.context.journal.listDeployments(),
      this.context.journal.countInstances(),
      this.context.membership(),
    ]);
    const sorted = [...records].sort((a, b) => a.name.localeCompare(b.name) || compareVersions(a.version, b.version));
    return sorted.map((record) => {
      const instances = countsOf(
        counts.filter((c) => c.typeName === record.name),
        record.version,
      );
      const deployed = record.undeployedAt === null;
      const newerDeployed = sorted.some(
        (other) => other.name === record.name && other.undeployedAt === null && compareVersions(other.version, record.version) > 0,
      );
      return {
        ...recordOf(record, members),
        deployed,
        instances,
        retirable: deployed && instances.pending + instances.active === 0 && newerDeployed,
      };
    });
  }
}

function countsOf(rows: ReadonlyArray<{ version: string; lifecycle: string; count: number }>, version: string): InstanceCounts {
  const counts: InstanceCounts = { pending: 0, active: 0, failed: 0 };
  for (const row of rows) {
    if (row.version !== version) continue;
    if (row.lifecycle === 'pending' || row.lifecycle === 'active' || row.lifecycle === 'failed') counts[row.lifecycle] += row.count;
  }
  return counts;
}

function recordOf(record: DeploymentSummary, members: Array<{ id: string; lanes: number[] }> | null): DeploymentRecord {
  const hosts = members === null ? null : [...new Set(members.filter((m) => m.lanes.includes(record.laneNo)).map((m) => nodeName(m.id)))].sort();
  return {
    journeyType: record.name,
    version: record.version,
    laneNo: record.laneNo,
    contentHash: record.contentHash,
    irHash: record.irHash,
    compatibility: record.compatibility,
    deployedAt: iso(record.deployedAt),
    undeployedAt: record.undeployedAt === null ? null : iso(record.undeployedAt),
    hosts,
  };
}
