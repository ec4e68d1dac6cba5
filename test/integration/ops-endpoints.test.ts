/**
 * Every `journey serve` node can be probed and scraped, whatever its roles: `/health`, `/ready`
 * and `/metrics` (with Node's process metrics and the build-info metric) answer on its port, and
 * the Docker image's HEALTHCHECK command passes against it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePortBase } from '../../grid/index.js';
import { WorkerProcess, waitFor } from '../chaos/harness.js';
import type { WorkerSettings } from '../chaos/harness.js';
import { createTestDatabase, gridSeeds, testNamespace } from '../support/environment.js';
import type { TestDatabase } from '../support/environment.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const VERSION = (JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The argument vector of the base image's HEALTHCHECK (docker/Dockerfile; a version image inherits
 * it), as Docker runs it: the exec form `CMD ["node", "-e", "…"]` parsed as the JSON it is, or the
 * shell form `CMD node -e "…"`. Its first word must be `node`, run here by this process's Node.
 */
function dockerHealthCheckArgs(): string[] {
  const dockerfile = readFileSync(resolve(ROOT, 'docker/Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const command = /^HEALTHCHECK\b[^\n]*?\bCMD\s+([^\n]*)$/m.exec(dockerfile)?.[1]?.trim();
  if (command === undefined) throw new Error('docker/Dockerfile has no HEALTHCHECK … CMD line');
  let argv: unknown;
  if (command.startsWith('[')) {
    argv = JSON.parse(command);
  } else {
    const script = /^node -e "([^\n]*)"$/.exec(command)?.[1];
    argv = script === undefined ? undefined : ['node', '-e', script];
  }
  if (!Array.isArray(argv) || argv[0] !== 'node' || argv.length < 2 || !argv.every((arg) => typeof arg === 'string')) {
    throw new Error(`docker/Dockerfile's HEALTHCHECK is not a node command: ${command}`);
  }
  return argv.slice(1);
}

describe.each([['worker'], ['api'], ['api,worker']])('a ROLES=%s node', (roles) => {
  let database: TestDatabase;
  let node: WorkerProcess;
  let base = '';
  let port = 0;
  const nodeId = `ops-${roles.replace(',', '-')}`;

  beforeAll(async () => {
    database = await createTestDatabase();
    const settings: WorkerSettings = { mariadbUrl: database.url, seeds: gridSeeds(), keyPrefix: testNamespace(), partitions: 4, leaseTtlMs: 2_000 };
    port = await findFreePortBase({ count: 1, cluster: false });
    base = `http://127.0.0.1:${port}`;
    node = new WorkerProcess(nodeId, settings, { ROLES: roles, PORT: String(port) });
    await waitFor(
      `${nodeId} to answer /health on its port`,
      async () => {
        if (node.log.includes('failed to start')) throw new Error(node.log.slice(-3000));
        return (await fetch(`${base}/health`)).status === 200;
      },
      60_000,
      200,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- node log ---\n${node.log.slice(-3000)}`);
    });
  });

  afterAll(async () => {
    await node?.stop();
    await database?.drop();
  });

  it('answers /health and /ready', async () => {
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok', nodeId });
    if (roles.includes('worker')) {
      // Ready once it holds its share of the partitions (all of them: it is the only worker).
      await waitFor(`${nodeId} to be ready`, async () => (await fetch(`${base}/ready`)).status === 200, 30_000, 200);
    }
    // An API-only node with no worker anywhere answers too (503: nobody handles the partitions).
    const response = await fetch(`${base}/ready`);
    expect([200, 503]).toContain(response.status);
    expect(await response.json()).toMatchObject({ store: { up: true }, grid: { up: true }, nodeId });
  });

  it('serves /metrics with the engine, process and build-info metrics', async () => {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('je_partitions_owned');
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(text).toContain(`journey_engine_build_info{version="${VERSION}",node="${nodeId}"} 1`);
    // Each metric once: two registries must not both export one name.
    const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
    expect(names.length).toBe(new Set(names).size);
  });

  it("passes the Docker image's HEALTHCHECK", async () => {
    await expect(run(process.execPath, dockerHealthCheckArgs(), { env: { ...process.env, PORT: String(port) }, timeout: 10_000 })).resolves.toBeDefined();
  });
});
