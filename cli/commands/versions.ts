import { parseArgs } from 'node:util';
import type { DrainReportEntry } from '../../engine/index.js';
import { apiTarget, callApi, withApiErrors } from '../api-client.js';
import type { CliCommand } from '../command.js';
import { EXIT, withUsage } from '../command.js';

const HELP = `Usage: journey versions --url <api> [--token <jwt>] [--json]

The drain report of a running cluster: every journey version ever deployed, its instances by
lifecycle (pending, active, failed), the live nodes that host it, and whether it can be retired
(deployed, no pending or active instance, and a newer version deployed: journey undeploy it).

  --url <api>       the API of any node (default $JOURNEY_API_URL)
  --token <jwt>     a bearer token (default $JOURNEY_API_TOKEN); without one the dev-mode headers
  --json            print the report as JSON (GET /deployments?instances=true, operator role)

Exit codes: 0 printed, 1 refused, 2 wrong command line, 3 the API failed.`;

const COLUMNS = ['TYPE', 'VERSION', 'STATE', 'PENDING', 'ACTIVE', 'FAILED', 'HOSTS', 'RETIRABLE'] as const;

/** The report as an aligned table, one version a line, and the versions that can be retired. */
export function formatDrainReport(versions: readonly DrainReportEntry[]): string {
  if (versions.length === 0) return 'No journey version was ever deployed.';
  const rows = versions.map((v) => [
    v.journeyType,
    v.version,
    v.deployed ? 'deployed' : 'undeployed',
    String(v.instances.pending),
    String(v.instances.active),
    String(v.instances.failed),
    v.hosts === null ? '?' : v.hosts.length === 0 ? '-' : v.hosts.join(','),
    v.retirable ? 'yes' : 'no',
  ]);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const lines = [line(COLUMNS), ...rows.map(line)];
  const retirable = versions.filter((v) => v.retirable);
  if (retirable.length > 0)
    lines.push('', `Retirable: ${retirable.map((v) => `${v.journeyType} ${v.version}`).join(', ')} (journey undeploy <type> <version>)`);
  if (versions.some((v) => v.hosts === null)) lines.push('', 'HOSTS ? : the node could not read the cluster membership (grid unreachable).');
  return lines.join('\n');
}

/** `journey versions`, with the API reached through `fetchImpl` (tests) or the global fetch. */
export function createVersionsCommand(fetchImpl?: typeof fetch): CliCommand {
  async function run(args: string[]): Promise<number> {
    const { values } = parseArgs({
      args,
      strict: true,
      options: { url: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean', default: false } },
    });
    const target = apiTarget(values, fetchImpl);
    return withApiErrors('versions', async () => {
      const { body } = await callApi<{ versions: DrainReportEntry[] }>(target, 'GET', '/deployments?instances=true');
      console.log(values.json ? JSON.stringify(body, null, 2) : formatDrainReport(body.versions));
      return EXIT.ok;
    });
  }
  return {
    name: 'versions',
    summary: 'Show every deployed version, its live instances, and which can be retired',
    help: HELP,
    run: withUsage('versions', HELP, run),
  };
}

/** `journey versions --url <api>`. */
export const versionsCommand = createVersionsCommand();
