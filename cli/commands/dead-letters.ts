import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { describeDeadLetter } from '../../engine/index.js';
import type { DeadLetterSummary, DeadLetterView, Page } from '../../engine/index.js';
import { apiTarget, callApi, withApiErrors } from '../api-client.js';
import type { ApiTarget } from '../api-client.js';
import type { CliCommand } from '../command.js';
import { EXIT, UsageError, withUsage } from '../command.js';

const HELP = `Usage: journey dead-letters list [--kind call|message|webhook] [--system <name>] [--type <journey type>]
                                [--status dead|discarded] [--limit <n>] [--cursor <c>] [--all] [--json]
       journey dead-letters show <id> [--json]
       journey dead-letters retry <id> [--note <text>] [--wait] [--timeout <seconds>]
       journey dead-letters discard <id> [--reason <text>]
       (each with --url <api> [--token <jwt>])

Dead letters are back-end calls whose retries were spent (kind call) and messages between
journeys that could not be delivered (kind message: no such journey, a type not deployed or not
allowed to the tenant, an event its receiver refuses), and published events a webhook could not
deliver (kind webhook: --system is the webhook's name; a retry delivers it again on the webhook's
next round, under the same webhook-id). When a call or message went dead its journey got its
failure event (a message's: when it names one); the dead letter waits here for an operator.

  list      the dead letters, oldest first (--status discarded: the discarded ones); --all follows
            every page, else the next page's --cursor is printed
  show      one dead letter: the call or message, its last error, where its journey is, the
            events it gave, and the last operator decision
  retry     run it again under the same id: a call's back end sees the same callId and its reply
            enters the journey at most once; a message keeps its idempotency key, so its receiver
            handles it at most once. --wait follows it until it is answered (delivered) or dead
            again (--timeout, default 60 s). Fix the cause first (deploy the type, start the
            journey); the journey's bead for a call's reply must accept it where the failure
            event left the journey.
  discard   record that it will not be run again; nothing is sent

  --url <api>       the API of any node (default $JOURNEY_API_URL)
  --token <jwt>     a bearer token with the operator role (default $JOURNEY_API_TOKEN); without one
                    the dev-mode headers name the operator (a node in AUTH_MODE=dev)

Exit codes: 0 done (retry --wait: answered or delivered), 1 refused (not found, not dead any
more), or retry --wait: dead again, 2 wrong command line, 3 the API failed or --wait timed out.`;

const ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const SYSTEM = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const TYPE = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\/[A-Za-z_][A-Za-z0-9_]{0,63}){0,3}$/;
const COLUMNS = ['ID', 'KIND', 'WHAT', 'JOURNEY TYPE', 'JOURNEY', 'ATTEMPTS', 'RETRIES', 'DEAD AT', 'LAST ERROR'] as const;
const ERROR_SHOWN = 60;

/** The dead letters as an aligned table, one a line. */
export function formatDeadLetters(items: readonly DeadLetterSummary[]): string {
  if (items.length === 0) return 'No dead letters.';
  const rows = items.map((item) => [
    item.id,
    item.kind,
    describeDeadLetter(item),
    item.journeyType === null ? '?' : `${item.journeyType} ${item.version ?? ''}`.trimEnd(),
    item.journeyId,
    String(item.attempts),
    String(item.retries),
    item.deadAt,
    oneLine(item.lastError ?? ''),
  ]);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(COLUMNS), ...rows.map(line)].join('\n');
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > ERROR_SHOWN ? `${flat.slice(0, ERROR_SHOWN - 1)}…` : flat;
}

/** One dead letter, a field a line. */
export function formatDeadLetter(letter: DeadLetterView): string {
  const delivered = (which: 'failure' | 'reply' | 'message', event: string): string => {
    const found = letter.delivered[which];
    return found === undefined ? `${event}: not delivered` : `${event}: event ${found.eventId}, ${found.status}`;
  };
  const lines = [
    `id             ${letter.id} (${letter.kind})`,
    `status         ${letter.status}`,
    `${letter.kind.padEnd(15)}${describeDeadLetter(letter)}`,
    `journey        ${letter.journeyId}${letter.journeyType === null ? '' : ` (${letter.journeyType} ${letter.version ?? ''})`.trimEnd()}, tenant ${letter.tenant ?? '?'}`,
    `journey status ${letter.journeyStatus ?? '?'}`,
    letter.message === undefined
      ? `attempts       ${letter.attempts} at the back end, ${letter.retries} operator ${letter.retries === 1 ? 'retry' : 'retries'}`
      : `attempts       ${letter.attempts} failed for a while, ${letter.retries} operator ${letter.retries === 1 ? 'retry' : 'retries'}`,
    `last error     ${letter.lastError ?? '-'}`,
    `created        ${letter.createdAt}`,
    `dead since     ${letter.deadAt}`,
    `failure        ${letter.failureEvent === null ? 'none named' : delivered('failure', letter.failureEvent)}`,
  ];
  if (letter.message === undefined) {
    lines.push(`reply          ${delivered('reply', letter.replyEvent ?? '?')}`, `request        ${JSON.stringify(letter.request ?? {})}`);
  } else {
    lines.push(
      `delivered      ${delivered('message', letter.message.eventType ?? 'the initiating event')}`,
      `payload        ${JSON.stringify(letter.message.payload)}`,
      `key            ${letter.message.idempotencyKey}`,
    );
  }
  lines.push(`caused by      event ${letter.causedBy}`);
  if (letter.resolvedBy !== undefined) {
    lines.push(`last decision  by ${letter.resolvedBy} at ${letter.resolvedAt ?? '?'}${letter.note === undefined ? '' : `: ${letter.note}`}`);
  }
  return lines.join('\n');
}

type Parsed =
  | { action: 'list'; query: URLSearchParams; all: boolean; json: boolean }
  | { action: 'show'; id: string; json: boolean }
  | { action: 'retry'; id: string; note?: string; wait: boolean; timeoutMs: number }
  | { action: 'discard'; id: string; reason?: string };

/** What the command line asks for (no I/O; throws UsageError). */
export function parseDeadLetterArgs(args: string[]): Parsed & { url?: string; token?: string } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean', default: false },
      kind: { type: 'string' },
      system: { type: 'string' },
      type: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      all: { type: 'boolean', default: false },
      note: { type: 'string' },
      reason: { type: 'string' },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string' },
    },
  });
  const [action, ...rest] = positionals;
  const target = { ...(values.url === undefined ? {} : { url: values.url }), ...(values.token === undefined ? {} : { token: values.token }) };
  const only = (allowed: string[]): void => {
    const given = Object.entries(values)
      .filter(([name, value]) => value !== undefined && value !== false && !['url', 'token', ...allowed].includes(name))
      .map(([name]) => `--${name}`);
    if (given.length > 0) throw new UsageError(`${action ?? ''} does not take ${given.join(', ')}`);
  };
  const id = (): string => {
    const [given, ...extra] = rest;
    if (given === undefined) throw new UsageError(`${action ?? ''} needs the dead letter's id (journey dead-letters list shows them)`);
    if (extra.length > 0) throw new UsageError(`expected one id, got also ${extra.join(' ')}`);
    if (!ID.test(given)) throw new UsageError(`'${given}' is not a dead letter id (26 characters, e.g. 01J2Q8…)`);
    return given;
  };
  switch (action) {
    case 'list': {
      only(['json', 'kind', 'system', 'type', 'status', 'limit', 'cursor', 'all']);
      if (rest.length > 0) throw new UsageError(`list takes no arguments, got ${rest.join(' ')}`);
      const query = new URLSearchParams();
      if (values.kind !== undefined) {
        if (values.kind !== 'call' && values.kind !== 'message' && values.kind !== 'webhook') {
          throw new UsageError(`--kind is call, message or webhook, got '${values.kind}'`);
        }
        query.set('kind', values.kind);
      }
      if (values.system !== undefined) {
        if (!SYSTEM.test(values.system)) throw new UsageError(`--system: '${values.system}' is not a back-end system name`);
        query.set('system', values.system);
      }
      if (values.type !== undefined) {
        if (!TYPE.test(values.type)) throw new UsageError(`--type: '${values.type}' is not a journey type (e.g. mybank/payment/sct)`);
        query.set('journeyType', values.type);
      }
      if (values.status !== undefined) {
        if (values.status !== 'dead' && values.status !== 'discarded') throw new UsageError(`--status is dead or discarded, got '${values.status}'`);
        query.set('status', values.status);
      }
      if (values.limit !== undefined) {
        if (!/^\d{1,3}$/.test(values.limit) || Number(values.limit) < 1 || Number(values.limit) > 500)
          throw new UsageError(`--limit must be a whole number from 1 to 500, got '${values.limit}'`);
        query.set('limit', values.limit);
      }
      if (values.cursor !== undefined) query.set('cursor', values.cursor);
      return { action, query, all: values.all, json: values.json, ...target };
    }
    case 'show':
      only(['json']);
      return { action, id: id(), json: values.json, ...target };
    case 'retry': {
      only(['note', 'wait', 'timeout']);
      let timeoutMs = 60_000;
      if (values.timeout !== undefined) {
        if (!values.wait) throw new UsageError('--timeout goes with --wait');
        if (!/^\d{1,5}$/.test(values.timeout) || Number(values.timeout) < 1) throw new UsageError(`--timeout is a number of seconds, got '${values.timeout}'`);
        timeoutMs = Number(values.timeout) * 1000;
      }
      return { action, id: id(), ...(values.note === undefined ? {} : { note: values.note }), wait: values.wait, timeoutMs, ...target };
    }
    case 'discard':
      only(['reason']);
      return { action, id: id(), ...(values.reason === undefined ? {} : { reason: values.reason }), ...target };
    case undefined:
      throw new UsageError('expected list, show, retry or discard');
    default:
      throw new UsageError(`'${action}' is not list, show, retry or discard`);
  }
}

/** Options of `createDeadLettersCommand`, for tests. */
export interface DeadLettersCommandOptions {
  /** How often `retry --wait` asks how the call went. @defaultValue 500 */
  pollMs?: number;
}

async function list(target: ApiTarget, parsed: Extract<Parsed, { action: 'list' }>): Promise<number> {
  const items: DeadLetterSummary[] = [];
  let next: string | undefined;
  for (;;) {
    const query = parsed.query.toString();
    const { body } = await callApi<Page<DeadLetterSummary>>(target, 'GET', `/dead-letters${query === '' ? '' : `?${query}`}`);
    items.push(...body.items);
    next = body.nextCursor;
    if (!parsed.all || next === undefined) break;
    parsed.query.set('cursor', next);
  }
  if (parsed.json) {
    console.log(JSON.stringify(next === undefined ? { items } : { items, nextCursor: next }, null, 2));
    return EXIT.ok;
  }
  console.log(formatDeadLetters(items));
  if (next !== undefined) console.log(`\nMore: journey dead-letters list --cursor ${next} (or --all)`);
  return EXIT.ok;
}

async function retry(target: ApiTarget, parsed: Extract<Parsed, { action: 'retry' }>, pollMs: number): Promise<number> {
  const path = `/dead-letters/${parsed.id}`;
  let { body: letter } = await callApi<DeadLetterView>(target, 'POST', `${path}/retry`, JSON.stringify(parsed.note === undefined ? {} : { note: parsed.note }));
  console.log(`retrying ${letter.id}: ${describeDeadLetter(letter)} for journey ${letter.journeyId} (retry ${letter.retries})`);
  if (!parsed.wait) {
    console.log(`follow it with: journey dead-letters show ${letter.id}`);
    return EXIT.ok;
  }
  const deadline = Date.now() + parsed.timeoutMs;
  while (letter.status === 'retrying') {
    if (Date.now() > deadline) {
      console.error(
        `journey dead-letters: ${letter.id} is still retrying after ${parsed.timeoutMs / 1000} s; journey dead-letters show ${letter.id} follows it`,
      );
      return EXIT.failure;
    }
    await sleep(pollMs);
    letter = (await callApi<DeadLetterView>(target, 'GET', path)).body;
  }
  console.log(formatDeadLetter(letter));
  if (letter.status === 'answered' || letter.status === 'delivered') return EXIT.ok;
  console.error(
    `journey dead-letters: the retry of ${letter.id} failed: it is ${letter.status} again${letter.lastError === null ? '' : ` (${letter.lastError})`}`,
  );
  return EXIT.invalidInput;
}

/** `journey dead-letters`, with the API reached through `fetchImpl` (tests) or the global fetch. */
export function createDeadLettersCommand(fetchImpl?: typeof fetch, options: DeadLettersCommandOptions = {}): CliCommand {
  async function run(args: string[]): Promise<number> {
    const parsed = parseDeadLetterArgs(args);
    const target = apiTarget(parsed, fetchImpl);
    return withApiErrors('dead-letters', async () => {
      switch (parsed.action) {
        case 'list':
          return list(target, parsed);
        case 'show': {
          const { body } = await callApi<DeadLetterView>(target, 'GET', `/dead-letters/${parsed.id}`);
          console.log(parsed.json ? JSON.stringify(body, null, 2) : formatDeadLetter(body));
          return EXIT.ok;
        }
        case 'retry':
          return retry(target, parsed, options.pollMs ?? 500);
        case 'discard': {
          const body = JSON.stringify(parsed.reason === undefined ? {} : { reason: parsed.reason });
          const { body: letter } = await callApi<DeadLetterView>(target, 'POST', `/dead-letters/${parsed.id}/discard`, body);
          console.log(
            `discarded ${letter.id}: ${describeDeadLetter(letter)} for journey ${letter.journeyId}; its journey stays ${letter.journeyStatus ?? '?'}`,
          );
          return EXIT.ok;
        }
      }
    });
  }
  return {
    name: 'dead-letters',
    summary: 'List, show, retry or discard dead calls, undeliverable messages between journeys and webhook deliveries',
    help: HELP,
    run: withUsage('dead-letters', HELP, run),
  };
}

/** `journey dead-letters list|show|retry|discard … --url <api>`. */
export const deadLettersCommand = createDeadLettersCommand();
