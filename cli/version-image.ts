/**
 * Building and pushing a version image (docker/Dockerfile.version) with the Docker CLI: the build
 * context is a fresh folder holding the bundle alone, so the image adds exactly that one file to
 * the engine base image.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bundleFileName } from '../dsl/index.js';
import type { VersionBundle } from '../dsl/index.js';

export interface VersionImageOptions {
  /** The image reference to tag, e.g. `127.0.0.1:5000/pfm-wallet:1.0`. */
  ref: string;
  /** The engine base image. @defaultValue `journey-engine:<bundle.engineVersion>` */
  base?: string;
  /** The Docker CLI. @defaultValue `$JE_DOCKER_CLI`, else `docker` on PATH */
  docker?: string;
  /** Each line docker prints. */
  onLine?: (line: string) => void;
}

/** A docker command that failed; the message ends with the last lines it printed. */
export class DockerCommandError extends Error {
  override name = 'DockerCommandError';
}

/** The engine's package root (where docker/ is), from this module in the sources or in dist/. */
async function packageRoot(): Promise<string> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (manifest.name === 'journey-engine') return dir;
    } catch {
      // Not here: look further up.
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the journey-engine package (docker/Dockerfile.version)');
    dir = parent;
  }
}

export function dockerCli(explicit?: string): string {
  return explicit ?? process.env.JE_DOCKER_CLI ?? 'docker';
}

/** Runs the Docker CLI, streaming its output lines; resolves with them, rejects when it fails. */
export function runDocker(docker: string, args: string[], onLine?: (line: string) => void): Promise<string[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(docker, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const collect = (line: string): void => {
      lines.push(line);
      if (lines.length > 400) lines.shift();
      onLine?.(line);
    };
    createInterface({ input: child.stdout }).on('line', collect);
    createInterface({ input: child.stderr }).on('line', collect);
    child.on('error', (error) => reject(new DockerCommandError(`cannot run ${docker}: ${error.message}`, { cause: error })));
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise(lines);
      else reject(new DockerCommandError(`${docker} ${args[0] ?? ''} failed (${signal ?? `exit ${code}`}):\n${lines.slice(-15).join('\n')}`));
    });
  });
}

/**
 * Builds the version image of `bundle` (whose file bytes are `bundleText`) and tags it `ref`.
 * Resolves with the image id.
 */
export async function buildVersionImage(bundle: VersionBundle, bundleText: string, options: VersionImageOptions): Promise<string> {
  const docker = dockerCli(options.docker);
  const context = await mkdtemp(join(tmpdir(), 'journey-image-'));
  try {
    await writeFile(join(context, bundleFileName(bundle)), bundleText);
    await copyFile(join(await packageRoot(), 'docker', 'Dockerfile.version'), join(context, 'Dockerfile'));
    const base = options.base ?? `journey-engine:${bundle.engineVersion}`;
    const args = ['build', '-f', join(context, 'Dockerfile'), '-t', options.ref, '--build-arg', `BASE_IMAGE=${base}`];
    for (const [name, value] of [
      ['JOURNEY_TYPE', bundle.name],
      ['JOURNEY_VERSION', bundle.version],
      ['CONTENT_HASH', bundle.contentHash],
    ] as const) {
      args.push('--build-arg', `${name}=${value}`);
    }
    await runDocker(docker, [...args, context], options.onLine);
    const [id] = await runDocker(docker, ['image', 'inspect', '--format', '{{.Id}}', options.ref]);
    return id ?? '';
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/** Pushes `ref`; resolves with the digest docker reports (empty when it reports none). */
export async function pushImage(ref: string, options: Pick<VersionImageOptions, 'docker' | 'onLine'> = {}): Promise<string> {
  const lines = await runDocker(dockerCli(options.docker), ['push', ref], options.onLine);
  const digest = lines.map((line) => /digest: (sha256:[0-9a-f]{64})/.exec(line)?.[1]).find((found) => found !== undefined);
  return digest ?? '';
}
