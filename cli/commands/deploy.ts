import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isJourneyError } from '../../common/index.js';
import { packVersion, readBundleFile, serializeBundle } from '../../dsl/index.js';
import type { VersionBundle } from '../../dsl/index.js';
import type { DeployResult, DeploymentRecord, DrainReportEntry } from '../../engine/index.js';
import { ApiFailure, ApiRefusal, apiTarget, callApi, describeRefusal, typePath } from '../api-client.js';
import type { ApiTarget } from '../api-client.js';
import type { CliCommand } from '../command.js';
import { EXIT, UsageError, withUsage } from '../command.js';
import { readImageBundle } from '../image-bundle.js';
import { createProgress } from '../progress.js';
import type { Progress } from '../progress.js';
import { DockerCommandError } from '../version-image.js';

const HELP = `Usage: journey deploy <version dir | bundle file | image ref> --url <api> [--token <jwt>] [--wait-ms <ms>]

Deploys one journey version to a running cluster, no restart: every node accepts its events within
seconds, and nodes that host every deployed version handle them. The version is given as its
source folder (packed first, as journey pack does), as a bundle file (*.bundle.json), or as a
version image (journey pack --image): its bundle is read out of the image with docker create and
docker cp, so what is deployed is what the image runs.

The node checks a new version against every deployed version of its type in the compatibility
mode the newer one declares, and each "uplift from" it declares; it refuses the version naming
the JSON pointers at fault. A version already deployed with the same content changes nothing;
with other content it is refused, naming the files that differ.

  --url <api>       the API of any node (default $JOURNEY_API_URL), e.g. http://127.0.0.1:3000
  --token <jwt>     a bearer token with the operator role (default $JOURNEY_API_TOKEN); without
                    one the dev-mode headers name the operator (a node in AUTH_MODE=dev)
  --wait-ms <ms>    how long to wait for a live node to host the version (default 30000; 0: do
                    not wait). A version no node hosts is deployed all the same: its events are
                    accepted and wait until a node that hosts it starts

Progress goes to standard error (pack, check, upload, wait): a bar on a terminal, plain lines
otherwise. Docker is the CLI in $JE_DOCKER_CLI, else docker on PATH.
Exit codes: 0 deployed (or unchanged), 1 refused (invalid, incompatible, conflicting, not an
operator) or the version does not compile, 2 wrong command line, 3 the API or docker failed.`;

const STEPS = 4;
const POLL_MS = 500;

/** What `journey deploy` was given, told apart by what is on disk. */
async function kindOf(source: string): Promise<'dir' | 'file' | 'image'> {
  const found = await stat(source).catch(() => null);
  if (found?.isDirectory()) return 'dir';
  if (found?.isFile()) return 'file';
  // A path that is not there is a typo, not an image reference.
  if (/^[./~]/.test(source) || source.endsWith('.json')) throw new UsageError(`no such folder or file: ${source}`);
  return 'image';
}

async function loadBundle(source: string, progress: Progress): Promise<VersionBundle> {
  const kind = await kindOf(source);
  progress.update(0, STEPS, kind === 'dir' ? `packing ${source}` : kind === 'file' ? `reading ${source}` : `reading the bundle of image ${source}`);
  if (kind === 'dir') return packVersion(source, { onProgress: ({ message }) => progress.update(0, STEPS, message) });
  if (kind === 'file') return readBundleFile(source);
  return readImageBundle(source, { onLine: (line) => progress.note(line) });
}

/** Which versions of the type the node will check it against, and whether this one is there already. */
async function preview(target: ApiTarget, bundle: VersionBundle): Promise<string> {
  let records: DeploymentRecord[];
  try {
    records = (await callApi<{ items: DeploymentRecord[] }>(target, 'GET', `/deployments/${typePath(bundle.name)}`)).body.items;
  } catch (error) {
    if (error instanceof ApiRefusal && error.code === 'JE_JOURNEY_TYPE_UNKNOWN') return `${bundle.name} is new to the cluster`;
    throw error;
  }
  const same = records.find((record) => record.version === bundle.version);
  if (same) {
    if (same.undeployedAt !== null) return `${bundle.name} ${bundle.version} was undeployed; the node will refuse it`;
    return same.contentHash === bundle.contentHash
      ? `${bundle.version} is deployed with this content already`
      : `${bundle.version} is deployed; the node compares its content`;
  }
  const deployed = records.filter((record) => record.undeployedAt === null).map((record) => record.version);
  return deployed.length === 0 ? `no version of ${bundle.name} is deployed` : `to be checked against ${deployed.join(', ')}`;
}

/** Until a live node hosts the version, or `waitMs` passes; the hosts, or null when none appeared. */
async function awaitHosts(target: ApiTarget, bundle: VersionBundle, waitMs: number): Promise<string[] | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { body } = await callApi<{ versions: DrainReportEntry[] }>(target, 'GET', '/deployments?instances=true');
    const hosts = body.versions.find((entry) => entry.journeyType === bundle.name && entry.version === bundle.version)?.hosts ?? [];
    if (hosts.length > 0) return hosts;
    if (Date.now() >= deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
  }
}

/** `journey deploy`, with the API reached through `fetchImpl` (tests) or the global fetch. */
export function createDeployCommand(fetchImpl?: typeof fetch): CliCommand {
  async function run(args: string[]): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { url: { type: 'string' }, token: { type: 'string' }, 'wait-ms': { type: 'string' } },
    });
    const [source, ...extra] = positionals;
    if (source === undefined || extra.length > 0)
      throw new UsageError(source === undefined ? 'expected a version folder, bundle file or image' : `expected one version, got also ${extra.join(' ')}`);
    const waitText = values['wait-ms'] ?? '30000';
    if (!/^\d{1,7}$/.test(waitText)) throw new UsageError(`--wait-ms must be a whole number of milliseconds, got '${waitText}'`);
    const target = apiTarget(values, fetchImpl);

    const progress = createProgress('deploy');
    try {
      const bundle = await loadBundle(source, progress);
      const label = `${bundle.name} ${bundle.version}`;
      progress.update(1, STEPS, `${label} (sha256 ${bundle.contentHash.slice(0, 12)})`);
      progress.update(2, STEPS, `checked ${label}: ${await preview(target, bundle)}`);
      const { status, body: result } = await callApi<DeployResult>(target, 'POST', '/deployments', serializeBundle(bundle));
      const checked = result.checkedAgainst.length === 0 ? '' : `, compatible (${result.compatibility}) with ${result.checkedAgainst.join(', ')}`;
      const uplifts = result.upliftsChecked.length === 0 ? '' : `, uplift from ${result.upliftsChecked.join(', ')} checked`;
      progress.update(3, STEPS, `${status === 201 ? 'deployed' : 'already deployed'} ${label} in lane ${result.laneNo}${checked}${uplifts}`);
      for (const warning of result.warnings) progress.note(`warning: ${warning}`);
      const waitMs = Number(waitText);
      const hosts = waitMs === 0 ? null : await awaitHosts(target, bundle, waitMs);
      progress.update(4, STEPS, hosts ? `hosted by ${hosts.join(', ')}` : 'no node hosts it yet');
      const where = hosts
        ? `hosted by ${hosts.join(', ')}`
        : waitMs === 0
          ? 'not waited for a host'
          : `no live node hosts it yet: its events are accepted and wait until a node that hosts it starts`;
      progress.finish(`${status === 201 ? 'deployed' : 'unchanged:'} ${label} (lane ${result.laneNo}, sha256 ${result.contentHash}); ${where}`);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof ApiRefusal) {
        progress.finish('journey deploy: refused');
        for (const line of describeRefusal(error)) console.error(line);
        return EXIT.invalidInput;
      }
      if (isJourneyError(error, 'JE_DSL_COMPILE') || isJourneyError(error, 'JE_BUNDLE_INVALID')) {
        progress.finish('journey deploy: nothing deployed');
        console.error(error.message);
        return EXIT.invalidInput;
      }
      if (error instanceof ApiFailure || error instanceof DockerCommandError) {
        progress.finish(`journey deploy: ${error.message}`);
        return EXIT.failure;
      }
      throw error;
    }
  }
  return {
    name: 'deploy',
    summary: 'Deploy a journey version (folder, bundle or image) to a running cluster',
    help: HELP,
    run: withUsage('deploy', HELP, run),
  };
}

/** `journey deploy <dir|bundle|image> --url <api>`. */
export const deployCommand = createDeployCommand();
