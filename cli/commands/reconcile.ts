import { parseArgs } from 'node:util';
import type { ReconcileMismatch, ReconcileReport, ReconcileRequest } from '../../engine/index.js';
import { apiTarget, callApi, withApiErrors } from '../api-client.js';
import type { CliCommand } from '../command.js';
import { EXIT, UsageError, withUsage } from '../command.js';

const HELP = `Usage: journey reconcile <backend> [--since <date-time>] [--repair] [--limit <n>] [--json]
                                  [--url <api>] [--token <jwt>]

Compares the calls the engine made to a back end (its outbox: done, dead, pending) with what the
back end says it did (its adapter's query), and lists where they disagree:

  lost-reply          the back end did the call, the engine has it dead or pending: its journey
                      never got the reply. --repair replays it (once, however often it is run)
  discarded-but-done  the back end did a call an operator discarded
  unknown-to-backend  the engine took a reply the back end does not know of
  failed-at-backend   the engine took a reply, the back end says the call failed

Each back end has a high-water mark: a run starts behind it, so repeated runs look only at new
calls. It moves over every call that needs nothing more and stops at the first one still pending
or with a lost reply not repaired yet.

  --since <date-time>  look at the calls made from then on (ISO, e.g. 2026-06-01T00:00:00Z)
                       instead of from the mark
  --repair             replay the lost replies
  --limit <n>          at most n calls (1 to 10000, default 1000); a run that stops there says so
  --json               the report as JSON
  --url <api>          the API of a node that has the back end configured (default $JOURNEY_API_URL)
  --token <jwt>        a bearer token with the operator role (default $JOURNEY_API_TOKEN)

Exit codes: 0 no mismatch is left (or all were repaired), 1 mismatches are left, or refused (the
back end cannot be reconciled: JE_RECONCILE_UNSUPPORTED), 2 wrong command line, 3 the API failed.`;

const SYSTEM = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const COLUMNS = ['KIND', 'CALL', 'OPERATION', 'JOURNEY', 'OUTBOX', 'BACK END', 'REPAIRED'] as const;

/** What the command line asks for (no I/O; throws UsageError). */
export function parseReconcileArgs(args: string[]): { system: string; request: ReconcileRequest; json: boolean; url?: string; token?: string } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean', default: false },
      since: { type: 'string' },
      repair: { type: 'boolean', default: false },
      limit: { type: 'string' },
    },
  });
  const [system, ...extra] = positionals;
  if (system === undefined) throw new UsageError('expected the back end to reconcile (its system name, e.g. booking)');
  if (extra.length > 0) throw new UsageError(`expected one back end, got also ${extra.join(' ')}`);
  if (!SYSTEM.test(system)) throw new UsageError(`'${system}' is not a back-end system name (as in call <system>.<operation>)`);
  const request: ReconcileRequest = { repair: values.repair };
  if (values.since !== undefined) {
    if (!DATE_TIME.test(values.since) || Number.isNaN(Date.parse(values.since))) {
      throw new UsageError(`--since is an ISO date-time with its offset, e.g. 2026-06-01T00:00:00Z; got '${values.since}'`);
    }
    request.since = values.since;
  }
  if (values.limit !== undefined) {
    if (!/^\d{1,5}$/.test(values.limit) || Number(values.limit) < 1 || Number(values.limit) > 10_000) {
      throw new UsageError(`--limit must be a whole number from 1 to 10000, got '${values.limit}'`);
    }
    request.limit = Number(values.limit);
  }
  return {
    system,
    request,
    json: values.json,
    ...(values.url === undefined ? {} : { url: values.url }),
    ...(values.token === undefined ? {} : { token: values.token }),
  };
}

const left = (report: ReconcileReport): ReconcileMismatch[] => report.mismatches.filter((m) => !m.repaired);

/** The report as text: a summary line, the mismatches as an aligned table, and what to do next. */
export function formatReconcileReport(report: ReconcileReport): string {
  const from = report.from === null ? 'its first call' : `${report.from.createdAt}`;
  const lines = [`${report.system}: ${report.checked} ${report.checked === 1 ? 'call' : 'calls'} compared from ${from}`];
  if (report.mismatches.length === 0) lines.push('No mismatches.');
  else {
    const rows = report.mismatches.map((m) => [
      m.kind,
      m.callId,
      m.operation,
      m.journeyId,
      m.outbox,
      m.backend + (m.reason === undefined ? '' : ` (${m.reason})`),
      m.repaired ? `yes${m.eventId === undefined ? '' : `, event ${m.eventId}`}` : m.error === undefined ? 'no' : `no: ${m.error}`,
    ]);
    const widths = COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
    const line = (cells: readonly string[]): string =>
      cells
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd();
    lines.push('', line(COLUMNS), ...rows.map(line));
  }
  lines.push('', `high-water mark: ${report.mark === null ? 'none yet' : `${report.mark.createdAt} (call ${report.mark.callId})`}`);
  if (report.more) lines.push(`The limit stopped the run: run it again for the rest.`);
  const lost = left(report).filter((m) => m.kind === 'lost-reply').length;
  if (lost > 0 && !report.repair) lines.push(`${lost} lost ${lost === 1 ? 'reply' : 'replies'}: journey reconcile ${report.system} --repair replays them`);
  return lines.join('\n');
}

/** `journey reconcile`, with the API reached through `fetchImpl` (tests) or the global fetch. */
export function createReconcileCommand(fetchImpl?: typeof fetch): CliCommand {
  async function run(args: string[]): Promise<number> {
    const parsed = parseReconcileArgs(args);
    const target = apiTarget(parsed, fetchImpl);
    return withApiErrors('reconcile', async () => {
      const { body } = await callApi<ReconcileReport>(target, 'POST', `/reconcile/${parsed.system}`, JSON.stringify(parsed.request));
      console.log(parsed.json ? JSON.stringify(body, null, 2) : formatReconcileReport(body));
      return left(body).length === 0 ? EXIT.ok : EXIT.invalidInput;
    });
  }
  return {
    name: 'reconcile',
    summary: "Compare a back end's calls with what it says it did; replay lost replies",
    help: HELP,
    run: withUsage('reconcile', HELP, run),
  };
}

/** `journey reconcile <backend> … --url <api>`. */
export const reconcileCommand = createReconcileCommand();
