// journey deploy / undeploy / versions against the API over the fake engine: the commands reach
// it through a fetch that injects into the fastify app (no network), and the image case through a
// stand-in docker CLI (a shell script) that answers create, inspect, cp and rm.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SignJWT } from 'jose';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { buildApi } from '../../api/index.js';
import { createDeployCommand } from '../../cli/commands/deploy.js';
import { createUndeployCommand } from '../../cli/commands/undeploy.js';
import { createVersionsCommand, formatDrainReport } from '../../cli/commands/versions.js';
import { JourneyError, silentLogger } from '../../common/index.js';
import { bundleFileName, packVersion, parseBundle, serializeBundle } from '../../dsl/index.js';
import type { VersionBundle } from '../../dsl/index.js';
import type { DrainReportEntry } from '../../engine/index.js';
import { useCliHarness } from '../support/cli-harness.js';
import { FakeEngine, TEST_SECRET, devOptions } from './api-helpers.js';

const WALLET = resolve(import.meta.dirname, '../../journeys/pfm/wallet/1.0');
const URL_ARGS = ['--url', 'http://api.test:3000'];
const cli = useCliHarness('journey-deploy');

type App = ReturnType<typeof buildApi>;

/** A fetch that hands each request to the app in process; `calls` records what was sent. */
function fetchVia(app: App, calls: Array<{ method: string; path: string; headers: Record<string, string> }> = []): typeof fetch {
  return async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({ method: init?.method ?? 'GET', path: url.pathname + url.search, headers });
    const res = await app.inject({
      method: (init?.method ?? 'GET') as 'GET',
      url: url.pathname + url.search,
      headers,
      ...(typeof init?.body === 'string' ? { payload: init.body } : {}),
    });
    return new Response(res.body, { status: res.statusCode, headers: { 'content-type': String(res.headers['content-type'] ?? 'application/json') } });
  };
}

let wallet: VersionBundle;
let stderr: string[];

beforeEach(async () => {
  wallet ??= await packVersion(WALLET);
  stderr = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});

function setup(engine = new FakeEngine()) {
  const app = buildApi(engine, devOptions, silentLogger());
  const calls: Array<{ method: string; path: string; headers: Record<string, string> }> = [];
  const fetchImpl = fetchVia(app, calls);
  return {
    engine,
    calls,
    deploy: createDeployCommand(fetchImpl),
    undeploy: createUndeployCommand(fetchImpl),
    versions: createVersionsCommand(fetchImpl),
  };
}

const entry = (version: string, overrides: Partial<DrainReportEntry> = {}): DrainReportEntry => ({
  journeyType: 'pfm/wallet',
  version,
  laneNo: 1,
  contentHash: null,
  irHash: 'b'.repeat(64),
  compatibility: null,
  deployedAt: new Date(0).toISOString(),
  undeployedAt: null,
  hosts: ['node-a'],
  deployed: true,
  instances: { pending: 0, active: 0, failed: 0 },
  retirable: false,
  ...overrides,
});

describe('journey deploy', () => {
  it('uploads a bundle file as an operator and reports each step as plain lines', async () => {
    const { engine, deploy, calls } = setup();
    const file = join(cli.scratch, bundleFileName(wallet));
    writeFileSync(file, serializeBundle(wallet));
    expect(await deploy.run([file, ...URL_ARGS, '--wait-ms', '0'])).toBe(0);
    expect(engine.deployedBundles.map((b) => parseBundle(b).contentHash)).toEqual([wallet.contentHash]);
    expect(calls.find((c) => c.method === 'POST')?.headers).toMatchObject({ 'x-dev-roles': 'operator', 'content-type': 'application/json' });
    const lines = stderr.join('');
    expect(lines).toMatch(/deploy: \[0\/4\] reading .*pfm-wallet-1\.0\.bundle\.json/);
    expect(lines).toContain('deploy: [2/4] checked pfm/wallet 1.0: pfm/wallet is new to the cluster');
    expect(lines).toContain('deploy: [3/4] deployed pfm/wallet 1.0 in lane 2, compatible (BACKWARD) with 1.0, uplift from 1.0 checked');
    expect(lines).toMatch(/deploy: deployed pfm\/wallet 1\.0 \(lane 2, sha256 a{64}\); not waited for a host/);
  });

  it('packs a version folder first, then waits until a live node hosts the version', async () => {
    const engine = new FakeEngine();
    let asked = 0;
    engine.drainReport = () => Promise.resolve(++asked < 3 ? [] : [entry('1.0', { hosts: ['node-a', 'node-b'] })]);
    const { deploy } = setup(engine);
    expect(await deploy.run([WALLET, ...URL_ARGS, '--wait-ms', '10000'])).toBe(0);
    expect(parseBundle(engine.deployedBundles[0]).contentHash).toBe(wallet.contentHash);
    expect(asked).toBe(3);
    const lines = stderr.join('');
    expect(lines).toContain(`deploy: [0/4] packing ${WALLET}`);
    expect(lines).toContain('deploy: [4/4] hosted by node-a, node-b');
  });

  it('says so when no node hosts the version within the wait, and still exits 0', async () => {
    const { deploy } = setup();
    expect(await deploy.run([WALLET, ...URL_ARGS, '--wait-ms', '300'])).toBe(0);
    expect(stderr.join('')).toContain('no live node hosts it yet: its events are accepted and wait');
  });

  it('reads the bundle out of a version image with docker create, inspect, cp and rm', async () => {
    const { engine, deploy } = setup();
    const bundleFile = join(cli.scratch, 'carried.bundle.json');
    writeFileSync(bundleFile, serializeBundle(wallet));
    const log = join(cli.scratch, 'docker.log');
    const docker = join(cli.scratch, 'docker');
    writeFileSync(
      docker,
      `#!/bin/sh
echo "$@" >> '${log}'
case "$1" in
  create) echo "Unable to find image '$2' locally" >&2; echo 'pulled' >&2; echo '${'c'.repeat(64)}' ;;
  container) echo '["PATH=/usr/bin","JOURNEYS_DIR=/srv/versions"]' ;;
  cp) cp '${bundleFile}' "$3/" ;;
  rm) echo "$2" ;;
  *) exit 1 ;;
esac
`,
    );
    chmodSync(docker, 0o755);
    vi.stubEnv('JE_DOCKER_CLI', docker);
    try {
      expect(await deploy.run(['registry.test:5000/pfm-wallet:1.0', ...URL_ARGS, '--wait-ms', '0'])).toBe(0);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(parseBundle(engine.deployedBundles[0]).contentHash).toBe(wallet.contentHash);
    const id = 'c'.repeat(64);
    const [create, inspect, copy, remove, ...more] = readFileSync(log, 'utf8').trim().split('\n');
    expect([create, inspect, remove, more]).toEqual([
      'create registry.test:5000/pfm-wallet:1.0',
      `container inspect --format {{json .Config.Env}} ${id}`,
      `rm ${id}`,
      [],
    ]);
    // The folder the image's JOURNEYS_DIR names, into a scratch folder of its own.
    expect(copy).toMatch(new RegExp(`^cp ${id}:/srv/versions/\\. /\\S+journey-image-bundle-\\S+$`));
    expect(stderr.join('')).toContain("Unable to find image 'registry.test:5000/pfm-wallet:1.0' locally");
  });

  it('exits 1 listing what the node refused: violations with their pointers, files that differ', async () => {
    const { engine, deploy } = setup();
    engine.deployError = new JourneyError('JE_DEPLOYMENT_INCOMPATIBLE', 'pfm/wallet@3.0 is refused', {
      details: {
        violations: [{ against: '1.0', check: 'compatibility', schema: 'event:Deposit', pointer: '/required', message: 'BACKWARD: 3.0 requires reference' }],
      },
    });
    expect(await deploy.run([WALLET, ...URL_ARGS])).toBe(1);
    expect(cli.output).toEqual([
      'JE_DEPLOYMENT_INCOMPATIBLE: pfm/wallet@3.0 is refused',
      '  against 1.0: event:Deposit /required BACKWARD: 3.0 requires reference',
    ]);

    engine.deployError = new JourneyError('JE_DEPLOYMENT_CONFLICT', 'pfm/wallet@1.0 is already deployed with different content', {
      details: { files: ['events/deposit.schema.json'] },
    });
    cli.output.length = 0;
    expect(await deploy.run([WALLET, ...URL_ARGS])).toBe(1);
    expect(cli.output).toContain('  differs: events/deposit.schema.json');
  });

  it('sends a token as a bearer token (jwt mode), and exits 3 when the API cannot be reached', async () => {
    const engine = new FakeEngine();
    const app = buildApi(engine, { auth: { mode: 'jwt', secrets: [TEST_SECRET] }, docs: false }, silentLogger());
    const deploy = createDeployCommand(fetchVia(app));
    const token = await new SignJWT({ sub: 'deployer', roles: ['operator'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(TEST_SECRET));
    expect(await deploy.run([WALLET, ...URL_ARGS, '--wait-ms', '0'])).toBe(1);
    expect(cli.output[0]).toMatch(/^JE_UNAUTHENTICATED: /);
    expect(await deploy.run([WALLET, ...URL_ARGS, '--wait-ms', '0', '--token', token])).toBe(0);
    expect(engine.deployedBundles).toHaveLength(1);

    const unreachable = createDeployCommand(() => Promise.reject(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })));
    expect(await unreachable.run([WALLET, ...URL_ARGS])).toBe(3);
    expect(stderr.join('')).toContain('cannot reach http://api.test:3000: connect ECONNREFUSED');
  });

  it('exits 2 on a wrong command line, deploying nothing', async () => {
    const { engine, deploy } = setup();
    expect(await deploy.run([])).toBe(2);
    expect(await deploy.run([WALLET])).toBe(2);
    expect(await deploy.run([WALLET, '--url', 'ftp://x'])).toBe(2);
    expect(await deploy.run(['./no/such/dir', ...URL_ARGS])).toBe(2);
    expect(await deploy.run(['missing.bundle.json', ...URL_ARGS])).toBe(2);
    expect(await deploy.run([WALLET, ...URL_ARGS, '--wait-ms', 'soon'])).toBe(2);
    expect(engine.deployedBundles).toEqual([]);
  });
});

describe('journey undeploy', () => {
  it('undeploys, and exits 1 with the instance counts while instances remain', async () => {
    const { engine, undeploy } = setup();
    expect(await undeploy.run(['pfm/wallet', '1.5', ...URL_ARGS])).toBe(0);
    expect(engine.undeploys).toEqual([{ journeyType: 'pfm/wallet', version: '1.5' }]);
    expect(cli.output).toEqual([`undeployed pfm/wallet 1.5 at ${new Date(0).toISOString()}`]);

    engine.undeployError = new JourneyError('JE_DEPLOYMENT_IN_USE', 'pfm/wallet@1.0 still has instances', {
      details: { instances: { pending: 0, active: 3, failed: 1 } },
    });
    expect(await undeploy.run(['pfm/wallet', '1.0', ...URL_ARGS])).toBe(1);
    expect(cli.output).toContain('  instances: 0 pending, 3 active, 1 failed');
    expect(await undeploy.run(['pfm/wallet', 'latest', ...URL_ARGS])).toBe(2);
    expect(await undeploy.run(['pfm/wallet', ...URL_ARGS])).toBe(2);
    expect(engine.undeploys).toHaveLength(2);
  });
});

describe('journey versions', () => {
  it('prints the drain report as a table, naming the versions that can be retired', async () => {
    const engine = new FakeEngine();
    engine.drain = [
      entry('1.0', { instances: { pending: 1, active: 12, failed: 2 }, hosts: ['node-a', 'node-b'] }),
      entry('1.5', { retirable: true }),
      entry('0.9', { deployed: false, undeployedAt: new Date(0).toISOString(), hosts: [] }),
    ];
    const { versions } = setup(engine);
    expect(await versions.run(URL_ARGS)).toBe(0);
    expect(cli.output.join('\n')).toBe(
      [
        'TYPE        VERSION  STATE       PENDING  ACTIVE  FAILED  HOSTS          RETIRABLE',
        'pfm/wallet  1.0      deployed    1        12      2       node-a,node-b  no',
        'pfm/wallet  1.5      deployed    0        0       0       node-a         yes',
        'pfm/wallet  0.9      undeployed  0        0       0       -              no',
        '',
        'Retirable: pfm/wallet 1.5 (journey undeploy <type> <version>)',
      ].join('\n'),
    );
    cli.output.length = 0;
    expect(await versions.run([...URL_ARGS, '--json'])).toBe(0);
    expect(JSON.parse(cli.output.join('\n'))).toEqual({ versions: engine.drain });
    expect(formatDrainReport([])).toBe('No journey version was ever deployed.');
  });
});
