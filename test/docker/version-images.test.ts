// The engine base image and a per-version image, built, pushed and run for real (shared/DOCKER.md):
// pfm/wallet 1.0 packed into its image with `journey pack --image`, pushed to the loopback
// registry and pulled back, and a worker container from it against MariaDB and a Redis on this
// machine. Without a Docker engine every test here is skipped, with the reason printed.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packCommand } from '../../cli/commands/pack.js';
import { findFreePortBase, startLocalStandalone } from '../../grid/index.js';
import type { LocalStandalone } from '../../grid/index.js';
import { engineVersion, packVersion, serializeBundle } from '../../dsl/index.js';
import { BUILD_CONTEXT, DOCKER, REGISTRY, buildBaseImage, docker, dockerStatus, freePort, waitHealthy } from '../support/docker.js';
import { mariadbAdmin, mariadbServerUrl } from '../support/services.js';

const execFileAsync = promisify(execFile);
const wallet = resolve(import.meta.dirname, '../../journeys/pfm/wallet/1.0');
const status = await dockerStatus();
const engineVersionNow = await engineVersion();
if (!status.available) console.warn(`docker tests skipped: ${status.reason}`);

/** How long each step took, printed at the end (CI keeps an eye on the docker tests' share). */
const timings: string[] = [];
async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  try {
    return await work();
  } finally {
    timings.push(`${what}: ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  }
}

describe.skipIf(!status.available)('version images', () => {
  const version = engineVersionNow;
  const base = `journey-engine:${version}`;
  const image = `journey-engine-test/pfm-wallet:1.0`;
  let scratch = '';
  let bundleText = '';
  let contentHash = '';

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'journey-docker-'));
    process.env.JE_DOCKER_CLI = DOCKER;
    console.log(`building ${base} from ${BUILD_CONTEXT} (cached layers are reused)`);
    await timed('base image build', () => buildBaseImage(base));
    const bundle = await packVersion(wallet);
    bundleText = serializeBundle(bundle);
    contentHash = bundle.contentHash;
  });

  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
    console.log(`docker test timings:\n  ${timings.join('\n  ')}`);
  });

  it('builds the engine base image: Node 22, a non-root user, tini as PID 1 and a health check', async () => {
    const config = JSON.parse(await docker(['image', 'inspect', '--format', '{{json .Config}}', base])) as {
      User: string;
      Entrypoint: string[];
      Healthcheck?: { Test: string[] };
      Env: string[];
      Labels: Record<string, string>;
    };
    expect(config.User).toBe('node');
    expect(config.Entrypoint.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    expect(config.Healthcheck?.Test.join(' ')).toContain('/health');
    expect(config.Env).toContain('JOURNEYS_DIR=/app/versions');
    expect(config.Labels['org.opencontainers.image.version']).toBe(version);
    expect(await docker(['run', '--rm', '--entrypoint', 'node', base, '--version'])).toMatch(/^v22\./);
    expect(await docker(['run', '--rm', '--entrypoint', 'ls', base, '-A', '/app/versions'])).toBe('');
  });

  it('builds the pfm/wallet 1.0 image with journey pack --image: the base plus exactly one bundle, labelled', async () => {
    const out = join(scratch, 'pfm-wallet-1.0.bundle.json');
    const code = await timed('journey pack --image', () => packCommand.run([wallet, '--out', out, '--image', image, '--base', base]));
    expect(code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(bundleText);
    const inspect = JSON.parse(await docker(['image', 'inspect', '--format', '{{json .}}', image])) as {
      Config: { Labels: Record<string, string>; Env: string[] };
      RootFS: { Layers: string[] };
    };
    expect(inspect.Config.Labels).toMatchObject({
      'io.journey-engine.journey.type': 'pfm/wallet',
      'io.journey-engine.journey.version': '1.0',
      'io.journey-engine.journey.content-hash': contentHash,
      'org.opencontainers.image.version': '1.0',
    });
    expect(inspect.Config.Env).toEqual(expect.arrayContaining(['JOURNEYS_DIR=/app/versions', 'HOST_VERSIONS=carried']));
    const baseLayers = JSON.parse(await docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', base])) as string[];
    expect(inspect.RootFS.Layers.slice(0, baseLayers.length)).toEqual(baseLayers);
    expect(inspect.RootFS.Layers).toHaveLength(baseLayers.length + 1);
    expect(await docker(['run', '--rm', '--entrypoint', 'ls', image, '-A', '/app/versions'])).toBe('pfm-wallet-1.0.bundle.json');
    expect(await docker(['run', '--rm', '--entrypoint', 'cat', image, '/app/versions/pfm-wallet-1.0.bundle.json'])).toBe(bundleText.trim());
  });

  it.skipIf(REGISTRY === undefined)('pushes the version image to the loopback registry and pulls it back, labels intact', async () => {
    const remote = `${REGISTRY}/journey-engine-test/pfm-wallet:1.0-${contentHash.slice(0, 12)}`;
    await docker(['tag', image, remote]);
    await timed('push', () => docker(['push', remote], { timeoutMs: 600_000 }));
    // skopeo reads the manifest and config from the registry itself, without the daemon.
    const manifest = JSON.parse(await execText('skopeo', ['inspect', '--tls-verify=false', `docker://${remote}`])) as { Labels: Record<string, string> };
    expect(manifest.Labels).toMatchObject({ 'io.journey-engine.journey.type': 'pfm/wallet', 'io.journey-engine.journey.content-hash': contentHash });
    const id = await docker(['image', 'inspect', '--format', '{{.Id}}', image]);
    await docker(['rmi', remote]);
    await timed('pull', () => docker(['pull', remote], { timeoutMs: 600_000 }));
    expect(await docker(['image', 'inspect', '--format', '{{.Id}}', remote])).toBe(id);
    await docker(['rmi', remote]);
  });

  describe('a worker container from the version image', () => {
    let redis: LocalStandalone | undefined;
    let database = '';
    let container = '';
    let port = 0;

    beforeAll(async () => {
      redis = await startLocalStandalone({ dir: join(scratch, 'redis'), portBase: await findFreePortBase({ count: 1, cluster: false }) });
      database = `je_docker_${randomBytes(6).toString('hex')}`;
      const admin = await mariadbAdmin(mariadbServerUrl());
      try {
        await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      } finally {
        await admin.end();
      }
      port = await freePort();
      // Host networking: the container reaches MariaDB and Redis on this machine's loopback, and
      // its PORT is this machine's. The health check is polled every second instead of every 10 s.
      container = await docker([
        'run',
        '--detach',
        '--network',
        'host',
        '--health-interval',
        '1s',
        '--health-start-period',
        '60s',
        '--env',
        'ROLES=worker',
        '--env',
        'HOST=127.0.0.1',
        '--env',
        `PORT=${port}`,
        '--env',
        `NODE_ID=docker-wallet-${port}`,
        '--env',
        'PARTITIONS=8',
        '--env',
        `REDIS_URL=${redis.url}`,
        '--env',
        `MARIADB_URL=${mariadbServerUrl()}/${database}`,
        '--env',
        `GRID_KEY_PREFIX=je-docker-${port}`,
        image,
      ]);
    });

    afterAll(async () => {
      if (container !== '') await docker(['rm', '--force', container]).catch(() => undefined);
      await redis?.stop();
      if (database !== '') {
        const admin = await mariadbAdmin(mariadbServerUrl());
        try {
          await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
        } finally {
          await admin.end();
        }
      }
    });

    it('turns healthy: it serves /health and /ready on PORT, with the store and the grid up', async () => {
      await timed('worker container healthy', () => waitHealthy(container, 90_000));
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      const body = (await ready.json()) as { store: { up: boolean }; grid: { up: boolean } };
      expect(ready.status).toBe(200);
      expect(body.store.up).toBe(true);
      expect(body.grid.up).toBe(true);
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    });

    // TODO(HOST_VERSIONS, the lead's engine work): once the node reads bundles from JOURNEYS_DIR and
    // honours HOST_VERSIONS=carried, assert here that this container's node reports hosting exactly
    // pfm/wallet 1.0 (in /ready or /deployments), and — with a second node on the same store and grid
    // hosting journeys/ — that it handles wallet 1.0 events and no other version's.
    it.todo('joins the cluster and hosts only pfm/wallet 1.0 (HOST_VERSIONS=carried)');

    it('stops cleanly on docker stop: tini hands SIGTERM to the engine, which hands its partitions back', async () => {
      await timed('docker stop', () => docker(['stop', '--time', '20', container]));
      expect(await docker(['inspect', '--format', '{{.State.ExitCode}}', container])).toBe('0');
      const logs = await docker(['logs', container]);
      expect(logs).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"/);
      expect(logs).toMatch(/"clean":true.*"msg":"stopped"/);
    });
  });

  it('docker-compose.yml is a valid compose file', async () => {
    await timed('docker-compose config', () => execText('docker-compose', ['-f', resolve(BUILD_CONTEXT, 'docker-compose.yml'), 'config', '-q']));
  });
});

/** Runs a program other than docker (skopeo, docker-compose); resolves with its standard output. */
async function execText(program: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(program, args, { timeout: 120_000 });
    return stdout;
  } catch (thrown: unknown) {
    const failure = thrown as Error & { stderr?: string };
    throw new Error(`${program} ${args.join(' ')} failed: ${failure.stderr || failure.message}`, { cause: thrown });
  }
}
