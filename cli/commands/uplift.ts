import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { UpliftRequest, UpliftRun } from '../../engine/index.js';
import { ApiFailure, ApiRefusal, apiTarget, callApi, describeRefusal } from '../api-client.js';
import type { ApiTarget } from '../api-client.js';
import type { CliCommand } from '../command.js';
import { EXIT, UsageError, withUsage } from '../command.js';
import { createProgress } from '../progress.js';
import type { Progress } from '../progress.js';

const HELP = `Usage: journey uplift <type> --from <version> --to <version> [--where field=value ...]
                      [--dry-run] [--batch <n>] --url <api> [--token <jwt>]

Moves the instances of one journey version to a newer version of the same type, on a running
cluster, traffic going on: each instance gets an uplift event handled in its own turn, and moves
exactly once. The node checks first that every valid <from> instance maps to a valid <to> one.

  --from <version>      the version whose instances move, e.g. 1.0
  --to <version>        the newer version they move to, e.g. 2.0
  --where field=value   only instances whose search field has that value; repeat for several
                        fields (all must match)
  --dry-run             check every matching instance's data against <to>, change nothing
  --batch <n>           instances per step, 1 to 1000 (default 100)
  --url <api>           the API of any node (default $JOURNEY_API_URL); the run is kept by the
                        node that started it, so behind a load balancer name one node
  --token <jwt>         a bearer token with the operator role (default $JOURNEY_API_TOKEN); without
                        one the dev-mode headers name the operator (a node in AUTH_MODE=dev)

Progress goes to standard error: a bar on a terminal, plain lines otherwise; the summary and the
first failures to standard output. A run is resumable: if it fails or its node goes away, run the
same command again; the uplifts it queued are found again by their idempotency keys (none is
queued twice) and the instances already moved no longer match.
Exit codes: 0 done with no rejection, 1 instances rejected (a dry run: would be), the run failed,
or the request was refused, 2 wrong command line, 3 the API could not be reached, or the node
running the uplift went away.`;

const TYPE = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\/[A-Za-z_][A-Za-z0-9_]{0,63}){0,3}$/;
const VERSION = /^[0-9]{1,9}(\.[0-9]{1,9}){0,3}$/;
const SEARCH_FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** The API's limits on `where` (api/uplift-routes.ts). */
const MAX_WHERE_FIELDS = 16;
const MAX_WHERE_VALUE = 255;
const FAILURES_SHOWN = 10;
/** Polls that may fail in a row (a blip) before the run is taken as stopped. */
const MISSES_ALLOWED = 3;
const RESUMES = 'rerunning the same command resumes it safely: the uplifts it queued are found again by their idempotency keys';

/** `--where owner=alice --where status=open` as the API's `where` object; refuses forms the API would not take. */
export function parseWhere(items: readonly string[]): Record<string, string> {
  // A Map, not an object literal: a field named __proto__ must stay a field.
  const where = new Map<string, string>();
  for (const item of items) {
    const equals = item.indexOf('=');
    if (equals < 0) throw new UsageError(`--where takes field=value, got '${item}'`);
    const field = item.slice(0, equals);
    const value = item.slice(equals + 1);
    if (!SEARCH_FIELD.test(field)) throw new UsageError(`--where ${item}: '${field}' is not a search field name`);
    // An empty value is most often an unset shell variable; matching '' is never what was meant.
    if (value === '') throw new UsageError(`--where ${item}: no value for ${field}`);
    if (value.length > MAX_WHERE_VALUE) throw new UsageError(`--where ${field}: the value is longer than ${MAX_WHERE_VALUE} characters`);
    if (where.has(field)) throw new UsageError(`--where ${field} is given twice; an instance has one value per field`);
    where.set(field, value);
  }
  if (where.size > MAX_WHERE_FIELDS) throw new UsageError(`--where takes at most ${MAX_WHERE_FIELDS} fields`);
  return Object.fromEntries(where);
}

/** The request the command line describes (no I/O; throws UsageError). */
export function parseUpliftArgs(args: string[]): { request: UpliftRequest; url?: string; token?: string } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      where: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean', default: false },
      batch: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
    },
  });
  const [journeyType, ...extra] = positionals;
  if (journeyType === undefined || extra.length > 0)
    throw new UsageError(journeyType === undefined ? 'expected a journey type, e.g. pfm/wallet' : `expected one journey type, got also ${extra.join(' ')}`);
  if (!TYPE.test(journeyType)) throw new UsageError(`'${journeyType}' is not a journey type (e.g. pfm/wallet)`);
  const version = (option: 'from' | 'to'): string => {
    const given = values[option];
    if (given === undefined) throw new UsageError(`--${option} <version> is required`);
    if (!VERSION.test(given)) throw new UsageError(`--${option}: '${given}' is not a version (e.g. 1.0)`);
    return given;
  };
  const from = version('from');
  const to = version('to');
  if (from === to) throw new UsageError(`--from and --to are both ${from}; an uplift goes to a newer version`);
  const request: UpliftRequest = { journeyType, from, to };
  const where = parseWhere(values.where ?? []);
  if (Object.keys(where).length > 0) request.where = where;
  if (values['dry-run']) request.dryRun = true;
  if (values.batch !== undefined) {
    if (!/^\d{1,4}$/.test(values.batch) || Number(values.batch) < 1 || Number(values.batch) > 1000)
      throw new UsageError(`--batch must be a whole number from 1 to 1000, got '${values.batch}'`);
    request.batch = Number(values.batch);
  }
  return { request, ...(values.url === undefined ? {} : { url: values.url }), ...(values.token === undefined ? {} : { token: values.token }) };
}

/** The run's counts as one line, e.g. `scanned 200, uplifted 190, rejected 10, pending 3`. */
export function formatCounts(run: UpliftRun): string {
  const counts = [`scanned ${run.scanned}`, `${run.dryRun ? 'would uplift' : 'uplifted'} ${run.uplifted}`, `rejected ${run.rejected}`];
  if (run.resumed > 0) counts.push(`resumed ${run.resumed}`);
  if (run.pending > 0) counts.push(`pending ${run.pending}`);
  return counts.join(', ');
}

function describe(run: UpliftRun): string {
  const where = Object.entries(run.where ?? {})
    .map(([field, value]) => `${field}=${value}`)
    .join(' ');
  return `${run.journeyType} ${run.from} → ${run.to}${where === '' ? '' : ` where ${where}`}${run.dryRun ? ' (dry run)' : ''}`;
}

/** The run until it is done or failed, or `lost` with why when its node stopped answering for it. */
async function follow(target: ApiTarget, started: UpliftRun, progress: Progress, pollMs: number): Promise<{ run: UpliftRun; lost?: string }> {
  let run = started;
  let shown = '';
  let misses = 0;
  for (;;) {
    const counts = formatCounts(run);
    // Only changes: a step may wait 30 s for its uplifts, and a log should not fill with repeats.
    if (run.scanned > 0 && counts !== shown) {
      progress.update(run.uplifted + run.rejected, run.scanned, counts);
      shown = counts;
    }
    if (run.status !== 'running') return { run };
    await sleep(pollMs);
    try {
      run = (await callApi<UpliftRun>(target, 'GET', `/uplifts/${encodeURIComponent(run.runId)}`)).body;
      misses = 0;
    } catch (error) {
      if (error instanceof ApiRefusal && error.status === 404) {
        return { run, lost: `the node no longer knows run ${run.runId} (it restarted, or --url reached another node)` };
      }
      if (!(error instanceof ApiFailure)) throw error;
      misses += 1;
      if (misses >= MISSES_ALLOWED) return { run, lost: error.message };
    }
  }
}

/** What a refusal of the run means, and what to do about it. */
function explainRefusal(refusal: ApiRefusal, request: UpliftRequest): string[] {
  const lines = describeRefusal(refusal);
  const { findings, searchFields } = refusal.details;
  switch (refusal.code) {
    case 'JE_UPLIFT_RUNNING':
      lines.push(`another uplift of ${request.journeyType} is running: wait for it to finish, then rerun this command (it resumes where that one got to)`);
      break;
    case 'JE_UPLIFT_INVALID':
      if (Array.isArray(findings)) {
        for (const finding of findings as unknown[]) {
          const message = finding !== null && typeof finding === 'object' ? (finding as Record<string, unknown>)['message'] : undefined;
          lines.push(`  ${typeof message === 'string' ? message : JSON.stringify(finding)}`);
        }
      }
      lines.push(`${request.to} cannot take the instances of ${request.from}; nothing was changed`);
      break;
    case 'JE_JOURNEY_TYPE_UNKNOWN':
      lines.push('journey versions --url <api> lists the deployed versions');
      break;
    case 'JE_BAD_REQUEST':
      if (Array.isArray(searchFields)) lines.push(`  search fields of ${request.journeyType} ${request.from}: ${searchFields.map(String).join(', ')}`);
      break;
    default:
  }
  return lines;
}

/** The summary and what to do next; the exit code. */
function report(run: UpliftRun, lost: string | undefined): number {
  const took = run.finishedAt === undefined ? '' : ` in ${((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1)} s`;
  const state = lost === undefined ? run.status : 'stopped';
  console.log(`uplift ${describe(run)} ${state}${took}: ${formatCounts(run)} (run ${run.runId})`);
  if (run.failures.length > 0) {
    console.log(`first failures (instances left on ${run.from}):`);
    for (const failure of run.failures.slice(0, FAILURES_SHOWN)) console.log(`  ${failure.journeyId}: ${failure.message}`);
    const more = run.rejected - Math.min(run.failures.length, FAILURES_SHOWN);
    if (more > 0) console.log(`  … and ${more} more`);
  }
  if (lost !== undefined) {
    console.error(`journey uplift: the run stopped: ${lost}; ${RESUMES}`);
    return EXIT.failure;
  }
  if (run.status === 'failed') {
    console.error(`journey uplift: the run failed${run.error ? `: ${run.error.code}: ${run.error.message}` : ''}; ${RESUMES}`);
    return EXIT.invalidInput;
  }
  if (run.pending > 0) console.error(`${run.pending} uplift(s) queued and not handled yet: they move in their instance's turn (a rerun waits for them)`);
  if (run.rejected === 0) return EXIT.ok;
  if (run.dryRun) {
    console.error(`journey uplift: ${run.rejected} instance(s) would be rejected and stay on ${run.from}; nothing was changed`);
  } else {
    // A rerun finds a rejected uplift again by its key, with its outcome: it does not move those.
    console.error(
      `journey uplift: ${run.rejected} instance(s) rejected stay on ${run.from}; ${RESUMES}, and reports these again (move them with a version whose uplift takes them)`,
    );
  }
  return EXIT.invalidInput;
}

/** Options of `createUpliftCommand`, for tests. */
export interface UpliftCommandOptions {
  /** How often the run is asked for. @defaultValue 1000 */
  pollMs?: number;
  /** A bar (true) or plain lines. @defaultValue whether standard error is a terminal */
  interactive?: boolean;
}

/** `journey uplift`, with the API reached through `fetchImpl` (tests) or the global fetch. */
export function createUpliftCommand(fetchImpl?: typeof fetch, options: UpliftCommandOptions = {}): CliCommand {
  async function run(args: string[]): Promise<number> {
    const { request, url, token } = parseUpliftArgs(args);
    const target = apiTarget({ url, token }, fetchImpl);
    const progress = createProgress('uplift', process.stderr, options.interactive ?? process.stderr.isTTY === true);
    try {
      const { body: started } = await callApi<UpliftRun>(target, 'POST', '/uplifts', JSON.stringify(request));
      progress.note(`started run ${started.runId}: ${describe(started)}`);
      const { run, lost } = await follow(target, started, progress, options.pollMs ?? 1000);
      progress.finish(`run ${run.runId} ${lost === undefined ? run.status : 'stopped'}`);
      return report(run, lost);
    } catch (error) {
      if (error instanceof ApiRefusal) {
        progress.finish('refused');
        for (const line of explainRefusal(error, request)) console.error(line);
        return EXIT.invalidInput;
      }
      if (error instanceof ApiFailure) {
        progress.finish('nothing started');
        console.error(`journey uplift: ${error.message}`);
        return EXIT.failure;
      }
      throw error;
    }
  }
  return {
    name: 'uplift',
    summary: 'Move the instances of a journey version to a newer version (resumable)',
    help: HELP,
    run: withUsage('uplift', HELP, run),
  };
}

/** `journey uplift <type> --from <v> --to <v> --url <api>`. */
export const upliftCommand = createUpliftCommand();
