/**
 * Exactness, checked at the end of a run in the style of the chaos checker
 * (test/chaos/harness.ts): after the store drains, every balance and counter must equal what the
 * acknowledged events imply, and every outcome a client was shown must match a replay.
 *
 * Per wallet, from the request log and the store:
 * - every acknowledged event is in the store once, at the seq it was acknowledged with, handled;
 * - the store holds no event that no request could explain (a refused request wrote nothing;
 *   an ambiguous one — 5xx, timeout — counts 0 or 1 times);
 * - journey_seq runs 1..n, each outcome's seq equals its journey_seq, handled = accepted = n;
 * - replaying the wallet's rules over the store's events gives its stored data, and over the
 *   acknowledged operations gives the same (so nothing unacknowledged was applied);
 * - every outcome returned to a client (balance, counters, seq) matches the replay at that point.
 */
import type { OpRecord, Wallet } from './load.js';
import { opOf } from './load.js';

export interface CheckReport {
  exact: boolean;
  wallets: number;
  /** Requests that were acknowledged (200 outcome or 202). */
  acked: number;
  refused: number;
  ambiguous: number;
  /** Events in the store for these wallets (excluding the openings). */
  stored: number;
  lost: number;
  doubled: number;
  phantom: number;
  outOfOrder: number;
  wrongState: number;
  wrongOutcome: number;
  /** The first few problems, for the report. */
  problems: string[];
}

interface WalletModel {
  balance: number;
  deposits: number;
  withdrawals: number;
  status: string;
}

function apply(model: WalletModel, type: string, amount: number): void {
  if (model.status !== 'open') return;
  if (type === 'Deposit') {
    model.balance += amount;
    model.deposits += 1;
  } else if (type === 'Withdraw' && model.balance >= amount) {
    model.balance -= amount;
    model.withdrawals += 1;
  }
}

const fresh = (): WalletModel => ({ balance: 0, deposits: 0, withdrawals: 0, status: 'open' });

function emptyReport(wallets: number): CheckReport {
  return {
    exact: false,
    wallets,
    acked: 0,
    refused: 0,
    ambiguous: 0,
    stored: 0,
    lost: 0,
    doubled: 0,
    phantom: 0,
    outOfOrder: 0,
    wrongState: 0,
    wrongOutcome: 0,
    problems: [],
  };
}

function finish(report: CheckReport): CheckReport {
  report.exact =
    report.lost === 0 && report.doubled === 0 && report.phantom === 0 && report.outOfOrder === 0 && report.wrongState === 0 && report.wrongOutcome === 0;
  return report;
}

function problem(report: CheckReport, text: string): void {
  if (report.problems.length < 20) report.problems.push(text);
}

function byWallet(records: OpRecord[]): Map<number, OpRecord[]> {
  const map = new Map<number, OpRecord[]>();
  for (const r of records) {
    const list = map.get(r.wallet) ?? [];
    list.push(r);
    map.set(r.wallet, list);
  }
  for (const list of map.values()) list.sort((a, b) => a.k - b.k);
  return map;
}

export interface StoredEvent {
  journey_id: string;
  event_id: string;
  journey_seq: number;
  event_type: string;
  payload: string;
  status: string;
  outcome: string | null;
}

export interface StoredJourney {
  journey_id: string;
  data: string | null;
  handled_seq: number;
  accepted_seq: number;
}

/** Checks the engine's store against the request log (the store must have drained first). */
export function checkEngine(wallets: Wallet[], records: OpRecord[], events: StoredEvent[], journeys: StoredJourney[]): CheckReport {
  const report = emptyReport(wallets.length);
  const eventsByJourney = new Map<string, StoredEvent[]>();
  for (const e of events) {
    const list = eventsByJourney.get(e.journey_id) ?? [];
    list.push(e);
    eventsByJourney.set(e.journey_id, list);
  }
  for (const list of eventsByJourney.values()) list.sort((a, b) => a.journey_seq - b.journey_seq);
  const journeyById = new Map(journeys.map((j) => [j.journey_id, j]));
  const logs = byWallet(records);

  for (const wallet of wallets) {
    const log = logs.get(wallet.index) ?? [];
    const stored = eventsByJourney.get(wallet.key) ?? [];
    const journey = journeyById.get(wallet.key);
    if (!journey) {
      report.lost += 1;
      problem(report, `wallet ${wallet.index}: journey ${wallet.key} missing`);
      continue;
    }
    report.stored += Math.max(0, stored.length - 1);
    const byId = new Map(stored.map((e) => [e.event_id, e]));
    let acked = 0;
    let ambiguous = 0;
    for (const r of log) {
      if (r.result === 'refused') report.refused += 1;
      if (r.result === 'ambiguous') ambiguous += 1;
      if (r.result !== 'outcome' && r.result !== 'accepted') continue;
      acked += 1;
      const row = r.eventId ? byId.get(r.eventId) : undefined;
      if (!row) {
        report.lost += 1;
        problem(report, `wallet ${wallet.index} op ${r.k}: acknowledged event ${r.eventId ?? '?'} not in the store`);
        continue;
      }
      if (row.status === 'pending') {
        report.lost += 1;
        problem(report, `wallet ${wallet.index} op ${r.k}: event ${row.event_id} still pending after the drain`);
      }
      const payload = JSON.parse(row.payload) as { amount?: number };
      if (row.event_type !== r.type || payload.amount !== r.amount) {
        report.wrongState += 1;
        problem(report, `wallet ${wallet.index} op ${r.k}: stored ${row.event_type} ${payload.amount} for sent ${r.type} ${r.amount}`);
      }
      if (r.seq !== undefined && Number(row.journey_seq) !== r.seq) {
        report.outOfOrder += 1;
        problem(report, `wallet ${wallet.index} op ${r.k}: acknowledged at seq ${r.seq}, stored at ${row.journey_seq}`);
      }
    }
    report.acked += acked;
    report.ambiguous += ambiguous;
    // Events the log cannot explain: more than acknowledged + ambiguous (the opening is seq 1).
    const unexplained = stored.length - 1 - acked;
    if (unexplained > ambiguous) {
      report.phantom += unexplained - ambiguous;
      problem(report, `wallet ${wallet.index}: ${stored.length - 1} events stored, ${acked} acknowledged, ${ambiguous} ambiguous`);
    }
    // Sequence and single handling.
    stored.forEach((e, i) => {
      const outcome = e.outcome ? (JSON.parse(e.outcome) as { seq?: number }) : null;
      if (Number(e.journey_seq) !== i + 1 || (e.status !== 'pending' && outcome?.seq !== i + 1)) {
        report.outOfOrder += 1;
        problem(report, `wallet ${wallet.index}: event ${e.event_id} at seq ${e.journey_seq} has outcome seq ${String(outcome?.seq)}`);
      }
    });
    if (Number(journey.handled_seq) !== stored.length || Number(journey.accepted_seq) !== stored.length) {
      report.doubled += Number(journey.handled_seq) > stored.length ? 1 : 0;
      report.wrongState += Number(journey.handled_seq) > stored.length ? 0 : 1;
      problem(report, `wallet ${wallet.index}: handled ${journey.handled_seq}, accepted ${journey.accepted_seq}, events ${stored.length}`);
    }
    // Replay the store's events, checking every outcome a client saw on the way.
    const model = fresh();
    const seen = new Map(log.filter((r) => r.result === 'outcome' && r.seq !== undefined).map((r) => [r.seq ?? 0, r]));
    for (const e of stored.slice(1)) {
      const payload = JSON.parse(e.payload) as { amount: number };
      apply(model, e.event_type, payload.amount);
      const r = seen.get(Number(e.journey_seq));
      if (r && (r.balance !== model.balance || r.deposits !== model.deposits || r.withdrawals !== model.withdrawals || r.outcome !== 'applied')) {
        report.wrongOutcome += 1;
        problem(
          report,
          `wallet ${wallet.index} seq ${e.journey_seq}: client saw ${r.outcome} ${r.balance}/${r.deposits}/${r.withdrawals}, replay ${model.balance}/${model.deposits}/${model.withdrawals}`,
        );
      }
    }
    const data = journey.data ? (JSON.parse(journey.data) as WalletModel) : null;
    if (!data || data.balance !== model.balance || data.deposits !== model.deposits || data.withdrawals !== model.withdrawals) {
      if (data && (data.deposits > model.deposits || data.withdrawals > model.withdrawals)) report.doubled += 1;
      else report.wrongState += 1;
      problem(report, `wallet ${wallet.index}: stored ${JSON.stringify(data)}, replay of stored events ${JSON.stringify(model)}`);
    }
    // With no ambiguous request, the acknowledged operations alone must imply the same state.
    if (ambiguous === 0) {
      const fromAcks = fresh();
      for (const r of log) if (r.result === 'outcome' || r.result === 'accepted') apply(fromAcks, r.type, r.amount);
      if (fromAcks.balance !== model.balance || fromAcks.deposits !== model.deposits || fromAcks.withdrawals !== model.withdrawals) {
        report.wrongState += 1;
        problem(report, `wallet ${wallet.index}: acknowledged ops imply ${JSON.stringify(fromAcks)}, store ${JSON.stringify(model)}`);
      }
    }
  }
  return finish(report);
}

/**
 * Checks Restate's final object state against the request log: its handled count equals the
 * acknowledged calls (plus at most the ambiguous ones), its data equals the replay of the
 * acknowledged calls in order, and every response matched the replay at that point.
 */
export function checkRestate(wallets: Wallet[], records: OpRecord[], states: Map<number, { seq: number; data: Record<string, unknown> } | null>): CheckReport {
  const report = emptyReport(wallets.length);
  const logs = byWallet(records);
  for (const wallet of wallets) {
    const log = logs.get(wallet.index) ?? [];
    const state = states.get(wallet.index) ?? null;
    let acked = 0;
    let ambiguous = 0;
    const model = fresh();
    let expectedSeq = 1; // the opening
    for (const r of log) {
      if (r.result === 'refused') report.refused += 1;
      if (r.result === 'ambiguous') ambiguous += 1;
      if (r.result !== 'outcome') continue;
      acked += 1;
      expectedSeq += 1;
      // Ambiguous calls before this one may have run: only check exactly when there were none.
      const op = opOf(wallet.index, r.k);
      apply(model, op.type, op.amount);
      if (ambiguous === 0 && (r.seq !== expectedSeq || r.balance !== model.balance || r.deposits !== model.deposits || r.withdrawals !== model.withdrawals)) {
        report.wrongOutcome += 1;
        problem(
          report,
          `wallet ${wallet.index} op ${r.k}: saw seq ${String(r.seq)} ${r.balance}/${r.deposits}/${r.withdrawals}, replay seq ${expectedSeq} ${model.balance}/${model.deposits}/${model.withdrawals}`,
        );
      }
    }
    report.acked += acked;
    report.ambiguous += ambiguous;
    if (!state) {
      report.lost += 1;
      problem(report, `wallet ${wallet.index}: no state`);
      continue;
    }
    report.stored += state.seq - 1;
    const handled = state.seq - 1;
    if (handled < acked) {
      report.lost += acked - handled;
      problem(report, `wallet ${wallet.index}: ${handled} handled, ${acked} acknowledged`);
    } else if (handled > acked + ambiguous) {
      report.phantom += handled - acked - ambiguous;
      problem(report, `wallet ${wallet.index}: ${handled} handled, ${acked} acknowledged, ${ambiguous} ambiguous`);
    }
    const data = state.data as unknown as WalletModel;
    if (ambiguous === 0 && (data.balance !== model.balance || data.deposits !== model.deposits || data.withdrawals !== model.withdrawals)) {
      if (data.deposits > model.deposits || data.withdrawals > model.withdrawals) report.doubled += 1;
      else report.wrongState += 1;
      problem(report, `wallet ${wallet.index}: state ${JSON.stringify(data)}, replay ${JSON.stringify(model)}`);
    }
  }
  return finish(report);
}
