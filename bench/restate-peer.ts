/**
 * The peer part: Restate beside the engine's end-to-end node, taking turns with it; read back and
 * checked at the end. Installing and starting Restate itself is in restate.ts.
 */
import { join } from 'node:path';
import { checkRestate } from './check.js';
import { RestateDriver, makeWallets } from './load.js';
import type { OpRecord, Wallet } from './load.js';
import { rssSummaries } from './phase-summaries.js';
import { ensureRestateInstalled, startRestate } from './restate.js';
import type { BenchResult, SyncPhase, SystemRun } from './result-types.js';
import { redisPids } from './run-context.js';
import type { EngineEnv } from './run-context.js';
import { CpuMeter, pidsOf } from './services.js';
import type { Proc } from './services.js';
import { summarize } from './stats.js';

/** Restate, running beside the engine so the two take turns under the same background load. */
export interface Peer {
  version: string;
  driver: RestateDriver;
  wallets: Wallet[];
  meter: CpuMeter;
  server: Proc;
  service: Proc;
  records: OpRecord[];
  open?: SystemRun['open'];
  /** What the processes said when a turn stopped making progress. */
  diagnostics: string[];
}

async function startPeer(env: EngineEnv, workDir: string): Promise<Peer> {
  const { options, cleanups, sampler } = env;
  await ensureRestateInstalled(env.log);
  const restate = await startRestate(join(workDir, 'restate'), cleanups);
  sampler.watch(restate.server);
  sampler.watch(restate.service);
  const meter = new CpuMeter(
    () =>
      new Map([
        ['restate-server', [restate.server.pid]],
        ['restate-wallet-service', [restate.service.pid]],
        ['load generator', [process.pid]],
        ['mariadbd (shared)', pidsOf('mariadbd')],
        ['redis (6 nodes)', redisPids(env.cluster)],
      ]),
  );
  return {
    version: restate.version,
    driver: new RestateDriver(restate.ingressPort, options.concurrency * 2),
    wallets: makeWallets(options.journeys, `restate-${env.runId}`),
    meter,
    server: restate.server,
    service: restate.service,
    records: [],
    diagnostics: [],
  };
}

/** Reads every wallet back (a shared handler), checks it against the log, stops Restate. */
export async function finishPeer(env: EngineEnv, peer: Peer, sync: SyncPhase): Promise<SystemRun & { version: string }> {
  const { options, cleanups, sampler } = env;
  try {
    const states = new Map<number, { seq: number; data: Record<string, unknown> } | null>();
    let next = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < peer.wallets.length) {
          const wallet = peer.wallets[next++];
          if (wallet) states.set(wallet.index, await peer.driver.state(wallet.key));
        }
      }),
    );
    const check = checkRestate(peer.wallets, peer.records, states);
    env.log(`  restate check: ${check.exact ? 'EXACT' : 'NOT EXACT'} (${check.acked} acknowledged)`);
    sampler.unwatch(peer.server);
    sampler.unwatch(peer.service);
    return {
      version: peer.version,
      topology: 'restate-server (1 node, defaults: replication 1, 24 partitions, fsync) + 1 Node wallet service',
      open: peer.open ?? { wallets: 0, elapsedMs: 0, perSec: 0, latencyMs: summarize([]) },
      sync,
      check,
      rss: rssSummaries(sampler, [peer.server.name, peer.service.name]),
      ...(peer.diagnostics.length > 0 ? { diagnostics: peer.diagnostics } : {}),
    };
  } finally {
    peer.driver.close();
    await cleanups.runNamed('restate-wallet-service');
    await cleanups.runNamed('restate-server');
  }
}

/** Notes (once per stall) when the peer makes no progress for 20 s, with its processes' last words. */
export function stallWatch(env: EngineEnv, peer: Peer | null): (records: OpRecord[]) => void {
  let last = -1;
  let since = performance.now();
  let reported = false;
  return (records) => {
    const now = performance.now();
    if (records.length !== last) {
      last = records.length;
      since = now;
      reported = false;
      return;
    }
    if (reported || now - since < 20_000 || !peer) return;
    reported = true;
    const note =
      `no outcome for ${Math.round((now - since) / 1000)} s after ${records.length} requests; ` +
      `restate-server ${peer.server.alive ? 'alive' : 'exited'}, wallet service ${peer.service.alive ? 'alive' : 'exited'}; ` +
      `server log: ${peer.server.log.slice(-1500).replaceAll(String.fromCharCode(27), '')} | service log: ${peer.service.log.slice(-1500)}`;
    peer.diagnostics.push(note);
    env.log(`  restate STALL: ${note.slice(0, 3000)}`);
  };
}

/** Restate started when asked for; when it cannot run, the reason goes in the result (not a failure) and the engine runs alone. */
export async function startPeerIfAsked(env: EngineEnv, workDir: string, result: BenchResult): Promise<Peer | null> {
  let peer: Peer | null = null;
  if (env.options.only.includes('restate')) {
    env.log('peer: starting Restate (virtual object per wallet) to take turns with the engine');
    try {
      peer = await startPeer(env, workDir);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      result.restate = { error: message };
      env.log(`Restate could not run: ${message}`);
    }
  }
  return peer;
}
