// The engine base image and a per-version image, built, pushed and run for real (shared/DOCKER.md):
// pfm/wallet 1.0 packed into its image with `journey pack --image`, pushed to the loopback
// registry and pulled back, and a worker container from it (testcontainers) joining a cluster on
// the run's MariaDB and Redis Cluster beside engine nodes in this process. Without a Docker engine
// every test here is skipped, with the reason printed.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { GenericContainer, Wait } from 'testcontainers';
import type { StartedTestContainer } from 'testcontainers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/index.js';
import { packCommand } from '../../cli/commands/pack.js';
import { silentLogger } from '../../common/index.js';
import { engineVersion, loadBundleProcessors, packVersion, serializeBundle } from '../../dsl/index.js';
import type { Readiness } from '../../engine/index.js';
import { BUILD_CONTEXT, DOCKER, REGISTRY, buildBaseImage, docker, dockerStatus, freePort, waitHealthy } from '../support/docker.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';
import { startTestEngine } from '../support/test-engine.js';
import type { TestEngine, TestEngineOptions } from '../support/test-engine.js';

// testcontainers' reaper image would come from Docker Hub: this file stops what it starts itself.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

const execFileAsync = promisify(execFile);
const wallet = resolve(import.meta.dirname, '../../journeys/pfm/wallet/1.0');
const mortgage = resolve(import.meta.dirname, '../../journeys/mybank/lending/mortgage/1.0');
/** Partitions of the container's store (each version's lane has this many slots). */
const PARTITIONS = 8;
/** Wallets opened through the API node, each then sent a deposit. */
const WALLETS = 4;
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

  describe('a worker container from the version image, in a cluster with an API node in this process', () => {
    // The run's Redis Cluster and MariaDB (global setup), reached from the container over host
    // networking; the in-process nodes share its store (a database of this test) and key prefix.
    const keyPrefix = testNamespace();
    const mortgageKey = 'mybank/lending/mortgage@1.0';
    let database: TestDatabase | undefined;
    let container: StartedTestContainer | undefined;
    let containerLog = '';
    let port = 0;
    let apiNode: TestEngine | undefined;
    let mortgageWorker: TestEngine | undefined;
    let api: FastifyInstance | undefined;
    let apiBase = '';
    let carriedByApi: Carried;
    let carriedByMortgageWorker: Carried;

    const nodeOptions = (): Pick<TestEngineOptions, 'databaseUrl' | 'seeds' | 'keyPrefix' | 'partitionCount' | 'workerOptions'> => ({
      databaseUrl: database?.url ?? '',
      seeds: gridSeeds(),
      keyPrefix,
      partitionCount: PARTITIONS,
      workerOptions: { leaseTtlMs: 3_000, sweepAfterMs: 300, sweepEveryMs: 200 },
    });
    const containerReady = async (): Promise<Readiness> => (await fetch(`http://127.0.0.1:${port}/ready`)).json() as Promise<Readiness>;
    /** The container's count of events it handled and committed as applied (its /metrics). */
    const appliedByContainer = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return Number(/^je_events_handled_total\{outcome="applied"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const post = async (path: string, sender: string, body: { type: string; data: unknown }): Promise<{ status: number; json: Record<string, unknown> }> => {
      const response = await fetch(`${apiBase}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-dev-sender': sender, 'x-dev-roles': 'customer', 'x-trust-level': '2' },
        body: JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };

    beforeAll(async () => {
      database = await createTestDatabase();
      port = await freePort();
      carriedByApi = await carry([wallet, mortgage]);
      carriedByMortgageWorker = await carry([mortgage]);
      // The image's own health check, polled every second instead of every 10 s.
      const imageHealth = JSON.parse(await docker(['image', 'inspect', '--format', '{{json .Config.Healthcheck}}', image])) as { Test?: string[] } | null;
      const [kind, ...command] = imageHealth?.Test ?? [];
      if (kind !== 'CMD' || command.length === 0) throw new Error(`${image} has no exec-form HEALTHCHECK: ${JSON.stringify(imageHealth)}`);
      container = await timed('worker container started and healthy', () =>
        new GenericContainer(image)
          .withNetworkMode('host')
          .withEnvironment({
            ROLES: 'worker',
            HOST: '127.0.0.1',
            PORT: String(port),
            NODE_ID: `docker-wallet-${port}`,
            PARTITIONS: String(PARTITIONS),
            REDIS_URL: gridSeeds().join(','),
            MARIADB_URL: database?.url ?? '',
            GRID_KEY_PREFIX: keyPrefix,
          })
          .withHealthCheck({ test: ['CMD', ...command], interval: 1_000, timeout: 3_000, retries: 3, startPeriod: 60_000 })
          .withWaitStrategy(Wait.forHealthCheck())
          .withStartupTimeout(90_000)
          .withLogConsumer((stream) => stream.on('data', (chunk: Buffer | string) => (containerLog += String(chunk))))
          .start()
          .catch((thrown: unknown) => {
            throw new Error(`the worker container did not turn healthy; its last log lines:\n${lastLines(containerLog)}`, { cause: thrown });
          }),
      );
      // API only: it deploys (carries) both versions and accepts their events, and handles none.
      apiNode = await startTestEngine({ ...nodeOptions(), ...carriedByApi, nodeId: 'api-in-process', worker: false });
      api = buildApi(apiNode.engine, { auth: { mode: 'dev' } }, silentLogger());
      apiBase = await api.listen({ port: 0, host: '127.0.0.1' });
    });

    afterEach(({ task }) => {
      if (task.result?.state === 'fail') console.log(`worker container log (last lines):\n${lastLines(containerLog)}`);
    });

    afterAll(async () => {
      await api?.close();
      await mortgageWorker?.stop();
      await apiNode?.stop();
      // Stops (if the last test has not) and removes it.
      await container?.stop({ timeout: 20_000 });
      await database?.drop();
    });

    it('turns healthy: it serves /health and /ready on PORT, with the store and the grid up', async () => {
      await waitHealthy(container?.getId() ?? '', 10_000);
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      const body = (await ready.json()) as Readiness;
      expect(ready.status).toBe(200);
      expect(body.store.up).toBe(true);
      expect(body.grid).toMatchObject({ up: true, mode: 'cluster' });
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    });

    it('joins the cluster and hosts only pfm/wallet 1.0 (HOST_VERSIONS=carried)', async () => {
      const api = apiNode?.engine;
      if (api === undefined) throw new Error('no API node');
      // The container learns mortgage 1.0, which the API node deployed, from the store (it polls
      // every 2 s), and hosts it not: it carries wallet 1.0 only.
      await timed('container learns mortgage 1.0 from the store', () =>
        until('the container to list mortgage 1.0 without a host', async () => (await containerReady()).versions?.withoutHost.includes(mortgageKey) === true),
      );
      expect((await containerReady()).versions).toEqual({ hosted: ['pfm/wallet@1.0'], withoutHost: [mortgageKey] });
      // The API node sees the container's heartbeat: wallet 1.0 has a host, mortgage 1.0 none.
      await until('the API node to see wallet hosted', async () => (await api.readiness()).versions?.withoutHost.join() === mortgageKey);
      expect((await api.readiness()).versions).toEqual({ hosted: [], withoutHost: [mortgageKey] });

      // Wallet events through the API node's HTTP API: handled by the container, the one node hosting wallet.
      const opened = await timed('wallet events handled by the container', async () => {
        const journeys: string[] = [];
        for (let i = 0; i < WALLETS; i++) {
          const owner = `docker-owner-${i}`;
          const open = await post('/journeys/pfm/wallet/1.0/events', owner, { type: 'OpenWallet', data: { owner, currency: 'EUR' } });
          expect(open.status).toBe(202);
          journeys.push(String(open.json['journeyId']));
        }
        for (const [i, journeyId] of journeys.entries()) {
          const deposit = await post(`/journeys/${journeyId}/events?wait=20000`, `docker-payer-${i}`, { type: 'Deposit', data: { amount: 10 + i } });
          expect(deposit.status).toBe(200);
          // A payer is not the owner: the wallet's read rule shows them the outcome, not the data.
          expect(deposit.json).toMatchObject({ journeyId, outcome: 'applied', seq: 2 });
          expect(deposit.json).not.toHaveProperty('data');
        }
        return journeys;
      });
      for (const [i, journeyId] of opened.entries()) {
        expect(await api.getJourney(journeyId)).toMatchObject({
          version: '1.0',
          lifecycle: 'active',
          seq: 2,
          data: { balance: 10 + i, owner: `docker-owner-${i}` },
        });
      }
      expect(await appliedByContainer()).toBe(2 * WALLETS);

      // A mortgage event is accepted (durable) and waits: no live node hosts mortgage 1.0.
      const applied = await post('/journeys/mybank/lending/mortgage/1.0/events', 'docker-applicant', {
        type: 'ApplyForMortgage',
        data: { propertyAddress: '1 Dock Street', propertyValue: 40_000_000, loanAmount: 30_000_000, termMonths: 300, annualIncome: 9_000_000 },
      });
      expect(applied.status).toBe(202);
      const eventId = String(applied.json['eventId']);
      const mortgageJourney = String(applied.json['journeyId']);
      expect(await api.awaitOutcome(eventId, 3_000)).toBeNull();
      expect(await api.getJourney(mortgageJourney)).toMatchObject({ version: '1.0', lifecycle: 'pending', seq: 0 });
      expect((await api.readiness()).versions?.withoutHost).toEqual([mortgageKey]);
      expect((await containerReady()).versions?.hosted).toEqual(['pfm/wallet@1.0']);

      // A worker hosting mortgage 1.0 starts (in this process): the waiting event is handled there.
      mortgageWorker = await startTestEngine({ ...nodeOptions(), ...carriedByMortgageWorker, nodeId: 'mortgage-worker' });
      const outcome = await timed('mortgage event handled once its host starts', () => api.awaitOutcome(eventId, 30_000));
      expect(outcome).toMatchObject({ journeyId: mortgageJourney, outcome: 'applied', seq: 1, data: { status: 'submitted', applicant: 'docker-applicant' } });
      await until('mortgage 1.0 to have a host', async () => (await api.readiness()).versions?.withoutHost.length === 0);
      expect((await mortgageWorker.engine.readiness()).versions?.hosted).toEqual([mortgageKey]);
      // Neither the mortgage event nor any other reached the container.
      expect(await appliedByContainer()).toBe(2 * WALLETS);
      expect((await containerReady()).versions).toEqual({ hosted: ['pfm/wallet@1.0'], withoutHost: [] });
    });

    it('stops cleanly on docker stop: tini hands SIGTERM to the engine, which hands its partitions back', async () => {
      const id = container?.getId() ?? '';
      await timed('docker stop', () => docker(['stop', '--time', '20', id]));
      expect(await docker(['inspect', '--format', '{{.State.ExitCode}}', id])).toBe('0');
      const logs = await docker(['logs', id]);
      expect(logs).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"/);
      expect(logs).toMatch(/"clean":true.*"msg":"stopped"/);
    });
  });

  it('docker-compose.yml is a valid compose file', async () => {
    await timed('docker-compose config', () => execText('docker-compose', ['-f', resolve(BUILD_CONTEXT, 'docker-compose.yml'), 'config', '-q']));
  });
});

/** What an engine node carries, as `journey serve` builds it from JOURNEYS_DIR: the bundles' journeys, processors and bundles. */
type Carried = Pick<TestEngineOptions, 'journeys' | 'processors' | 'carriedBundles'>;

async function carry(versionDirs: string[]): Promise<Carried> {
  const carried: Required<Carried> = { journeys: [], processors: {}, carriedBundles: {} };
  for (const dir of versionDirs) {
    const bundle = await packVersion(dir);
    const key = `${bundle.name}@${bundle.version}`;
    carried.journeys.push(bundle.journey);
    carried.processors[key] = await loadBundleProcessors(bundle);
    carried.carriedBundles[key] = {
      contentHash: bundle.contentHash,
      bundle: serializeBundle(bundle),
      ...(bundle.journey.compatibility ? { compatibility: bundle.journey.compatibility } : {}),
    };
  }
  return carried;
}

/** Polls `check` every 200 ms until it holds; rejects naming `what` after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function lastLines(text: string, count = 30): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

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
