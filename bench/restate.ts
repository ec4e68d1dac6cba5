/**
 * The peer: Restate from its npm packages in bench/restate (own package.json, installed on
 * demand with `npm ci` there). One restate-server (single node, its defaults: replication 1, 24
 * partitions, fsync on) and the wallet service, both bound to 127.0.0.1 on free ports, telemetry
 * off; stopped by PID.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Proc, ROOT, freePort, waitUntil } from './services.js';
import type { Cleanups } from './services.js';

const run = promisify(execFile);
export const RESTATE_DIR = resolve(ROOT, 'bench/restate');
const SERVER_BIN = join(RESTATE_DIR, 'node_modules/@restatedev/restate-server-linux-x64/bin/restate-server');

export interface RestateHandle {
  ingressPort: number;
  server: Proc;
  service: Proc;
  version: string;
}

/** Installs bench/restate's packages if missing; throws with the reason when it cannot. */
export async function ensureRestateInstalled(log: (line: string) => void): Promise<void> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the benchmark runs restate-server from @restatedev/restate-server-linux-x64; this is ${process.platform}-${process.arch}`);
  }
  if (existsSync(SERVER_BIN) && existsSync(join(RESTATE_DIR, 'node_modules/@restatedev/restate-sdk'))) return;
  log('installing Restate into bench/restate (npm ci) …');
  await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: RESTATE_DIR, env: { ...process.env, SCARF_ANALYTICS: 'false' }, timeout: 300_000 });
  if (!existsSync(SERVER_BIN)) throw new Error(`npm ci in bench/restate did not install ${SERVER_BIN}`);
}

export async function startRestate(workDir: string, cleanups: Cleanups): Promise<RestateHandle> {
  const [ingressPort, adminPort, nodePort, servicePort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  mkdirSync(workDir, { recursive: true });
  const config = join(workDir, 'restate.toml');
  writeFileSync(
    config,
    [
      'disable-telemetry = true',
      'listen-mode = "tcp"',
      `bind-address = "127.0.0.1:${nodePort}"`,
      `advertised-address = "http://127.0.0.1:${nodePort}/"`,
      'log-filter = "warn"',
      '[admin]',
      `bind-address = "127.0.0.1:${adminPort}"`,
      'disable-web-ui = true',
      '[ingress]',
      `bind-address = "127.0.0.1:${ingressPort}"`,
      '',
    ].join('\n'),
  );
  const { stdout } = await run(SERVER_BIN, ['--version']);
  const version = stdout.trim();
  const env = { ...process.env, DO_NOT_TRACK: '1', RESTATE_LOGGING: 'WARN' };
  const server = new Proc('restate-server', SERVER_BIN, ['-c', config, '--base-dir', join(workDir, 'data'), '--no-logo'], { cwd: workDir, env });
  cleanups.add('restate-server', () => server.stop(30_000));
  const service = new Proc('restate-wallet-service', process.execPath, ['--import', './polyfill.mjs', 'wallet-service.mjs', String(servicePort)], {
    cwd: RESTATE_DIR,
    env,
  });
  cleanups.add('restate-wallet-service', () => service.stop());
  await waitUntil(
    'restate-server admin to answer',
    async () => {
      if (!server.alive) throw new Error(`restate-server exited:\n${server.log.slice(-2000)}`);
      return (await fetch(`http://127.0.0.1:${adminPort}/health`)).ok;
    },
    60_000,
  );
  await waitUntil(
    'the wallet service to listen',
    () => {
      if (!service.alive) throw new Error(`wallet service exited:\n${service.log.slice(-2000)}`);
      return Promise.resolve(service.log.includes('listening'));
    },
    30_000,
  );
  await waitUntil(
    'the wallet deployment to register',
    async () => {
      const response = await fetch(`http://127.0.0.1:${adminPort}/deployments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uri: `http://127.0.0.1:${servicePort}` }),
      });
      return response.ok;
    },
    30_000,
    500,
  );
  await waitUntil('ingress to answer', async () => (await fetch(`http://127.0.0.1:${ingressPort}/restate/health`)).ok, 30_000);
  return { ingressPort, server, service, version };
}
