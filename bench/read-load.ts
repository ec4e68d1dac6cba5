/**
 * The read path under write load: while closed-loop request→outcome writes keep the run's
 * concurrency in flight, a few readers (a small closed loop of their own, on their own sockets)
 * alternate `GET /journeys/{id}` of a random opened wallet and the search for that wallet by its
 * owner (`GET /journeys?type=pfm/wallet&owner=…`; `owner` is a search field of the wallet's
 * journey.jd) — each as the wallet's owner, as an app listing "my wallets" and opening one would.
 * Every answer is checked: the GET names the wallet, the search finds it.
 */
import { HttpClient, runClosed } from './load.js';
import type { EngineDriver, HttpAnswer, OpRecord, Wallet } from './load.js';
import type { ReadPathPhase, ReadStats } from './result-types.js';
import { summarize } from './stats.js';

export interface ReadLoadOptions {
  port: number;
  seconds: number;
  /** Read requests in flight. */
  readers: number;
  /** Write requests in flight. */
  concurrency: number;
  epoch: number;
}

/** Latencies of right answers and counts of the others, for one kind of read. */
class ReadTally {
  private readonly latencies: number[] = [];
  private readonly errors: Record<string, number> = {};

  add(startedAt: number, answer: HttpAnswer, right: boolean): void {
    if (answer.status === 200 && right) {
      this.latencies.push(performance.now() - startedAt);
      return;
    }
    const kind = answer.error ?? (answer.status === 200 ? 'wrong answer' : `HTTP ${answer.status}`);
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
  }

  stats(): ReadStats {
    return { count: this.latencies.length, latencyMs: summarize(this.latencies), errors: { ...this.errors } };
  }
}

/** A small deterministic generator (mulberry32): "random" wallets, the same in every run. */
function randomIndex(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % below;
  };
}

/** Runs the phase; the writes' records go to the exactness check like every other phase's. */
export async function runReadLoad(driver: EngineDriver, wallets: Wallet[], options: ReadLoadOptions): Promise<{ phase: ReadPathPhase; records: OpRecord[] }> {
  const opened = wallets.filter((w) => w.key !== '');
  if (opened.length === 0) throw new Error('the read phase needs opened wallets');
  const reader = new HttpClient('127.0.0.1', options.port, options.readers);
  const gets = new ReadTally();
  const searches = new ReadTally();
  const pick = randomIndex(0x5eed);
  let writing = true;
  const t0 = performance.now();
  const writes = runClosed(driver, wallets, {
    phase: 'read-load',
    concurrency: options.concurrency,
    perWallet: 1,
    durationMs: options.seconds * 1000,
    wait: true,
    epoch: options.epoch,
  }).finally(() => {
    writing = false;
  });
  const readLoop = async (first: 'get' | 'search'): Promise<void> => {
    let next = first;
    while (writing) {
      const wallet = opened[pick(opened.length)];
      if (!wallet) break;
      const headers = { 'x-dev-sender': wallet.owner };
      const startedAt = performance.now();
      if (next === 'get') {
        const answer = await reader.get(`/journeys/${encodeURIComponent(wallet.key)}`, headers);
        gets.add(startedAt, answer, (answer.body as { journeyId?: unknown } | null)?.journeyId === wallet.key);
      } else {
        const answer = await reader.get(`/journeys?type=pfm%2Fwallet&owner=${encodeURIComponent(wallet.owner)}`, headers);
        const items = (answer.body as { items?: Array<{ journeyId?: unknown }> } | null)?.items ?? [];
        searches.add(
          startedAt,
          answer,
          items.some((item) => item.journeyId === wallet.key),
        );
      }
      next = next === 'get' ? 'search' : 'get';
    }
  };
  try {
    // Half the readers start with a GET, half with a search: both kinds are in flight throughout.
    const [run] = await Promise.all([writes, ...Array.from({ length: options.readers }, (_, i) => readLoop(i % 2 === 0 ? 'get' : 'search'))]);
    const ok = run.records.filter((r) => r.result === 'outcome');
    const elapsedMs = run.endMs - run.startMs;
    return {
      phase: {
        elapsedMs: Math.round(performance.now() - t0),
        readersInFlight: options.readers,
        get: gets.stats(),
        search: searches.stats(),
        writes: {
          inFlight: options.concurrency,
          events: run.records.length,
          outcomesPerSec: Math.round((ok.length / elapsedMs) * 1000),
          latencyMs: summarize(ok.map((r) => r.endMs - r.startMs)),
        },
      },
      records: run.records,
    };
  } finally {
    reader.close();
  }
}

/** One line for the log and the reports. */
export function readPathLine(phase: ReadPathPhase): string {
  const errors = (s: ReadStats): string => {
    const n = Object.values(s.errors).reduce((a, b) => a + b, 0);
    return n > 0
      ? `, ${n} failed (${Object.entries(s.errors)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`
      : '';
  };
  return (
    `GET /journeys/{id} ${phase.get.count} × p50 ${phase.get.latencyMs.p50} p99 ${phase.get.latencyMs.p99} ms${errors(phase.get)}; ` +
    `search by owner ${phase.search.count} × p50 ${phase.search.latencyMs.p50} p99 ${phase.search.latencyMs.p99} ms${errors(phase.search)}; ` +
    `writes meanwhile ${phase.writes.outcomesPerSec}/s at ${phase.writes.inFlight} in flight (p99 ${phase.writes.latencyMs.p99} ms), ${phase.readersInFlight} reads in flight`
  );
}
