/**
 * Reading the version bundle out of a version image (docker/Dockerfile.version), so `journey
 * deploy <image ref>` deploys exactly what the image runs. No container is started: `docker
 * create` (which pulls the image when it is not here), `docker cp` of the folder JOURNEYS_DIR
 * names in the image, then `docker rm`.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_FILE_SUFFIX, readBundleFile } from '../dsl/index.js';
import type { VersionBundle } from '../dsl/index.js';
import { DockerCommandError, dockerCli, runDocker } from './version-image.js';

/** Where docker/Dockerfile.version puts the bundle when the image does not say (JOURNEYS_DIR). */
export const VERSION_IMAGE_BUNDLE_DIR = '/app/versions';

/** The image's JOURNEYS_DIR, from the created container's environment. */
function journeysDir(envJson: string): string {
  try {
    const env = JSON.parse(envJson) as unknown;
    if (Array.isArray(env)) {
      for (const entry of env) if (typeof entry === 'string' && entry.startsWith('JOURNEYS_DIR=')) return entry.slice('JOURNEYS_DIR='.length);
    }
  } catch {
    // Not JSON: the default place.
  }
  return VERSION_IMAGE_BUNDLE_DIR;
}

/**
 * The one bundle a version image carries, verified (its content hash). Throws DockerCommandError
 * when docker fails, and when the image holds no bundle or more than one.
 */
export async function readImageBundle(ref: string, options: { docker?: string; onLine?: (line: string) => void } = {}): Promise<VersionBundle> {
  const docker = dockerCli(options.docker);
  // Pull progress comes on the same lines; the container id is the line that is one.
  const created = await runDocker(docker, ['create', ref], options.onLine);
  const container = created
    .map((line) => line.trim())
    .filter((line) => /^[0-9a-f]{64}$/.test(line))
    .pop();
  if (container === undefined) throw new DockerCommandError(`docker create ${ref} did not print a container id`);
  const scratch = await mkdtemp(join(tmpdir(), 'journey-image-bundle-'));
  try {
    const inspected = await runDocker(docker, ['container', 'inspect', '--format', '{{json .Config.Env}}', container]);
    const dir = journeysDir(inspected.join('\n'));
    await runDocker(docker, ['cp', `${container}:${dir}/.`, scratch], options.onLine);
    const bundles = (await readdir(scratch)).filter((name) => name.endsWith(BUNDLE_FILE_SUFFIX)).sort();
    if (bundles.length !== 1) {
      throw new DockerCommandError(
        `${ref} is not a version image: ${dir} holds ${bundles.length === 0 ? 'no bundle' : `${bundles.length} bundles (${bundles.join(', ')})`}; deploy one bundle at a time`,
      );
    }
    return await readBundleFile(join(scratch, bundles[0] ?? ''));
  } finally {
    await runDocker(docker, ['rm', container]).catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  }
}
