// What the docker tests need from the machine: a Docker engine that answers, the base images
// scripts/docker-env.sh makes without Docker Hub, and (for the push test) the loopback registry.
// When the engine is missing the tests are skipped with the reason printed — never faked.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Docker CLI the tests use: Debian's (matching the daemon, with BuildKit secrets) when set up. */
export const DOCKER = process.env.JE_DOCKER_CLI ?? 'docker';

/** The loopback registry, e.g. `127.0.0.1:5000` (set by scripts/docker-env.sh), or undefined. */
export const REGISTRY = process.env.JE_REGISTRY;

/** The repository root, the base image's build context unless JE_DOCKER_BUILD_CONTEXT names another checkout. */
export const BUILD_CONTEXT = process.env.JE_DOCKER_BUILD_CONTEXT ?? resolve(import.meta.dirname, '../..');

/** The system CA bundle, handed to npm inside the build as a BuildKit secret where HTTPS goes through a proxy. */
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** The images the Dockerfiles start FROM, as scripts/docker-env.sh tags them. */
export const FROM_IMAGES = ['node:22-bookworm-slim', 'debian:bookworm-slim'] as const;

export interface DockerStatus {
  available: boolean;
  /** Why the docker tests are skipped (when not available). */
  reason: string;
}

/** Runs the Docker CLI; rejects with its standard error when it fails. */
export async function docker(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const { stdout } = await run(DOCKER, args, { timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env });
    return stdout.trim();
  } catch (thrown: unknown) {
    const failure = thrown as Error & { stderr?: string; stdout?: string };
    const output = `${failure.stdout ?? ''}\n${failure.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`${DOCKER} ${args.slice(0, 3).join(' ')} failed: ${output || failure.message}`, { cause: thrown });
  }
}

/** Whether the docker tests can run here, and if not, why. */
export async function dockerStatus(): Promise<DockerStatus> {
  const unavailable = process.env.JE_DOCKER_UNAVAILABLE;
  if (unavailable !== undefined && unavailable !== '') return { available: false, reason: unavailable };
  try {
    await docker(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 });
  } catch (thrown: unknown) {
    const why = thrown instanceof Error ? thrown.message.split('\n').slice(-1)[0] : String(thrown);
    return { available: false, reason: `no Docker engine answers (${why}); scripts/docker-env.sh up starts one` };
  }
  for (const image of FROM_IMAGES) {
    try {
      await docker(['image', 'inspect', '--format', '{{.Id}}', image], { timeoutMs: 15_000 });
    } catch {
      return { available: false, reason: `the base image ${image} is missing (no Docker Hub here); scripts/docker-env.sh up builds it` };
    }
  }
  return { available: true, reason: '' };
}

/**
 * Builds docker/Dockerfile (the engine base image) as `tag` with BuildKit, from BUILD_CONTEXT.
 * Never `--pull`: the FROM images are local. Layers are cached between runs.
 */
export async function buildBaseImage(tag: string): Promise<void> {
  const args = ['build', '-f', resolve(BUILD_CONTEXT, 'docker/Dockerfile'), '-t', tag, '--progress=plain'];
  if (existsSync(CA_BUNDLE)) args.push('--secret', `id=ca,src=${CA_BUNDLE}`);
  await docker([...args, BUILD_CONTEXT], { timeoutMs: 900_000, env: { ...process.env, DOCKER_BUILDKIT: '1' } });
}

/** A TCP port nothing listens on at the moment, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Polls a container's health until `healthy`; rejects with its last health log when it turns `unhealthy` or exits. */
export async function waitHealthy(container: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await docker(['inspect', '--format', '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', container]);
    if (last === 'running healthy') return;
    if (!last.startsWith('running') || last.endsWith('unhealthy')) break;
    await new Promise((done) => setTimeout(done, 500));
  }
  const logs = await docker(['logs', '--tail', '20', container]).catch(() => '');
  throw new Error(`container ${container.slice(0, 12)} is not healthy (${last}); its last log lines:\n${logs}`);
}
