/**
 * The language server (`journey lsp`), headless: a child process spoken to over stdio as an
 * editor would, on a copy of the wallet example in a scratch folder.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompletionItem, Hover, Location, ProtocolConnection, PublishDiagnosticsParams } from 'vscode-languageserver/node';
import {
  CompletionRequest,
  createProtocolConnection,
  DefinitionRequest,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver/node';

const ROOT = join(import.meta.dirname, '..', '..');
const WALLET = readFileSync(join(ROOT, 'journeys/pfm/wallet/1.0/journey.jd'), 'utf8');

let scratch = '';
let child: ChildProcessWithoutNullStreams;
let connection: ProtocolConnection;
let uri = '';
let version = 0;
/** Every diagnostics notification, in order, and who waits for the next ones. */
const received: PublishDiagnosticsParams[] = [];
let waiting: Array<() => void> = [];

/** The next diagnostics published for `target` after `since` notifications. */
async function diagnosticsFor(target: string, since: number): Promise<PublishDiagnosticsParams> {
  for (;;) {
    const found = received.slice(since).find((p) => p.uri === target);
    if (found) return found;
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
}

/** Replaces the whole document and returns its diagnostics. */
async function edit(text: string): Promise<PublishDiagnosticsParams> {
  const since = received.length;
  version += 1;
  await connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
  return diagnosticsFor(uri, since);
}

/** The position of the `nth` occurrence of `needle` in `text`, `shift` characters into it. */
function positionOf(text: string, needle: string, shift = 0): { line: number; character: number } {
  const offset = text.indexOf(needle) + shift;
  if (offset < shift) throw new Error(`${needle} is not in the text`);
  const before = text.slice(0, offset);
  return { line: before.split('\n').length - 1, character: offset - (before.lastIndexOf('\n') + 1) };
}

async function completion(text: string, needle: string): Promise<CompletionItem[]> {
  const result = await connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: positionOf(text, needle, needle.length) });
  return Array.isArray(result) ? result : (result?.items ?? []);
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'je-lsp-'));
  const folder = join(scratch, 'pfm/wallet/1.0');
  cpSync(join(ROOT, 'journeys/pfm/wallet/1.0'), folder, { recursive: true });
  uri = pathToFileURL(join(folder, 'journey.jd')).href;
  child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'lsp', '--stdio'], { cwd: ROOT, stdio: 'pipe' });
  // Whatever the server says on stderr is shown with the test's output.
  child.stderr.pipe(process.stderr);
  connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
    received.push(params);
    const wake = waiting;
    waiting = [];
    for (const resolve of wake) resolve();
  });
  connection.listen();
  const init = await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: pathToFileURL(scratch).href,
    capabilities: {},
    workspaceFolders: null,
  });
  expect(init.capabilities.hoverProvider).toBe(true);
  await connection.sendNotification(InitializedNotification.type, {});
  await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'journey', version, text: WALLET } });
  const opened = await diagnosticsFor(uri, 0);
  expect(opened.diagnostics).toEqual([]);
  // Starting the CLI under tsx takes seconds on a loaded machine.
}, 120_000);

afterAll(async () => {
  if (connection !== undefined) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await connection.sendRequest(ShutdownRequest.type);
    await connection.sendNotification(ExitNotification.type);
    await exited;
    connection.dispose();
  }
  rmSync(scratch, { recursive: true, force: true });
}, 30_000);

describe('journey lsp', () => {
  it('reports an error as it is typed, at its line, and clears it when fixed', async () => {
    const broken = WALLET.replace('set balance = data.balance + event.amount', 'set balance = data.balanse + event.amount');
    const published = await edit(broken);
    const error = published.diagnostics.find((d) => d.code === 'unknown-path');
    expect(error?.message).toMatch(/data\.balanse.*did you mean balance\?/);
    expect(error?.range.start).toEqual(positionOf(broken, 'balanse'));
    expect(error?.severity).toBe(1);
    expect((await edit(WALLET)).diagnostics).toEqual([]);
  });

  it('completes data. with the data fields and event. with the bead event, with their types', async () => {
    // Half typed: the definition does not parse while the line ends in `data.`.
    const typing = WALLET.replace('  when data.status == "open"\n  set balance', '  when data.\n  set balance');
    await edit(typing);
    const data = await completion(typing, '  when data.');
    expect(data.map((i) => i.label).sort()).toEqual(['balance', 'currency', 'deposits', 'owner', 'status', 'withdrawals']);
    expect(data.find((i) => i.label === 'balance')?.detail).toBe('integer');
    expect(data.find((i) => i.label === 'status')?.detail).toBe('"open" | "closed"');
    const withEvent = WALLET.replace('set balance = data.balance + event.amount', 'set balance = data.balance + event.');
    await edit(withEvent);
    expect((await completion(withEvent, 'data.balance + event.')).map((i) => [i.label, i.detail])).toEqual([['amount', 'integer']]);
  });

  it('completes nested paths of an inline event and goes to its declaration', async () => {
    const text = `${WALLET}\nevent Tip { from: { id: string, name?: string }, amount: integer(1..) }\n\non Tip\n  when event.from.\n`;
    await edit(text);
    const items = await completion(text, 'when event.from.');
    expect(items.map((i) => [i.label, i.detail])).toEqual([
      ['id', 'string'],
      ['name', 'string (optional)'],
    ]);
    const location = (await connection.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: positionOf(text, 'on Tip', 4) })) as Location;
    expect(location.uri).toBe(uri);
    expect(location.range.start).toEqual(positionOf(text, 'Tip {'));
    const withContext = text.replace('when event.from.', 'when context.');
    await edit(withContext);
    const context = await completion(withContext, 'when context.');
    expect(context.map((i) => i.label)).toEqual(expect.arrayContaining(['sender', 'roles', 'trustLevel', 'channel', 'origin']));
  });

  it('shows the JSON Schema type of event.amount and data.status on hover', async () => {
    await edit(WALLET);
    const amount = (await connection.sendRequest(HoverRequest.type, {
      textDocument: { uri },
      position: positionOf(WALLET, 'data.balance + event.amount', 'data.balance + event.am'.length),
    })) as Hover;
    const shown = (amount.contents as { value: string }).value;
    expect(shown).toContain('`event.amount`: `integer`');
    expect(shown).toContain('minimum `1`');
    expect(shown).toContain('events/deposit.schema.json');
    const status = (await connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: positionOf(WALLET, 'data.status', 6) })) as Hover;
    expect((status.contents as { value: string }).value).toContain('`data.status`: `"open" | "closed"`');
  });

  it('goes from an event name to its schema file, and from a schema reference to the file', async () => {
    const deposit = (await connection.sendRequest(DefinitionRequest.type, {
      textDocument: { uri },
      position: positionOf(WALLET, 'on Deposit', 5),
    })) as Location;
    expect(deposit.uri).toBe(new URL('events/deposit.schema.json', uri).href);
    const data = (await connection.sendRequest(DefinitionRequest.type, {
      textDocument: { uri },
      position: positionOf(WALLET, '"wallet.data.schema.json"', 3),
    })) as Location;
    expect(data.uri).toBe(new URL('wallet.data.schema.json', uri).href);
    const balance = (await connection.sendRequest(DefinitionRequest.type, {
      textDocument: { uri },
      position: positionOf(WALLET, 'data.balance', 6),
    })) as Location;
    expect(balance.uri).toBe(data.uri);
    expect(balance.range.start.line).toBe(9);
  });
});
